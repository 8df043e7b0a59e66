namespace FeedSync.Jobs;

/// <summary>
/// Wakes every drain job of this process that found nothing due and is waiting for more (see
/// <see cref="PushOptions.DrainIdleWait"/>). Waiting costs nothing; starting a Hangfire job per capture commit costs
/// two dozen statements and wakes every idle Hangfire worker: at 300 changes/s that was 24 jobs a second, and the
/// 2-core benchmark machine was 92 % busy instead of 71 % (docs/benchmarks.md).
/// A pulse only reaches drains already waiting: the dispatcher reads <see cref="Waiting"/> before it pulses, and
/// starts a drain job itself when none was waiting, so work that arrives while a drain is between its empty claim and
/// its wait is never left alone. It also counts the drains running in this process, so at most
/// <see cref="PushOptions.MaxConcurrentDrains"/> of them split the due products.
/// </summary>
internal sealed class DrainWake
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;
    private int _running;

    /// <summary>Drain jobs waiting for work now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Drain jobs of this process running now, busy or waiting.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Counts a drain as running, unless <paramref name="maxRunning"/> already run: it then should end at once.</summary>
    public bool TryStart(int maxRunning)
    {
        if (Interlocked.Increment(ref _running) > maxRunning)
        {
            Interlocked.Decrement(ref _running);
            return false;
        }

        return true;
    }

    /// <summary>A drain that <see cref="TryStart"/> counted has ended.</summary>
    public void End() => Interlocked.Decrement(ref _running);

    /// <summary>Wakes all drains waiting now.</summary>
    public void Pulse() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// Waits for the next pulse, unless <paramref name="maxWaiting"/> drains already wait (this one then ends, so idle
    /// drains never hold every Hangfire worker). False when it may not wait, when <paramref name="timeout"/> of real time
    /// passed (an operational pause, like the dispatcher's, not FeedSync's clock),
    /// or when <paramref name="cancellationToken"/> was cancelled first: the drain then ends.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, int maxWaiting, CancellationToken cancellationToken)
    {
        // Read the pulse to wait for before counting as waiting: a pulse between the two then still wakes this wait,
        // and a dispatcher that saw no waiter has started a drain job of its own.
        var next = Volatile.Read(ref _next).Task;
        if (Interlocked.Increment(ref _waiting) > maxWaiting)
        {
            Interlocked.Decrement(ref _waiting);
            return false;
        }

        try
        {
            await next.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}
