using System.Text.RegularExpressions;
using FeedSync.Capture;
using FeedSync.Catalog;
using FeedSync.Jobs;
using FeedSync.Publish;
using Google.Apis.Auth.OAuth2;
using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Hosting;

/// <summary>Each feature registers itself here with one call; <c>Program</c> only lists them.</summary>
internal static class FeedSyncServices
{
    /// <summary>Options, databases, the catalog reader, the diff/push pipeline and the Merchant API client.</summary>
    public static IServiceCollection AddFeedSyncCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(TimeProvider.System);
        AddValidatedOptions<CatalogOptions, CatalogOptionsValidator>(services, configuration, CatalogOptions.Section);
        AddValidatedOptions<StateOptions, StateOptionsValidator>(services, configuration, StateOptions.Section);
        AddValidatedOptions<MerchantCenterOptions, MerchantCenterOptionsValidator>(services, configuration, MerchantCenterOptions.Section);
        AddValidatedOptions<PushOptions, PushOptionsValidator>(services, configuration, PushOptions.Section);
        services.AddCaptureParts(configuration);

        services.AddSingleton(sp =>
        {
            var catalog = ForFeedSync(sp.GetRequiredService<IOptions<CatalogOptions>>().Value.ConnectionString, "feedsync-catalog");
            return new Databases(
                NpgsqlDataSource.Create(catalog),
                NpgsqlDataSource.Create(ForFeedSync(sp.GetRequiredService<IOptions<StateOptions>>().Value.ConnectionString, "feedsync-state")),
                catalog);
        });
        services.AddSingleton<StateMigrator>();
        services.AddSingleton<CatalogSchemaCheck>();
        services.AddSingleton<FeedView>();
        services.AddSingleton<PendingQueue>();
        services.AddSingleton<PushProcessor>();
        services.AddSingleton<KeyResolver>();
        services.AddSingleton<FullResync>();
        services.AddSingleton<ReplicationSetup>();
        services.AddSingleton<FeedSync.Demo.DemoCatalog>();
        services.AddMerchantApiClient(configuration);
        return services;
    }

    /// <summary>Checks run before anything else starts: state schema migrated, catalog matches the configuration.</summary>
    public static IServiceCollection AddStartupChecks(this IServiceCollection services)
    {
        // Registered before the other hosted services so they start only after the checks pass.
        services.AddHostedService<StartupChecks>();
        return services;
    }

    public static IServiceCollection AddCapture(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.GetSection(CaptureOptions.Section).GetValue(nameof(CaptureOptions.Enabled), true))
        {
            services.AddCaptureWorker(configuration);
        }

        return services;
    }

    /// <summary>Hangfire on PostgreSQL with long polling (pickup in milliseconds), the drain job and its dispatcher.</summary>
    public static IServiceCollection AddPushJobs(this IServiceCollection services, IConfiguration configuration, bool runServer = true)
    {
        var stateConnection = ForFeedSync(configuration[$"{StateOptions.Section}:ConnectionString"] ?? "", "feedsync-hangfire");
        var hangfireSchema = configuration[$"{StateOptions.Section}:{nameof(StateOptions.HangfireSchema)}"] ?? "hangfire";
        services.AddHangfire(config => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(
                bootstrap => bootstrap.UseNpgsqlConnection(stateConnection),
                new PostgreSqlStorageOptions
                {
                    SchemaName = hangfireSchema,
                    EnableLongPolling = true,
                    QueuePollInterval = TimeSpan.FromSeconds(10),
                    UseSlidingInvisibilityTimeout = true,
                    InvisibilityTimeout = TimeSpan.FromMinutes(5),
                    PrepareSchemaIfNecessary = true,
                }));

        services.AddTransient<PushDrainJob>();
        services.AddSingleton<DrainWake>();
        services.AddSingleton<PushDispatcher>();
        if (runServer)
        {
            services.AddHostedService(sp => sp.GetRequiredService<PushDispatcher>());
            services.AddHangfireServer((sp, server) =>
            {
                server.Queues = [PushDrainJob.Queue, "b_default"];
                server.WorkerCount = sp.GetRequiredService<IOptions<PushOptions>>().Value.WorkerCount;
                server.ServerName = $"feedsync:{Environment.MachineName}:{Environment.ProcessId}";
            });
        }

        return services;
    }

    private static IServiceCollection AddMerchantApiClient(this IServiceCollection services, IConfiguration configuration)
    {
        var merchant = configuration.GetSection(MerchantCenterOptions.Section).Get<MerchantCenterOptions>() ?? new MerchantCenterOptions();
        var keyFile = GoogleAuthHandler.ResolveKeyFile(merchant);
        services.AddSingleton<MerchantRateLimiter>();
        services.AddSingleton<MerchantResilience>();
        var client = services.AddHttpClient<IMerchantCenter, MerchantApiClient>((sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<MerchantCenterOptions>>().Value;
                http.BaseAddress = options.Endpoint;
                http.Timeout = options.RequestTimeout;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                MaxConnectionsPerServer = 256,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .AddHttpMessageHandler<MerchantCallMetricsHandler>();
        var quota = services.AddHttpClient(QuotaReader.HttpClientName, (sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<MerchantCenterOptions>>().Value.Endpoint);
        services.AddSingleton<QuotaReader>();
        services.AddSingleton<DataSourceSetup>();
        if (keyFile is not null && File.Exists(keyFile))
        {
            services.AddSingleton<ITokenAccess>(_ => GoogleAuthHandler.LoadCredential(keyFile));
            client.AddHttpMessageHandler(sp => new GoogleAuthHandler(sp.GetRequiredService<ITokenAccess>()));
            quota.AddHttpMessageHandler(sp => new GoogleAuthHandler(sp.GetRequiredService<ITokenAccess>()));
            // Real credentials mean real Google: follow the account's per-minute quota.
            services.AddHostedService(sp => sp.GetRequiredService<QuotaReader>());
        }

        return services;
    }

    private static void AddValidatedOptions<TOptions, TValidator>(IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }

    /// <summary>
    /// FeedSync's sessions: named for pg_stat_activity, and with PostgreSQL's JIT off (unless the connection string's
    /// <c>Options</c> already set <c>jit</c>). FeedSync's statements are short and touch a few hundred keys, but right
    /// after a bulk load, before autovacuum has analyzed the tables, their estimates cross <c>jit_above_cost</c>: the
    /// capture's pending upsert then spent more time compiling than running, and on a fresh database the end-to-end
    /// benchmark's median latency was about four times higher (docs/benchmarks.md).
    /// </summary>
    internal static string ForFeedSync(string connectionString, string applicationName)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.ApplicationName ??= applicationName;
        if (!SetsJit(builder.Options))
        {
            builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? "-c jit=off" : $"{builder.Options} -c jit=off";
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Whether server options set <c>jit</c> itself (<c>-c jit=on</c>, <c>-cjit=on</c>, <c>--jit=on</c>), not merely
    /// another setting whose name starts with it, such as <c>jit_above_cost</c>.
    /// </summary>
    private static bool SetsJit(string? options) =>
        options is not null && Regex.IsMatch(options, @"(^|\s)(-c\s*|--)jit\s*=", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}
