using Hangfire;
using Microsoft.Extensions.Options;

namespace FeedSync.Freshness;

/// <summary>
/// Registers the recurring freshness jobs with cron expressions and the time zone from <c>FeedSync:Freshness</c>;
/// they appear on the Hangfire dashboard's Recurring Jobs page. Re-registering on every start updates them.
/// Registration runs beside start-up, never in its way: after a crash Hangfire's lock on a recurring job can
/// outlive the process for a while, so a failed attempt is logged and retried.
/// </summary>
internal sealed partial class RecurringFreshnessJobs(IRecurringJobManager jobs, IOptions<FreshnessOptions> options, ILogger<RecurringFreshnessJobs> logger) : BackgroundService
{
    public const string ReconciliationId = "feedsync-reconciliation";
    public const string ExpiryRefreshId = "feedsync-expiry-refresh";
    public const string BoundarySweepId = "feedsync-boundary-sweep";

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Hangfire's registration is synchronous: leave the start-up path first.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Register();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRegistrationFailed(ex, RetryDelay);
            }

            await Task.Delay(RetryDelay, stoppingToken);
        }
    }

    private void Register()
    {
        var settings = options.Value;
        var timeZone = settings.ResolveTimeZone();

        // Missed while no server ran: reconciliation and refresh run once on start (Relaxed), not once per missed slot.
        var once = new RecurringJobOptions { TimeZone = timeZone, MisfireHandling = MisfireHandlingMode.Relaxed };
        jobs.AddOrUpdate<FreshnessJobs>(ReconciliationId, FreshnessJobs.Queue, job => job.ReconcileAsync(CancellationToken.None), settings.ReconciliationCron, once);
        jobs.AddOrUpdate<FreshnessJobs>(ExpiryRefreshId, FreshnessJobs.Queue, job => job.ExpiryRefreshAsync(CancellationToken.None), settings.ExpiryRefreshCron, once);

        // The sweep's missed runs are worthless: the boundary scheduler handles passed boundaries at start.
        var skipMissed = new RecurringJobOptions { TimeZone = timeZone, MisfireHandling = MisfireHandlingMode.Ignorable };
        jobs.AddOrUpdate<FreshnessJobs>(BoundarySweepId, FreshnessJobs.Queue, job => job.BoundarySweepAsync(CancellationToken.None), settings.BoundarySweepCron, skipMissed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Registering the recurring freshness jobs failed; retrying in {Delay}")]
    private partial void LogRegistrationFailed(Exception exception, TimeSpan delay);
}
