using Hangfire;
using Microsoft.Extensions.Options;

namespace FeedSync.Jobs;

/// <summary>
/// Starts drain jobs when pending products are due: at once when capture signals a commit, at the moment the
/// next coalesced product becomes due, and on a short safety poll for work another process queued. Drains of this
/// process that wait idle are woken first; it keeps only a few drain jobs queued, because Hangfire moves ~100 jobs/s
/// and each job drains hundreds of products.
/// </summary>
internal sealed partial class PushDispatcher(
    PendingQueue queue,
    DrainWake drains,
    IBackgroundJobClient jobs,
    JobStorage storage,
    IOptions<PushOptions> options,
    TimeProvider time,
    ILogger<PushDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan SafetyPoll = TimeSpan.FromSeconds(1);
    private readonly WakeSignal _wake = new();

    /// <summary>Wakes the dispatcher now (capture calls this after each commit of dirty keys).</summary>
    public void Signal() => _wake.Signal();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = SafetyPoll;
            try
            {
                var (due, nextDueAt) = await queue.DueAsync(stoppingToken);
                if (due > 0)
                {
                    // Drains waiting in this process take the work first; a new job is started only for what they
                    // cannot claim in one step each, and only while fewer than MaxConcurrentDrains run: busy drains
                    // claim the rest in their next steps, and one whose claim missed this work is woken by this pulse
                    // (see DrainWake).
                    var waiting = drains.Waiting;
                    drains.Pulse();
                    if (due > (long)waiting * options.Value.BatchSize && drains.Running < options.Value.MaxConcurrentDrains)
                    {
                        EnqueueDrainJobs();
                    }
                }

                if (nextDueAt is { } next)
                {
                    var untilDue = next - time.GetUtcNow();
                    wait = untilDue < wait ? (untilDue > TimeSpan.Zero ? untilDue : TimeSpan.FromMilliseconds(10)) : wait;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogDispatchFailed(ex);
                wait = TimeSpan.FromSeconds(5);
            }

            await _wake.WaitAsync(wait, stoppingToken);
        }
    }

    private void EnqueueDrainJobs()
    {
        var queued = storage.GetMonitoringApi().EnqueuedCount(PushDrainJob.Queue);
        for (var i = queued; i < options.Value.MaxQueuedDrainJobs; i++)
        {
            jobs.Enqueue<PushDrainJob>(job => job.DrainAsync(CancellationToken.None));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatching push work failed; retrying in 5 s")]
    private partial void LogDispatchFailed(Exception exception);
}
