namespace FeedSync.Demo;

/// <summary>A gentle stream of catalog changes so the demo's dashboard moves.</summary>
internal sealed partial class DemoChangeStream(DemoCatalog catalog, double changesPerSecond, TimeProvider time, ILogger<DemoChangeStream> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(1 / changesPerSecond);
        using var timer = new PeriodicTimer(interval < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : interval, time);
        var perTick = Math.Max(1, (int)Math.Round(changesPerSecond * Math.Max(0.1, interval.TotalSeconds)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await catalog.ApplyRandomChangesAsync(perTick, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogChangeFailed(ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo change stream: {Problem}")]
    private partial void LogChangeFailed(string problem);
}

internal static class DemoServices
{
    public static IServiceCollection AddDemoChangeStream(this IServiceCollection services, double changesPerSecond)
    {
        services.AddHostedService(sp => new DemoChangeStream(
            sp.GetRequiredService<DemoCatalog>(), changesPerSecond, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DemoChangeStream>>()));
        return services;
    }
}
