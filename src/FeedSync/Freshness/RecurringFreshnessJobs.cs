using FeedSync.Hosting;
using Hangfire;
using Microsoft.Extensions.Options;

namespace FeedSync.Freshness;

/// <summary>
/// Registers the recurring freshness jobs with cron expressions and the time zone from <c>FeedSync:Freshness</c>;
/// they appear on the Hangfire dashboard's Recurring Jobs page. Re-registering on every start updates them.
/// Registration retries beside start-up (see <see cref="RecurringJobRegistration"/>).
/// </summary>
internal sealed class RecurringFreshnessJobs(IRecurringJobManager jobs, IOptions<FreshnessOptions> options, ILogger<RecurringFreshnessJobs> logger)
    : RecurringJobRegistration(logger)
{
    public const string ReconciliationId = "feedsync-reconciliation";
    public const string ExpiryRefreshId = "feedsync-expiry-refresh";
    public const string BoundarySweepId = "feedsync-boundary-sweep";

    protected override void Register()
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
}
