using System.Diagnostics;
using FeedSync.Hosting;
using FeedSync.Jobs;

namespace FeedSync.Tests.Jobs;

/// <summary>
/// Drain jobs that find nothing due wait for the dispatcher's pulse instead of ending, so a steady stream of commits
/// does not start a Hangfire job per commit; only a few wait at once, and none waits past its idle time.
/// </summary>
public sealed class DrainWakeTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Pulse_WakesEveryWaitingDrain()
    {
        var wake = new DrainWake();
        var first = wake.WaitAsync(wake.NextPulse, Long, maxWaiting: 2, CancellationToken.None);
        var second = wake.WaitAsync(wake.NextPulse, Long, maxWaiting: 2, CancellationToken.None);
        Assert.Equal(2, wake.Waiting);

        wake.Pulse();

        Assert.True(await first.WaitAsync(Long));
        Assert.True(await second.WaitAsync(Long));
        Assert.Equal(0, wake.Waiting);
    }

    [Fact]
    public async Task WaitAsync_NoPulseWithinTheIdleTime_ReturnsFalse()
    {
        var wake = new DrainWake();
        Assert.False(await wake.WaitAsync(wake.NextPulse, TimeSpan.FromMilliseconds(20), maxWaiting: 2, CancellationToken.None));
        Assert.Equal(0, wake.Waiting);
    }

    [Fact]
    public async Task WaitAsync_WhenTheMostDrainsAlreadyWait_ReturnsFalseAtOnce()
    {
        var wake = new DrainWake();
        var waiting = wake.WaitAsync(wake.NextPulse, Long, maxWaiting: 1, CancellationToken.None);

        Assert.False(await wake.WaitAsync(wake.NextPulse, Long, maxWaiting: 1, CancellationToken.None).WaitAsync(Long));
        Assert.Equal(1, wake.Waiting);
        wake.Pulse();
        Assert.True(await waiting.WaitAsync(Long));
    }

    [Fact]
    public async Task WaitAsync_APulseBeforeTheClaim_DoesNotEndIt()
    {
        // The claim after that pulse saw its work: only a later pulse is news.
        var wake = new DrainWake();
        wake.Pulse();
        var pulse = wake.NextPulse;
        Assert.False(await wake.WaitAsync(pulse, TimeSpan.FromMilliseconds(20), maxWaiting: 2, CancellationToken.None));
    }

    [Fact]
    public async Task WaitAsync_APulseDuringTheClaim_ReturnsTrueAtOnce()
    {
        // A drain that claimed nothing just as work arrived: the dispatcher saw it running, not waiting, and at the
        // drain cap starts no job, so the pulse it sent meanwhile must send this drain back to claim.
        var wake = new DrainWake();
        var pulse = wake.NextPulse;
        wake.Pulse();

        Assert.True(await wake.WaitAsync(pulse, Long, maxWaiting: 0, CancellationToken.None).WaitAsync(Long));
        Assert.Equal(0, wake.Waiting);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_ReturnsFalse()
    {
        var wake = new DrainWake();
        using var shutdown = new CancellationTokenSource();
        var waiting = wake.WaitAsync(wake.NextPulse, Long, maxWaiting: 2, shutdown.Token);

        await shutdown.CancelAsync();

        Assert.False(await waiting.WaitAsync(Long));
        Assert.Equal(0, wake.Waiting);
    }

    [Fact]
    public void TryStart_WhenTheMostDrainsRun_ReturnsFalseUntilOneEnds()
    {
        var wake = new DrainWake();
        Assert.True(wake.TryStart(maxRunning: 2));
        Assert.True(wake.TryStart(maxRunning: 2));

        Assert.False(wake.TryStart(maxRunning: 2));
        Assert.Equal(2, wake.Running);
        wake.End();
        Assert.True(wake.TryStart(maxRunning: 2));
    }

    [Fact]
    public void MaxConcurrentDrains_Zero_NamesTheKey() =>
        Assert.Contains(
            new PushOptionsValidator().Validate(null, new PushOptions { MaxConcurrentDrains = 0 }).Failures ?? [],
            p => p.Contains("FeedSync:Push:MaxConcurrentDrains", StringComparison.Ordinal));

    [Fact]
    public void DrainIdleWait_OverAMinute_NamesTheKey() =>
        Assert.Contains(
            new PushOptionsValidator().Validate(null, new PushOptions { DrainIdleWait = TimeSpan.FromMinutes(2) }).Failures ?? [],
            p => p.Contains("FeedSync:Push:DrainIdleWait", StringComparison.Ordinal));

    [Fact]
    public void DrainIdleWait_Zero_IsValid() =>
        Assert.True(new PushOptionsValidator().Validate(null, new PushOptions { DrainIdleWait = TimeSpan.Zero }).Succeeded);

    [Fact]
    public void ReserveClaim_FirstClaim_StartsAtOnce() =>
        Assert.Equal(TimeSpan.Zero, new DrainWake().ReserveClaim(Seconds(10), TimeSpan.FromMilliseconds(50)));

    [Fact]
    public void ReserveClaim_DrainsClaimingTogether_GetConsecutiveSlots()
    {
        var wake = new DrainWake();
        var now = Seconds(10);

        Assert.Equal(TimeSpan.Zero, wake.ReserveClaim(now, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(50, wake.ReserveClaim(now, TimeSpan.FromMilliseconds(50)).TotalMilliseconds, precision: 3);
        Assert.Equal(100, wake.ReserveClaim(now, TimeSpan.FromMilliseconds(50)).TotalMilliseconds, precision: 3);
    }

    [Fact]
    public void ReserveClaim_WithinTheIntervalOfTheLastSlot_WaitsOnlyForTheRest()
    {
        var wake = new DrainWake();
        wake.ReserveClaim(Seconds(10), TimeSpan.FromMilliseconds(50));

        Assert.Equal(30, wake.ReserveClaim(Seconds(10.020), TimeSpan.FromMilliseconds(50)).TotalMilliseconds, precision: 3);
    }

    [Fact]
    public void ReserveClaim_AfterTheIntervalPassed_StartsAtOnce()
    {
        var wake = new DrainWake();
        wake.ReserveClaim(Seconds(10), TimeSpan.FromMilliseconds(50));

        Assert.Equal(TimeSpan.Zero, wake.ReserveClaim(Seconds(10.080), TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void ReserveClaim_ZeroInterval_NeverWaits()
    {
        var wake = new DrainWake();
        wake.ReserveClaim(Seconds(10), TimeSpan.Zero);

        Assert.Equal(TimeSpan.Zero, wake.ReserveClaim(Seconds(10), TimeSpan.Zero));
    }

    [Fact]
    public void MinClaimInterval_OverASecond_NamesTheKey() =>
        Assert.Contains(
            new PushOptionsValidator().Validate(null, new PushOptions { MinClaimInterval = TimeSpan.FromSeconds(2) }).Failures ?? [],
            p => p.Contains("FeedSync:Push:MinClaimInterval", StringComparison.Ordinal));

    private static long Seconds(double seconds) => (long)(seconds * Stopwatch.Frequency);
}
