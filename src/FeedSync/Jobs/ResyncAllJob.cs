using FeedSync.Freshness;
using Hangfire;

namespace FeedSync.Jobs;

/// <summary>
/// "Resync all" from the dashboard: a reconciliation, so only products that differ from what Google holds (or left the
/// view) are marked pending and pushed. Running it twice is harmless, so no Hangfire retries stack up; a second click
/// (or the nightly reconciliation) while one runs finds the reconciliation's run lock taken and ends at once.
/// </summary>
internal sealed partial class ResyncAllJob(Reconciliation reconciliation, ILogger<ResyncAllJob> logger)
{
    [Queue("b_default")]
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [JobDisplayName("Resync all products (asked by {0})")]
    public async Task RunAsync(string askedBy, CancellationToken cancellationToken)
    {
        // The instance that runs the job may not be the one that served the click: say here who asked.
        LogStarting(askedBy);
        var result = await reconciliation.RunAsync(cancellationToken);
        if (!result.AlreadyRunning)
        {
            LogDone(askedBy, result.ProductsDiffering, result.ProductsGone);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resync all: reconciling every product because {AskedBy} asked for it in the dashboard")]
    private partial void LogStarting(string askedBy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resync all asked by {AskedBy}: {Differing} products differ and {Gone} left the view; they are pending for the push")]
    private partial void LogDone(string askedBy, long differing, long gone);
}
