using Hangfire;

namespace FeedSync.Freshness;

/// <summary>
/// The scheduled freshness work as Hangfire jobs (recurring, see <see cref="RecurringFreshnessJobs"/>). Each is
/// idempotent and takes no arguments: what to do is read from the catalog and the state database each run.
/// </summary>
internal sealed class FreshnessJobs(Reconciliation reconciliation, ExpiryRefresh expiryRefresh, BoundaryScheduler scheduler)
{
    public const string Queue = "b_default";

    /// <summary>Two retries: a run is idempotent and a failure (database restart) is worth retrying before tomorrow's run.</summary>
    [Queue(Queue)]
    [AutomaticRetry(Attempts = 2, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [JobDisplayName("Reconcile the feed view with Merchant Center")]
    public Task ReconcileAsync(CancellationToken cancellationToken) => reconciliation.RunAsync(cancellationToken);

    [Queue(Queue)]
    [AutomaticRetry(Attempts = 2, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [JobDisplayName("Schedule expiry refresh of products not inserted for a while")]
    public Task ExpiryRefreshAsync(CancellationToken cancellationToken) => expiryRefresh.RunAsync(cancellationToken);

    /// <summary>No retries: it runs every few minutes anyway; the boundary timer is the precise path, this is its backstop.</summary>
    [Queue(Queue)]
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Delete)]
    [JobDisplayName("Re-evaluate products at passed sale and promotion boundaries")]
    public Task BoundarySweepAsync(CancellationToken cancellationToken) => scheduler.SweepAsync(cancellationToken);
}
