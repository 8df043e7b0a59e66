using System.Text.Json.Nodes;
using FeedSync.Catalog;
using FeedSync.Hosting;
using FeedSync.Publish;
using Microsoft.Extensions.Options;

namespace FeedSync.Cli;

/// <summary>
/// <c>config validate</c>'s look at the configured data source (<c>dataSources.get</c>): it must exist, be a primary
/// product data source with API input, and accept every destination (content language + feed label) the feed view has.
/// </summary>
internal static class DataSourceCheck
{
    private const string Name = "data source";
    private const string Key = MerchantCenterOptions.Section + ":" + nameof(MerchantCenterOptions.DataSourceId);

    public static async Task<ConfigCheck> RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<MerchantCenterOptions>>().Value;
        JsonObject? source;
        try
        {
            source = await services.GetRequiredService<DataSourceSetup>().GetConfiguredAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or System.Text.Json.JsonException)
        {
            return new ConfigCheck(Name, false, $"{options.DataSourceName}: {ex.Message}");
        }

        if (source is null)
        {
            return new ConfigCheck(Name, false,
                $"{options.DataSourceName} does not exist in Merchant Center: fix {Key}, or leave it empty and run `feedsync migrate --merchant-center`, which creates a primary API data source and prints the id to set");
        }

        var problems = Problems(source);
        if (problems.Count == 0 && Restriction(source) is { } only && await ForeignDestinationAsync(services, only, cancellationToken) is { } foreign)
        {
            problems.Add($"it accepts only {only.Language}~{only.Label} (contentLanguage~feedLabel), but the feed view has rows for {foreign}; "
                + $"use a data source without a feed label (`feedsync migrate --merchant-center` creates one) or limit the view to {only.Language}~{only.Label}");
        }

        return problems.Count == 0
            ? new ConfigCheck(Name, true, $"{options.DataSourceName} is a primary product data source with API input"
                + (Restriction(source) is { } r ? $" for {r.Language}~{r.Label}" : " for every destination"))
            : new ConfigCheck(Name, false, $"{options.DataSourceName} ({source["displayName"]?.GetValue<string>()}): {string.Join("; ", problems)} ({Key})");
    }

    /// <summary>What makes a data source unfit for FeedSync's product inputs, whatever the feed view holds.</summary>
    internal static List<string> Problems(JsonObject source)
    {
        var problems = new List<string>();
        if (source["primaryProductDataSource"] is not JsonObject)
        {
            var kind = source.Select(p => p.Key).FirstOrDefault(k => k.EndsWith("DataSource", StringComparison.Ordinal)) ?? "unknown";
            problems.Add($"it is not a primary product data source (it is a {kind}); FeedSync writes product inputs to a primary one");
        }

        var input = source["input"]?.GetValue<string>();
        if (input is not null && input != "API")
        {
            problems.Add($"its input is {input}, not API; products sent through the Merchant API need an API data source");
        }

        return problems;
    }

    private static (string Language, string Label)? Restriction(JsonObject source) =>
        source["primaryProductDataSource"] is JsonObject primary
        && primary["feedLabel"]?.GetValue<string>() is { Length: > 0 } label
        && primary["contentLanguage"]?.GetValue<string>() is { Length: > 0 } language
            ? (language, label)
            : null;

    /// <summary>A destination of the feed view the data source would refuse, or null; stops at the first such row.</summary>
    private static async Task<string?> ForeignDestinationAsync(IServiceProvider services, (string Language, string Label) only, CancellationToken cancellationToken)
    {
        try
        {
            var view = services.GetRequiredService<FeedView>().Name.Quoted;
            await using var command = services.GetRequiredService<Databases>().Catalog.CreateCommand($"""
                SELECT lower(content_language) || '~' || upper(feed_label) FROM {view}
                WHERE lower(content_language) <> lower(@language) OR upper(feed_label) <> upper(@label) LIMIT 1
                """);
            command.Parameters.AddWithValue("language", only.Language);
            command.Parameters.AddWithValue("label", only.Label);
            return await command.ExecuteScalarAsync(cancellationToken) as string;
        }
        catch (Npgsql.NpgsqlException)
        {
            // The feed view check above already says what is wrong with the view.
            return null;
        }
    }
}
