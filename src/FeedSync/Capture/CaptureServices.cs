using Microsoft.Extensions.Options;

namespace FeedSync.Capture;

/// <summary>Registers change capture: the parts every verb needs (set-up for <c>migrate</c>), and the worker for the chosen mode.</summary>
internal static class CaptureServices
{
    public static IServiceCollection AddCaptureParts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CaptureOptions>().Bind(configuration.GetSection(CaptureOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CaptureOptions>, CaptureOptionsValidator>();
        services.AddSingleton<CaptureLeader>();
        services.AddSingleton<CaptureRecorder>();
        services.AddSingleton<TriggerSetup>();
        services.AddSingleton<CaptureMigration>();
        services.AddSingleton<SlotHealth>();
        services.AddSingleton<SlotPredatesPublication>();
        services.AddHealthChecks().AddCheck<SlotHealth>("capture-slot");
        return services;
    }

    public static IServiceCollection AddCaptureWorker(this IServiceCollection services, IConfiguration configuration)
    {
        var mode = configuration.GetSection(CaptureOptions.Section).GetValue(nameof(CaptureOptions.Mode), CaptureMode.LogicalReplication);
        if (mode == CaptureMode.Trigger)
        {
            services.AddHostedService<TriggerCapture>();
        }
        else
        {
            services.AddHostedService<LogicalReplicationCapture>();
        }

        return services;
    }
}
