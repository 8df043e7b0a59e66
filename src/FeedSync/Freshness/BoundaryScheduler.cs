using FeedSync.Hosting;
using FeedSync.Jobs;
using Microsoft.Extensions.Options;

namespace FeedSync.Freshness;

/// <summary>
/// Re-evaluates products at their boundaries (sale start/end, availability date, budget slot, refresh slot).
/// A timer on <see cref="TimeProvider"/> is armed for the earliest stored boundary; when it fires, the due
/// products are marked pending (due at once) and the push dispatcher is woken, so the pushed price flips within
/// a second of the instant. Boundaries live in the database: on start every boundary passed while FeedSync was
/// down is due at once, and any instance may take them (SKIP LOCKED).
/// </summary>
internal sealed partial class BoundaryScheduler(
    Databases databases,
    PendingQueue queue,
    PushDispatcher dispatcher,
    TimeProvider time,
    IOptions<FreshnessOptions> options,
    ILogger<BoundaryScheduler> logger) : BackgroundService
{
    private const int TakeLimit = 5000;
    private static readonly TimeSpan MaxTimer = TimeSpan.FromDays(1);

    /// <summary>How long past a boundary must be before a later push counts as having handled it (allows for clock skew).</summary>
    private static readonly TimeSpan HandledAfter = TimeSpan.FromHours(1);
    private readonly WakeSignal _wake = new();

    /// <summary>Wakes the scheduler (a push learned a boundary that may be earlier than the one it waits for).</summary>
    public void Signal() => _wake.Signal();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan? untilNext;
            try
            {
                await RunDueAsync(stoppingToken);
                await using var connection = await databases.State.OpenConnectionAsync(stoppingToken);
                var next = await BoundaryStore.NextAsync(connection, stoppingToken);
                untilNext = next - time.GetUtcNow();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(ex);
                untilNext = null;
            }

            await WaitAsync(untilNext, stoppingToken);
        }
    }

    /// <summary>
    /// The recurring backstop: drops boundaries that can never matter again (so the table does not grow with
    /// products that left the view), then handles every due one. Returns how many products were marked.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using (var connection = await databases.State.OpenConnectionAsync(cancellationToken))
        {
            var pruned = await BoundaryStore.PruneAsync(connection, time.GetUtcNow(), HandledAfter, cancellationToken);
            if (pruned > 0)
            {
                LogPruned(pruned);
            }
        }

        return await RunDueAsync(cancellationToken);
    }

    /// <summary>Marks every product whose boundary has passed (by FeedSync's clock) pending; returns how many.</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var now = time.GetUtcNow();
            await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var keys = await BoundaryStore.TakeDueAsync(connection, transaction, now, TakeLimit, cancellationToken);
            await queue.MarkDirtyAsync(keys, connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            if (keys.Count > 0)
            {
                total += keys.Count;
                LogDue(keys.Count, now);
                dispatcher.Signal();
            }

            if (keys.Count < TakeLimit)
            {
                return total;
            }
        }
    }

    /// <summary>
    /// Waits for the next boundary on FeedSync's clock, a signal, or the real-time safety poll, whichever is first.
    /// The poll also covers a timer armed just after a clock jump (tests) and boundaries another instance learned.
    /// </summary>
    private Task WaitAsync(TimeSpan? untilNext, CancellationToken stoppingToken) =>
        // Capped: timers cannot be armed weeks ahead, and re-reading the next boundary daily costs nothing.
        _wake.WaitAsync(options.Value.BoundaryPollInterval, untilNext > MaxTimer ? MaxTimer : untilNext, time, stoppingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} products reached a boundary at {Now:O}; marked for re-evaluation")]
    private partial void LogDue(int count, DateTimeOffset now);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} boundaries that can never fire again")]
    private partial void LogPruned(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Boundary scheduler failed; retrying after the poll interval")]
    private partial void LogFailed(Exception exception);
}
