using System.Diagnostics;

namespace FeedSync.Jobs;

/// <summary>
/// Wakes every drain job of this process that found nothing due and is waiting for more (see
/// <see cref="PushOptions.DrainIdleWait"/>). Waiting costs nothing; starting a Hangfire job per capture commit costs
/// two dozen statements and wakes every idle Hangfire worker: at 300 changes/s that was 24 jobs a second, and the
/// 2-core benchmark machine was 92 % busy instead of 71 % (docs/benchmarks.md).
/// A drain reads <see cref="NextPulse"/> before each claim and, when the claim finds nothing, waits on that pulse: a
/// pulse sent while it was claiming ends the wait at once, so work that arrives between an empty claim and the wait
/// is never left for the safety poll, even when the dispatcher starts no job because
/// <see cref="PushOptions.MaxConcurrentDrains"/> drains of this process already run.
/// </summary>
internal sealed class DrainWake
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;
    private int _running;
    private long _nextClaimAt = long.MinValue;

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

    /// <summary>
    /// Reserves the next claim slot of this process at <paramref name="now"/> (a <see cref="Stopwatch"/>
    /// timestamp) or later, at least <paramref name="interval"/> after the slot reserved before it, and returns how long
    /// to wait for it. Each push step pays fixed statements whatever it claims, so when drains keep up, spacing claims
    /// makes fewer, larger steps instead of every drain claiming a handful the moment its last step ends (see
    /// <see cref="PushOptions.MinClaimInterval"/>).
    /// </summary>
    public TimeSpan ReserveClaim(long now, TimeSpan interval)
    {
        var spacing = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var reserved = Volatile.Read(ref _nextClaimAt);
            var slot = Math.Max(now, reserved);
            if (Interlocked.CompareExchange(ref _nextClaimAt, slot + spacing, reserved) == reserved)
            {
                return TimeSpan.FromSeconds((double)(slot - now) / Stopwatch.Frequency);
            }
        }
    }

    /// <summary>Completes at the next <see cref="Pulse"/>. Read it before claiming, then wait on it.</summary>
    public Task NextPulse => Volatile.Read(ref _next).Task;

    /// <summary>Wakes all drains waiting now, and every drain claiming now that finds nothing.</summary>
    public void Pulse() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// Waits for <paramref name="pulse"/> (read from <see cref="NextPulse"/> before the empty claim), unless
    /// <paramref name="maxWaiting"/> drains already wait (this one then ends, so idle drains never hold every Hangfire
    /// worker). True at once when that pulse was sent meanwhile. False when it may not wait, when
    /// <paramref name="timeout"/> of real time passed (an operational pause, like the dispatcher's, not FeedSync's
    /// clock), or when <paramref name="cancellationToken"/> was cancelled first: the drain then ends.
    /// </summary>
    public async Task<bool> WaitAsync(Task pulse, TimeSpan timeout, int maxWaiting, CancellationToken cancellationToken)
    {
        if (pulse.IsCompleted)
        {
            return true;
        }

        if (Interlocked.Increment(ref _waiting) > maxWaiting)
        {
            Interlocked.Decrement(ref _waiting);
            return false;
        }

        try
        {
            await pulse.WaitAsync(timeout, cancellationToken);
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
