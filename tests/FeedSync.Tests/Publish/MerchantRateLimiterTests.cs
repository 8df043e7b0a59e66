using FeedSync.Publish;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FeedSync.Tests.Publish;

/// <summary>The client-side token bucket and its slowdown after 429s (the cooldown runs on a fake clock).</summary>
public sealed class MerchantRateLimiterTests
{
    private static MerchantRateLimiter Limiter(TimeProvider time, int perMinute) => new(
        Options.Create(new MerchantCenterOptions { CallsPerMinute = perMinute, BatchSize = 1, RateLimitCooldown = TimeSpan.FromMinutes(1) }),
        time, NullLogger<MerchantRateLimiter>.Instance);

    [Fact]
    public async Task AcquireAsync_BeyondTheBucket_WaitsForARefill()
    {
        using var limiter = Limiter(TimeProvider.System, perMinute: 60); // one call a second, bucket of one

        await limiter.AcquireAsync(1, CancellationToken.None);
        var next = limiter.AcquireAsync(1, CancellationToken.None).AsTask();

        Assert.False(next.IsCompleted);
        await next; // the refill (one second later) lets it through
    }

    [Fact]
    public void SlowDown_HalvesTheRatePerRateLimit_UntilTheCooldownPasses()
    {
        var time = new FakeTimeProvider();
        using var limiter = Limiter(time, perMinute: 6000);

        limiter.SlowDown();
        limiter.SlowDown();

        Assert.Equal(0.25, limiter.Speed);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0.25, limiter.Speed);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1.0, limiter.Speed);
    }

    [Fact]
    public async Task AcquireAsync_WaitingWhileTheRateChanges_StillGetsThrough()
    {
        using var limiter = Limiter(TimeProvider.System, perMinute: 600); // bucket of 10
        await limiter.AcquireAsync(10, CancellationToken.None);
        var waiting = limiter.AcquireAsync(1, CancellationToken.None).AsTask();

        limiter.SlowDown();

        await waiting;
        Assert.True(waiting.IsCompletedSuccessfully);
    }
}
