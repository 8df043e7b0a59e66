namespace FeedSync.Jobs;

/// <summary>
/// The wake-up of a background loop that otherwise sleeps until its next due instant: any number of
/// <see cref="Signal"/> calls while the loop is busy or asleep wake it exactly once. Not disposable on purpose:
/// producers may still signal while the host shuts down, and a semaphore without a wait handle holds nothing.
/// </summary>
internal sealed class WakeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Wakes the loop now (or at its next wait, if it is busy).</summary>
    public void Signal()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another caller signalled first; one wake-up is enough.
            }
        }
    }

    /// <summary>Waits for a signal or for <paramref name="timeout"/> of real time, whichever is first.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);

    /// <summary>
    /// Waits for a signal, <paramref name="timeout"/> of real time, or <paramref name="clockDelay"/> on
    /// <paramref name="clock"/> (FeedSync's clock, fake in tests), whichever is first.
    /// </summary>
    public async Task WaitAsync(TimeSpan timeout, TimeSpan? clockDelay, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var waitCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waits = new List<Task> { _signal.WaitAsync(timeout, waitCancellation.Token) };
        if (clockDelay is { } delay)
        {
            waits.Add(Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, clock, waitCancellation.Token));
        }

        await Task.WhenAny(waits);
        await waitCancellation.CancelAsync();
        try
        {
            await Task.WhenAll(waits);
        }
        catch (OperationCanceledException)
        {
            // The waits that lost the race were cancelled.
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}
