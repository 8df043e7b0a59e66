using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace FeedSync.Publish;

/// <summary>
/// Client-side limit on Merchant API calls per minute: a <see cref="TokenBucketRateLimiter"/> holding one
/// second's calls (at least one batch). After a 429 it is replaced by a bucket refilling at half the rate, halving
/// again for each further 429; once <see cref="MerchantCenterOptions.RateLimitCooldown"/> passes without one, the
/// full rate returns. Every part of a batch takes one token, as in Google's quota accounting.
/// </summary>
internal sealed partial class MerchantRateLimiter : IDisposable
{
    private const int MaxSlowdown = 6; // 1/64 of the configured rate at most.

    private readonly int _batchSize;
    private int _perMinute;
    private readonly TimeProvider _time;
    private readonly TimeSpan _cooldown;
    private readonly ILogger<MerchantRateLimiter> _logger;
    private readonly Lock _gate = new();
    private TokenBucketRateLimiter _bucket;
    private int _slowdown;
    private DateTimeOffset _slowUntil;

    public MerchantRateLimiter(IOptions<MerchantCenterOptions> options, TimeProvider time, ILogger<MerchantRateLimiter> logger)
    {
        _perMinute = options.Value.CallsPerMinute;
        _time = time;
        _logger = logger;
        _cooldown = options.Value.RateLimitCooldown;
        _batchSize = options.Value.BatchSize;
        TokenLimit = BucketSize(_perMinute);
        _bucket = Bucket(0);
    }

    public int TokenLimit { get; private set; }

    public int CallsPerMinute => Volatile.Read(ref _perMinute);

    /// <summary>Adopts a new per-minute limit (e.g. the account's quota read from the Quota sub-API).</summary>
    public void SetCallsPerMinute(int perMinute)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perMinute, 1);
        lock (_gate)
        {
            if (perMinute == _perMinute)
            {
                return;
            }

            _perMinute = perMinute;
            TokenLimit = BucketSize(perMinute);
            Swap(_slowdown);
        }

        LogLimitChanged(perMinute);
    }

    /// <summary>The current refill rate as a share of the configured one (1 = full speed).</summary>
    public double Speed
    {
        get
        {
            RestoreAfterCooldown();
            return 1.0 / (1 << Volatile.Read(ref _slowdown));
        }
    }

    /// <summary>Waits until <paramref name="calls"/> calls may go out.</summary>
    public async ValueTask AcquireAsync(int calls, CancellationToken cancellationToken)
    {
        RestoreAfterCooldown();
        for (var left = calls; left > 0;)
        {
            var take = Math.Min(left, TokenLimit);
            var bucket = Volatile.Read(ref _bucket);
            try
            {
                using var lease = await bucket.AcquireAsync(take, cancellationToken);
                if (lease.IsAcquired)
                {
                    left -= take;
                }

                // Not acquired: the bucket was swapped for a slower or faster one while we queued; queue on the new one.
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Google answered 429 quota/request_rate_too_high: halve the rate and restart the cooldown.</summary>
    public void SlowDown()
    {
        int level;
        lock (_gate)
        {
            _slowUntil = _time.GetUtcNow() + _cooldown;
            if (_slowdown == MaxSlowdown)
            {
                return;
            }

            level = ++_slowdown;
            Swap(level);
        }

        LogSlowedDown(100.0 / (1 << level), _cooldown);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _bucket.Dispose();
        }
    }

    private void RestoreAfterCooldown()
    {
        if (Volatile.Read(ref _slowdown) == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_slowdown > 0 && _time.GetUtcNow() >= _slowUntil)
            {
                _slowdown = 0;
                Swap(0);
                LogRestored();
            }
        }
    }

    private void Swap(int level)
    {
        var old = _bucket;
        var replacement = Bucket(level);
        // A fresh bucket starts full; start it empty so a slowdown does not begin with a burst.
        replacement.AttemptAcquire(TokenLimit).Dispose();
        Volatile.Write(ref _bucket, replacement);
        old.Dispose(); // queued waiters get a failed lease and re-queue on the new bucket
    }

    // A bucket of one second's calls (at least one batch) allows short bursts without exceeding the minute.
    private int BucketSize(int perMinute) => Math.Max(Math.Max(1, perMinute / 60), Math.Min(perMinute, _batchSize));

    private TokenBucketRateLimiter Bucket(int level)
    {
        var perSecond = _perMinute / 60.0 / (1 << level);
        // Ten refills a second when the rate allows whole tokens; slower rates refill one token per interval.
        var (tokens, period) = perSecond >= 10
            ? ((int)Math.Round(perSecond / 10), TimeSpan.FromMilliseconds(100))
            : (1, TimeSpan.FromSeconds(1 / perSecond));
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = TokenLimit,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            AutoReplenishment = true,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Merchant API rate limited FeedSync (429): sending at {Percent}% of FeedSync:MerchantCenter:CallsPerMinute for at least {Cooldown}")]
    private partial void LogSlowedDown(double percent, TimeSpan cooldown);

    [LoggerMessage(Level = LogLevel.Information, Message = "Merchant API client limit set to {CallsPerMinute} calls per minute")]
    private partial void LogLimitChanged(int callsPerMinute);

    [LoggerMessage(Level = LogLevel.Information, Message = "Merchant API rate limit cooldown over: back to FeedSync:MerchantCenter:CallsPerMinute")]
    private partial void LogRestored();
}
