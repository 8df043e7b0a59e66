using System.Reflection;
using FeedSync.Capture;
using FeedSync.Freshness;
using FeedSync.Catalog;
using FeedSync.Dashboard;
using FeedSync.Hosting;
using FeedSync.Jobs;
using FeedSync.Publish;
using Microsoft.Extensions.Options;

namespace FeedSync.Cli;

/// <summary>One line of <c>feedsync config validate</c>.</summary>
internal sealed record ConfigCheck(string Name, bool Ok, string Detail, bool Warning = false);

/// <summary>
/// Everything <c>feedsync run</c> needs, checked in order and reported together: settings (values and unknown keys),
/// both databases, the catalog against the configuration, change capture, credentials and Merchant Center access.
/// Later checks are skipped when what they depend on already failed.
/// </summary>
internal sealed class ConfigValidation(IServiceProvider services, IConfiguration configuration, IHostEnvironment environment)
{
    /// <summary>Every section under <c>FeedSync</c> and the type that binds it; keys outside these are typos or leftovers.</summary>
    private static readonly Dictionary<string, Type> Sections = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Catalog"] = typeof(CatalogOptions),
        ["State"] = typeof(StateOptions),
        ["MerchantCenter"] = typeof(MerchantCenterOptions),
        ["Capture"] = typeof(CaptureOptions),
        ["Push"] = typeof(PushOptions),
        ["Dashboard"] = typeof(FeedSyncDashboardOptions),
        ["StatusPull"] = typeof(StatusPullOptions),
        ["Retention"] = typeof(RetentionOptions),
        ["Freshness"] = typeof(FreshnessOptions),
    };

    public async Task<List<ConfigCheck>> RunAsync(CancellationToken cancellationToken)
    {
        var checks = new List<ConfigCheck>();
        checks.AddRange(UnknownKeys());
        var settingsOk = CheckOptions(checks);
        if (!settingsOk)
        {
            checks.Add(new ConfigCheck("databases", false, "not checked until the settings above are fixed"));
            return checks;
        }

        var databases = services.GetRequiredService<Databases>();
        var stateOk = await CheckDatabaseAsync(checks, "state database (FeedSync:State:ConnectionString)", databases.State, cancellationToken);
        if (stateOk)
        {
            await CheckStateSchemaAsync(checks, databases, cancellationToken);
        }

        if (await CheckDatabaseAsync(checks, "catalog database (FeedSync:Catalog:ConnectionString)", databases.Catalog, cancellationToken))
        {
            var problems = await services.GetRequiredService<CatalogSchemaCheck>().FindProblemsAsync(cancellationToken);
            checks.Add(problems.Count == 0
                ? new ConfigCheck("feed view and tracked tables", true, "match the configuration")
                : new ConfigCheck("feed view and tracked tables", false, string.Join(" | ", problems)));
            await CheckCaptureAsync(checks, databases, cancellationToken);
        }

        await CheckMerchantCenterAsync(checks, cancellationToken);
        return checks;
    }

    private IEnumerable<ConfigCheck> UnknownKeys()
    {
        foreach (var section in configuration.GetSection("FeedSync").GetChildren())
        {
            if (!Sections.TryGetValue(section.Key, out var type))
            {
                yield return new ConfigCheck($"FeedSync:{section.Key}", false, $"unknown section; FeedSync reads {string.Join(", ", Sections.Keys.Select(k => "FeedSync:" + k))} (a typo?)", Warning: true);
                continue;
            }

            var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var key in section.GetChildren().Where(k => !properties.Contains(k.Key)))
            {
                yield return new ConfigCheck($"FeedSync:{section.Key}:{key.Key}", false,
                    $"unknown setting, ignored; did you mean one of {string.Join(", ", properties.Order(StringComparer.Ordinal))}?", Warning: true);
            }
        }
    }

    private bool CheckOptions(List<ConfigCheck> checks)
    {
        var ok = true;
        void Resolve<T>(string section, Func<T> read)
        {
            try
            {
                _ = read();
                checks.Add(new ConfigCheck(section, true, "valid"));
            }
            catch (OptionsValidationException ex)
            {
                ok = false;
                checks.AddRange(ex.Failures.Select(f => new ConfigCheck(section, false, f)));
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException)
            {
                // A value that cannot even be converted (a duration that is not a TimeSpan, a URL that is not one).
                ok = false;
                checks.Add(new ConfigCheck(section, false, ex.InnerException?.Message ?? ex.Message));
            }
        }

        Resolve(CatalogOptions.Section, () => services.GetRequiredService<IOptions<CatalogOptions>>().Value);
        Resolve(StateOptions.Section, () => services.GetRequiredService<IOptions<StateOptions>>().Value);
        Resolve(MerchantCenterOptions.Section, () => services.GetRequiredService<IOptions<MerchantCenterOptions>>().Value);
        Resolve(PushOptions.Section, () => services.GetRequiredService<IOptions<PushOptions>>().Value);
        Resolve(RetentionOptions.Section, () => services.GetRequiredService<IOptions<RetentionOptions>>().Value);
        Resolve(FreshnessOptions.Section, () => services.GetRequiredService<IOptions<FreshnessOptions>>().Value);
        Resolve(FeedSyncDashboardOptions.Section, () =>
        {
            var dashboard = configuration.GetSection(FeedSyncDashboardOptions.Section).Get<FeedSyncDashboardOptions>() ?? new FeedSyncDashboardOptions();
            var result = new DashboardOptionsValidator(environment).Validate(null, dashboard);
            return result.Failed ? throw new OptionsValidationException(FeedSyncDashboardOptions.Section, typeof(FeedSyncDashboardOptions), result.Failures) : dashboard;
        });
        return ok;
    }

    private static async Task<bool> CheckDatabaseAsync(List<ConfigCheck> checks, string name, Npgsql.NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = source.CreateCommand("SELECT current_user || '@' || current_database() || ' (PostgreSQL ' || current_setting('server_version') || ')'");
            checks.Add(new ConfigCheck(name, true, "connected as " + await command.ExecuteScalarAsync(cancellationToken)));
            return true;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or ArgumentException)
        {
            checks.Add(new ConfigCheck(name, false, $"cannot connect: {ex.Message}"));
            return false;
        }
    }

    private static async Task CheckStateSchemaAsync(List<ConfigCheck> checks, Databases databases, CancellationToken cancellationToken)
    {
        await using var command = databases.State.CreateCommand("SELECT CASE WHEN to_regclass('feedsync.schema_version') IS NULL THEN 0 ELSE (SELECT coalesce(max(version), 0) FROM feedsync.schema_version) END");
        var version = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        checks.Add(version > 0
            ? new ConfigCheck("state schema", true, $"at version {version} (feedsync run upgrades it if needed)")
            : new ConfigCheck("state schema", true, "not created yet; `feedsync migrate` or the first `feedsync run` creates it", Warning: true));
    }

    private async Task CheckCaptureAsync(List<ConfigCheck> checks, Databases databases, CancellationToken cancellationToken)
    {
        var capture = services.GetRequiredService<IOptions<CaptureOptions>>().Value;
        if (!capture.Enabled)
        {
            checks.Add(new ConfigCheck("change capture", true, "disabled (FeedSync:Capture:Enabled = false)", Warning: true));
            return;
        }

        await using var command = databases.Catalog.CreateCommand("""
            SELECT current_setting('wal_level'),
                   EXISTS (SELECT 1 FROM pg_publication WHERE pubname = @publication),
                   (SELECT plugin FROM pg_replication_slots WHERE slot_name = @slot),
                   (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user)
            """);
        command.Parameters.AddWithValue("publication", capture.PublicationName);
        command.Parameters.AddWithValue("slot", capture.SlotName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var walLevel = reader.GetString(0);
        var publication = reader.GetBoolean(1);
        var plugin = reader.IsDBNull(2) ? null : reader.GetString(2);
        var canReplicate = !reader.IsDBNull(3) && reader.GetBoolean(3);
        var problems = new List<string>();
        if (walLevel != "logical")
        {
            problems.Add($"wal_level is {walLevel}; set wal_level = logical and restart PostgreSQL");
        }

        if (!canReplicate)
        {
            problems.Add("the catalog role lacks REPLICATION (ALTER ROLE … REPLICATION; see deploy/catalog-role.sql)");
        }

        if (plugin is not null && plugin != "pgoutput")
        {
            problems.Add($"slot '{capture.SlotName}' (FeedSync:Capture:SlotName) uses plugin {plugin}, not pgoutput; drop it or choose another name");
        }

        checks.Add(problems.Count > 0
            ? new ConfigCheck("change capture", false, string.Join("; ", problems))
            : publication && plugin is not null
                ? new ConfigCheck("change capture", true, $"publication '{capture.PublicationName}' and slot '{capture.SlotName}' in place")
                : new ConfigCheck("change capture", true, $"publication or slot not created yet; `feedsync migrate` creates them (the first run then re-reads the catalog once)", Warning: true));
    }

    private async Task CheckMerchantCenterAsync(List<ConfigCheck> checks, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<MerchantCenterOptions>>().Value;
        var keyFile = GoogleAuthHandler.ResolveKeyFile(options);
        if (keyFile is null)
        {
            var google = options.Endpoint.Host.EndsWith("googleapis.com", StringComparison.OrdinalIgnoreCase);
            checks.Add(new ConfigCheck("credentials", !google, google
                ? "no service-account key: set FeedSync:MerchantCenter:CredentialsFile or GOOGLE_APPLICATION_CREDENTIALS"
                : $"none (endpoint {options.Endpoint} is not Google's; fine for the emulator)", Warning: !google ? true : false));
        }
        else if (!File.Exists(keyFile))
        {
            checks.Add(new ConfigCheck("credentials", false, $"key file {keyFile} (FeedSync:MerchantCenter:CredentialsFile or GOOGLE_APPLICATION_CREDENTIALS) does not exist"));
            return;
        }
        else
        {
            try
            {
                _ = GoogleAuthHandler.LoadCredential(keyFile);
                checks.Add(new ConfigCheck("credentials", true, $"service-account key {keyFile} loads"));
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or Newtonsoft.Json.JsonException or ArgumentException)
            {
                checks.Add(new ConfigCheck("credentials", false, $"key file {keyFile} is not a service-account JSON key: {ex.Message}"));
                return;
            }
        }

        try
        {
            // One products.list page proves the endpoint, the credentials and access to the account.
            await foreach (var _ in services.GetRequiredService<ProductStatusReader>().ReadPagesAsync(cancellationToken))
            {
                break;
            }

            checks.Add(new ConfigCheck("Merchant Center access", true, $"{options.Endpoint} answers for {options.AccountName}"));
            checks.Add(await DataSourceCheck.RunAsync(services, cancellationToken));
        }
        catch (MerchantApiException ex)
        {
            var hint = ex.Result.Kind == ResultKind.ConfigurationError
                ? " — check that the service account is a user of the Merchant Center account (FeedSync:MerchantCenter:AccountId) and the Cloud project is registered"
                : ex.Result.HttpStatus == 404 ? " — check FeedSync:MerchantCenter:AccountId" : "";
            checks.Add(new ConfigCheck("Merchant Center access", false, ex.Message + hint));
        }
        catch (HttpRequestException ex)
        {
            checks.Add(new ConfigCheck("Merchant Center access", false, $"cannot reach {options.Endpoint} (FeedSync:MerchantCenter:Endpoint): {ex.Message}"));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            checks.Add(new ConfigCheck("Merchant Center access", false, $"{options.Endpoint} (FeedSync:MerchantCenter:Endpoint) did not answer in time"));
        }
    }
}
