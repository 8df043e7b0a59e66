using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace FeedSync.Publish;

/// <summary>
/// Client-side limit on Merchant API calls per minute: a token bucket refilled ten times a second by a
/// <see cref="TimeProvider"/> timer (so tests control time). After a 429 it refills at half speed, halving again
/// for each further 429, and returns to full speed once <see cref="MerchantCenterOptions.RateLimitCooldown"/>
/// passes without one. Every part of a batch takes one token, as in Google's quota accounting.
/// </summary>
internal sealed partial class MerchantRateLimiter : IDisposable
{
    private const int TicksPerSecond = 10;
    private const int MaxSlowdown = 6; // 1/64 of the configured rate at most.

    private readonly TokenBucketRateLimiter _bucket;
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private readonly TimeSpan _cooldown;
    private readonly ILogger<MerchantRateLimiter> _logger;
    private readonly double _tokensPerTick;
    private readonly Lock _gate = new();
    private int _slowdown;
    private double _carry;
    private DateTimeOffset _slowUntil;

    public MerchantRateLimiter(IOptions<MerchantCenterOptions> options, TimeProvider time, ILogger<MerchantRateLimiter> logger)
    {
        var perMinute = options.Value.CallsPerMinute;
        _time = time;
        _logger = logger;
        _cooldown = options.Value.RateLimitCooldown;
        _tokensPerTick = perMinute / 60.0 / TicksPerSecond;
        // A bucket of one second's calls (at least one batch) allows short bursts without exceeding the minute.
        TokenLimit = Math.Max(Math.Max(1, perMinute / 60), Math.Min(perMinute, options.Value.BatchSize));
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = TokenLimit,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1.0 / TicksPerSecond),
            AutoReplenishment = false,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _timer = time.CreateTimer(_ => Refill(), null, TimeSpan.FromSeconds(1.0 / TicksPerSecond), TimeSpan.FromSeconds(1.0 / TicksPerSecond));
    }

    public int TokenLimit { get; }

    /// <summary>The current refill rate as a share of the configured one (1 = full speed).</summary>
    public double Speed => 1.0 / (1 << Volatile.Read(ref _slowdown));

    /// <summary>Waits until <paramref name="calls"/> calls may go out.</summary>
    public async ValueTask AcquireAsync(int calls, CancellationToken cancellationToken)
    {
        for (var left = calls; left > 0;)
        {
            var take = Math.Min(left, TokenLimit);
            using var lease = await _bucket.AcquireAsync(take, cancellationToken);
            if (!lease.IsAcquired)
            {
                throw new InvalidOperationException("The Merchant API rate limiter refused a lease it should have queued.");
            }

            left -= take;
        }
    }

    /// <summary>Google answered 429 quota/request_rate_too_high: halve the rate and restart the cooldown.</summary>
    public void SlowDown()
    {
        lock (_gate)
        {
            _slowdown = Math.Min(MaxSlowdown, _slowdown + 1);
            _slowUntil = _time.GetUtcNow() + _cooldown;
        }

        LogSlowedDown(Speed * 100, _cooldown);
    }

    public void Dispose()
    {
        _timer.Dispose();
        _bucket.Dispose();
    }

    private void Refill()
    {
        int tokens;
        lock (_gate)
        {
            if (_slowdown > 0 && _time.GetUtcNow() >= _slowUntil)
            {
                _slowdown = 0;
            }

            // Fractional rates (a few calls per minute) accumulate until a whole token is due.
            _carry += _tokensPerTick / (1 << _slowdown);
            tokens = (int)_carry;
            _carry -= tokens;
        }

        // The bucket itself caps at TokenLimit; each TryReplenish adds one token and serves queued waiters.
        for (var i = 0; i < tokens; i++)
        {
            _bucket.TryReplenish();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Merchant API rate limited FeedSync (429): sending at {Percent}% of FeedSync:MerchantCenter:CallsPerMinute for at least {Cooldown}")]
    private partial void LogSlowedDown(double percent, TimeSpan cooldown);
}
