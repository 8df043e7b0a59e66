using FeedSync.Capture;
using FeedSync.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FeedSync.IntegrationTests.Infrastructure;

/// <summary>
/// FeedSync's capture worker alone (the real service, built as <c>feedsync run</c> builds it) against a test
/// database, with no push workers: what capture records stays in <c>feedsync.pending</c> for the test to read.
/// </summary>
internal sealed class CaptureHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IHostedService _capture;

    private CaptureHost(FeedSyncHarness feedSync, WebApplication app, IHostedService capture)
    {
        FeedSync = feedSync;
        _app = app;
        _capture = capture;
    }

    public FeedSyncHarness FeedSync { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<CaptureHost> StartAsync(FeedSyncHarness feedSync, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var overrides = new Dictionary<string, string?>(feedSync.Settings);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var app = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = [global::FeedSync.Demo.DemoCatalog.ConfigFile], Overrides = overrides });
        await app.Services.GetRequiredService<StateMigrator>().MigrateAsync(CancellationToken.None);
        var capture = app.Services.GetServices<IHostedService>().Single(s => s is LogicalReplicationCapture or TriggerCapture);
        await capture.StartAsync(CancellationToken.None);
        return new CaptureHost(feedSync, app, capture);
    }

    /// <summary>Waits until the initial load is recorded, then empties pending so a test sees only its own changes.</summary>
    public async Task WaitForInitialLoadAndClearAsync()
    {
        await Wait.UntilAsync(
            async () => await FeedSync.Database.ScalarAsync<long>(
                "SELECT (SELECT count(*) FROM feedsync.capture_checkpoint) + (SELECT count(*) FROM feedsync.capture_cursor)") > 0,
            TimeSpan.FromSeconds(60),
            "capture recorded its initial load");
        await FeedSync.Database.ExecuteAsync("DELETE FROM feedsync.pending");
    }

    public async Task<HashSet<string>> PendingKeysAsync()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = new Npgsql.NpgsqlConnection(FeedSync.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT product_key FROM feedsync.pending", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <summary>Waits until every expected key is pending, then returns everything pending.</summary>
    public async Task<HashSet<string>> WaitForPendingAsync(IReadOnlyCollection<string> expected, TimeSpan? timeout = null)
    {
        await Wait.UntilAsync(
            async () => (await PendingKeysAsync()).IsSupersetOf(expected),
            timeout ?? TimeSpan.FromSeconds(60),
            $"{expected.Count} expected keys are pending",
            async () => $"missing: {string.Join(",", expected.Except(await PendingKeysAsync()).Take(10))}");
        return await PendingKeysAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _capture.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
