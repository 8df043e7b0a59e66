using FeedSync.Capture;
using Hangfire;

namespace FeedSync.Jobs;

/// <summary>Marks every product pending (asked for from the dashboard). Marking twice is harmless, so no Hangfire retries stack up.</summary>
internal sealed class ResyncAllJob(FullResync resync, PushDispatcher dispatcher)
{
    [Queue("b_default")]
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [JobDisplayName("Resync all products (asked by {0})")]
    public async Task RunAsync(string askedBy, CancellationToken cancellationToken)
    {
        await resync.MarkAllDirtyAsync($"{askedBy} asked for it in the dashboard", cancellationToken);
        dispatcher.Signal();
    }
}
