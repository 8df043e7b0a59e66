using Microsoft.Extensions.Options;

namespace FeedSync.Freshness;

internal static class FreshnessServices
{
    /// <summary>Boundaries, the update budget, reconciliation and expiry refresh; the timer and recurring jobs only in the worker.</summary>
    public static IServiceCollection AddFreshness(this IServiceCollection services, IConfiguration configuration, bool runWorker)
    {
        services.AddOptions<FreshnessOptions>().Bind(configuration.GetSection(FreshnessOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FreshnessOptions>, FreshnessOptionsValidator>();
        services.AddSingleton<BoundaryScheduler>();
        services.AddSingleton<FreshnessGate>();
        services.AddSingleton<Reconciliation>();
        services.AddSingleton<ExpiryRefresh>();
        services.AddTransient<FreshnessJobs>();
        if (runWorker)
        {
            services.AddHostedService(sp => sp.GetRequiredService<BoundaryScheduler>());
            services.AddHostedService<RecurringFreshnessJobs>();
        }

        return services;
    }
}
