using FeedSync.Freshness;
using Hangfire;

namespace FeedSync.Jobs;

/// <summary>
/// "Resync all" from the dashboard: a reconciliation, so only products that differ from what Google holds (or left the
/// view) are marked pending and pushed. Running it twice is harmless, so no Hangfire retries stack up.
/// </summary>
internal sealed class ResyncAllJob(Reconciliation reconciliation)
{
    [Queue("b_default")]
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [JobDisplayName("Resync all products (asked by {0})")]
    public async Task RunAsync(string askedBy, CancellationToken cancellationToken) =>
        await reconciliation.RunAsync(cancellationToken);
}
