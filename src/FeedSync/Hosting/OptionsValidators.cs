using FeedSync.Catalog;
using FeedSync.Jobs;
using FeedSync.Publish;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Hosting;

/// <summary>
/// Start-up checks of configuration. Every message names the configuration key and says how to fix it,
/// because a worker that starts with bad settings fails later, somewhere less obvious.
/// </summary>
internal sealed class CatalogOptionsValidator : IValidateOptions<CatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, CatalogOptions options)
    {
        var problems = new List<string>();
        OptionChecks.ConnectionString(problems, "FeedSync:Catalog:ConnectionString", options.ConnectionString, "the catalog database");
        if (!SqlIdentifier.TryParse(options.FeedView, out _))
        {
            problems.Add($"FeedSync:Catalog:FeedView '{options.FeedView}' is not a view name. Set it to the feed view, e.g. 'catalog.feed' (letters, digits and _; optionally schema-qualified).");
        }

        if (options.TrackedTables.Count == 0)
        {
            problems.Add("FeedSync:Catalog:TrackedTables is empty. List every table whose changes can change a feed row, each with Table and KeyColumn or KeyQuery.");
        }

        for (var i = 0; i < options.TrackedTables.Count; i++)
        {
            var table = options.TrackedTables[i];
            var key = $"FeedSync:Catalog:TrackedTables:{i}";
            if (!SqlIdentifier.TryParse(table.Table, out _))
            {
                problems.Add($"{key}:Table '{table.Table}' is not a table name. Use e.g. 'catalog.variants'.");
            }

            var hasColumn = !string.IsNullOrWhiteSpace(table.KeyColumn);
            var hasQuery = !string.IsNullOrWhiteSpace(table.KeyQuery);
            if (hasColumn == hasQuery)
            {
                problems.Add($"{key}: set exactly one of KeyColumn (the column holding the product key) or KeyQuery (a SELECT returning product keys).");
            }
            else if (hasColumn && !SqlIdentifier.IsValidColumn(table.KeyColumn))
            {
                problems.Add($"{key}:KeyColumn '{table.KeyColumn}' is not a column name.");
            }
            else if (hasQuery && !table.KeyQuery!.TrimStart().StartsWith("select", StringComparison.OrdinalIgnoreCase) && !table.KeyQuery.TrimStart().StartsWith("with", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{key}:KeyQuery must be a SELECT returning product keys, with @column parameters from the changed row.");
            }
            else if (hasQuery && table.KeyQueryParameters().Count == 0)
            {
                problems.Add($"{key}:KeyQuery has no @column parameter, so it cannot tell which products a change touches.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

internal sealed class StateOptionsValidator : IValidateOptions<StateOptions>
{
    public ValidateOptionsResult Validate(string? name, StateOptions options)
    {
        var problems = new List<string>();
        OptionChecks.ConnectionString(problems, "FeedSync:State:ConnectionString", options.ConnectionString, "FeedSync's own database (it may be the catalog database)");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

internal sealed class MerchantCenterOptionsValidator : IValidateOptions<MerchantCenterOptions>
{
    public ValidateOptionsResult Validate(string? name, MerchantCenterOptions options)
    {
        var problems = new List<string>();
        if (!options.Endpoint.IsAbsoluteUri || options.Endpoint.Scheme is not ("http" or "https"))
        {
            problems.Add($"FeedSync:MerchantCenter:Endpoint '{options.Endpoint}' must be an absolute http(s) URL; the default is {MerchantCenterOptions.DefaultEndpoint}.");
        }

        if (!IsNumeric(options.AccountId))
        {
            problems.Add($"FeedSync:MerchantCenter:AccountId '{options.AccountId}' must be the numeric Merchant Center account id (shown in Merchant Center's top bar).");
        }

        if (!IsNumeric(options.DataSourceId))
        {
            problems.Add($"FeedSync:MerchantCenter:DataSourceId '{options.DataSourceId}' must be the numeric id of a primary API data source (Merchant Center > Settings > Data sources).");
        }

        if (GoogleAuthHandler.ResolveKeyFile(options) is { } keyFile && !File.Exists(keyFile))
        {
            problems.Add($"FeedSync:MerchantCenter:CredentialsFile '{keyFile}' does not exist. Point it at the service account's JSON key file.");
        }

        if (options.Endpoint.Host.EndsWith("googleapis.com", StringComparison.OrdinalIgnoreCase) && GoogleAuthHandler.ResolveKeyFile(options) is null)
        {
            problems.Add("FeedSync:MerchantCenter:CredentialsFile is not set, but the endpoint is Google's. Set it (or GOOGLE_APPLICATION_CREDENTIALS) to a service-account JSON key.");
        }

        if (options.MaxConcurrency is < 1 or > 256)
        {
            problems.Add($"FeedSync:MerchantCenter:MaxConcurrency {options.MaxConcurrency} must be between 1 and 256.");
        }

        MerchantCenterOptionsValidation.Resilience(options, problems);

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static bool IsNumeric(string value) => value.Length is > 0 and <= 20 && value.All(char.IsAsciiDigit);
}

internal sealed class PushOptionsValidator : IValidateOptions<PushOptions>
{
    public ValidateOptionsResult Validate(string? name, PushOptions options)
    {
        var problems = new List<string>();
        if (options.BatchSize is < 1 or > 5000)
        {
            problems.Add($"FeedSync:Push:BatchSize {options.BatchSize} must be between 1 and 5000.");
        }

        if (options.CoalesceWindow < TimeSpan.Zero || options.CoalesceWindow > TimeSpan.FromHours(1))
        {
            problems.Add($"FeedSync:Push:CoalesceWindow {options.CoalesceWindow} must be between 00:00:00 and 01:00:00.");
        }

        if (options.WorkerCount is < 1 or > 100)
        {
            problems.Add($"FeedSync:Push:WorkerCount {options.WorkerCount} must be between 1 and 100.");
        }

        if (options.MaxConcurrentDrains is < 1 or > 100)
        {
            problems.Add($"FeedSync:Push:MaxConcurrentDrains {options.MaxConcurrentDrains} must be between 1 and 100.");
        }

        if (options.MaxQueuedDrainJobs is < 1 or > 50)
        {
            problems.Add($"FeedSync:Push:MaxQueuedDrainJobs {options.MaxQueuedDrainJobs} must be between 1 and 50.");
        }

        if (options.MinClaimInterval < TimeSpan.Zero || options.MinClaimInterval > TimeSpan.FromSeconds(1))
        {
            problems.Add($"FeedSync:Push:MinClaimInterval {options.MinClaimInterval} must be between 00:00:00 and 00:00:01.");
        }

        if (options.DrainIdleWait < TimeSpan.Zero || options.DrainIdleWait > TimeSpan.FromMinutes(1))
        {
            problems.Add($"FeedSync:Push:DrainIdleWait {options.DrainIdleWait} must be between 00:00:00 and 00:01:00.");
        }

        if (options.WriteLease < TimeSpan.FromSeconds(2) || options.WriteLease > TimeSpan.FromHours(1))
        {
            problems.Add($"FeedSync:Push:WriteLease {options.WriteLease} must be between 00:00:02 and 01:00:00 (calls are abandoned at half of it).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

internal static class OptionChecks
{
    public static void ConnectionString(List<string> problems, string key, string value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{key} is empty. Set it to the Npgsql connection string of {what}, e.g. 'Host=db;Database=shop;Username=feedsync' (password from the environment: {key.Replace(":", "__", StringComparison.Ordinal)}).");
            return;
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException ex)
        {
            problems.Add($"{key} is not a valid connection string: {ex.Message}");
        }
    }
}
