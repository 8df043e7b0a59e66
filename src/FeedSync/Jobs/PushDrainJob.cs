using System.Diagnostics;
using Hangfire;
using Microsoft.Extensions.Options;

namespace FeedSync.Jobs;

/// <summary>
/// The Hangfire job that drains pending products. It takes no arguments: the work list is
/// <c>feedsync.pending</c>, and several drain jobs split it through their claims. When nothing is due it waits up to
/// <see cref="PushOptions.DrainIdleWait"/> for the dispatcher's pulse (<see cref="DrainWake"/>) before it ends. A drain
/// started while <see cref="PushOptions.MaxConcurrentDrains"/> of this process run ends at once. The steps of all drains
/// of this process start <see cref="PushOptions.MinClaimInterval"/> apart while they keep up.
/// Retry policy: none from Hangfire. A failed product stays pending with its own backoff and the dispatcher
/// starts a new drain job, so Hangfire retries would only stack on top of that.
/// </summary>
internal sealed partial class PushDrainJob(PushProcessor processor, DrainWake wake, IOptions<PushOptions> options, TimeProvider time, ILogger<PushDrainJob> logger)
{
    public const string Queue = "a_push";

    [Queue(Queue)]
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Push pending products to Merchant Center")]
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        // Enough drains of this process run already: they claim what is due in their next steps.
        if (!wake.TryStart(options.Value.MaxConcurrentDrains))
        {
            return;
        }

        try
        {
            await DrainUntilIdleAsync(cancellationToken);
        }
        finally
        {
            wake.End();
        }
    }

    private async Task DrainUntilIdleAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var total = 0;
        var backlog = false;
        while (!cancellationToken.IsCancellationRequested && time.GetElapsedTime(started) < options.Value.MaxDrainDuration)
        {
            if (!backlog && wake.ReserveClaim(Stopwatch.GetTimestamp(), options.Value.MinClaimInterval) is { Ticks: > 0 } slot)
            {
                // Real time, like the idle wait: an operational pause, not FeedSync's clock.
                await Task.Delay(slot, cancellationToken);
            }

            // Read before the claim: a pulse for work this claim did not see then ends the wait below at once.
            var pulse = wake.NextPulse;
            var step = await processor.PushOnceAsync(cancellationToken);
            backlog = step.Claimed >= options.Value.BatchSize;
            if (step.Claimed == 0)
            {
                // Nothing due: wait a little for the dispatcher's next pulse instead of ending, so a steady stream of
                // commits keeps a few drain jobs busy rather than starting one per commit. At most as many drains wait
                // as are kept queued; the others end and free their Hangfire workers.
                if (!await wake.WaitAsync(pulse, options.Value.DrainIdleWait, options.Value.MaxQueuedDrainJobs, cancellationToken))
                {
                    break;
                }

                continue;
            }

            total += step.Claimed;
        }

        LogDrained(total, (long)time.GetElapsedTime(started).TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Drain job handled {Products} products in {ElapsedMs} ms")]
    private partial void LogDrained(int products, long elapsedMs);
}
