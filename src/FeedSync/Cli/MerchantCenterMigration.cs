using FeedSync.Hosting;
using FeedSync.Publish;

namespace FeedSync.Cli;

/// <summary><c>feedsync migrate --merchant-center</c>: make sure FeedSync has a primary API data source to write to.</summary>
internal static class MerchantCenterMigration
{
    private const string DataSourceKey = MerchantCenterOptions.Section + ":" + nameof(MerchantCenterOptions.DataSourceId);

    public static async Task<int> RunAsync(IReadOnlyList<string> configFiles, TextWriter output, CancellationToken cancellationToken)
    {
        var settings = new HostSettings { ConfigFiles = configFiles, RunWorker = false };
        string? configured;
        await using (var probe = FeedSyncApp.BuildHost(settings))
        {
            configured = probe.Configuration[DataSourceKey];
        }

        if (!string.IsNullOrWhiteSpace(configured))
        {
            await output.WriteLineAsync($"Using the configured data source {configured} ({DataSourceKey}); nothing to create.");
            return CliApp.Ok;
        }

        // The data source does not exist yet, so the validator's numeric id check gets a placeholder.
        await using var app = FeedSyncApp.BuildHost(settings with { Overrides = new Dictionary<string, string?>(settings.Overrides) { [DataSourceKey] = "0" } });
        CliApp.ValidateOptions(app.Services);
        var id = await app.Services.GetRequiredService<DataSourceSetup>().CreatePrimaryAsync("FeedSync", cancellationToken);
        await output.WriteLineAsync($"Created the primary API data source {id}. Set {DataSourceKey}={id} in FeedSync's configuration.");
        await output.WriteLineAsync(id);
        return CliApp.Ok;
    }
}
