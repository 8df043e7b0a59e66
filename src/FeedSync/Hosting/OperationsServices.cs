using FeedSync.Jobs;
using FeedSync.Publish;
using Google.Apis.Auth.OAuth2;
using Hangfire;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace FeedSync.Hosting;

/// <summary><c>FeedSync:StatusPull</c>: how often Google's product statuses are pulled for the Problems page.</summary>
internal sealed class StatusPullOptions
{
    public const string Section = "FeedSync:StatusPull";

    public bool Enabled { get; set; } = true;

    /// <summary>Hangfire cron expression; Google refreshes statuses within hours, so every 30 minutes is plenty.</summary>
    public string Cron { get; set; } = "*/30 * * * *";
}

/// <summary>Metrics, the status pull and the dashboard's background jobs: what operators use to watch and steer FeedSync.</summary>
internal static class OperationsServices
{
    public static IServiceCollection AddOperations(this IServiceCollection services, IConfiguration configuration, bool runWorker)
    {
        services.AddSingleton<FeedSyncMetrics>();
        services.AddTransient<MerchantCallMetricsHandler>();
        services.AddTransient<StatusPullJob>();
        services.AddTransient<ResyncAllJob>();
        services.AddSingleton<ForcedResync>();
        services.AddOptions<StatusPullOptions>().Bind(configuration.GetSection(StatusPullOptions.Section));
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        services.AddTransient<RetentionJob>();

        var statusClient = services.AddHttpClient<ProductStatusReader>((sp, http) =>
        {
            var options = sp.GetRequiredService<IOptions<MerchantCenterOptions>>().Value;
            http.BaseAddress = options.Endpoint;
            http.Timeout = options.RequestTimeout;
        }).AddHttpMessageHandler<MerchantCallMetricsHandler>();
        var merchant = configuration.GetSection(MerchantCenterOptions.Section).Get<MerchantCenterOptions>() ?? new MerchantCenterOptions();
        if (GoogleAuthHandler.ResolveKeyFile(merchant) is { } keyFile && File.Exists(keyFile))
        {
            // The Merchant API client registers the same credential; one instance fetches and caches the token.
            services.TryAddSingleton<ITokenAccess>(_ => GoogleAuthHandler.LoadCredential(keyFile));
            statusClient.AddHttpMessageHandler(sp => new GoogleAuthHandler(sp.GetRequiredService<ITokenAccess>()));
        }

        if (runWorker)
        {
            services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(FeedSyncMetrics.MeterName).AddPrometheusExporter());
            services.AddHostedService<RecurringJobsRegistration>();
        }

        return services;
    }

    /// <summary>Registers (or removes) the status pull and retention recurring jobs when the worker starts.</summary>
    private sealed class RecurringJobsRegistration(
        IRecurringJobManager recurring, IOptions<StatusPullOptions> statusPull, IOptions<RetentionOptions> retention, ILogger<RecurringJobsRegistration> logger)
        : RecurringJobRegistration(logger)
    {
        protected override void Register()
        {
            recurring.AddOrUpdate<RetentionJob>(RetentionJob.RecurringId, "b_default", job => job.RunAsync(CancellationToken.None), retention.Value.Cron);
            if (statusPull.Value.Enabled)
            {
                recurring.AddOrUpdate<StatusPullJob>(StatusPullJob.RecurringId, "b_default", job => job.RunAsync(CancellationToken.None), statusPull.Value.Cron);
            }
            else
            {
                recurring.RemoveIfExists(StatusPullJob.RecurringId);
            }
        }
    }
}
