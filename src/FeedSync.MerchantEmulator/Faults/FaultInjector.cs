namespace FeedSync.MerchantEmulator;

/// <summary>Draws the injected faults for each call from the current <see cref="FaultSettings"/>.</summary>
internal sealed class FaultInjector
{
    private FaultSettings _settings = FaultSettings.None;
    private int _delaysLeft;

    public FaultSettings Settings
    {
        get => Volatile.Read(ref _settings);
        set
        {
            Volatile.Write(ref _delaysLeft, value.LatencyCount);
            Volatile.Write(ref _settings, value);
        }
    }

    /// <summary>Waits the configured latency; returns a 504 when this request draws a timeout.</summary>
    public async Task<ApiException?> DelayAsync(string method)
    {
        var settings = Settings;
        if (settings.TimeoutShare > 0 && Random.Shared.NextDouble() < settings.TimeoutShare)
        {
            await Task.Delay(settings.TimeoutMs);
            return new ApiException(504, "DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED", "The request deadline was exceeded (injected timeout).");
        }

        var latency = settings.LatencyMs + (settings.LatencyJitterMs > 0 ? Random.Shared.Next(settings.LatencyJitterMs + 1) : 0);
        // Latency first: a request that would not be delayed must not spend one of the LatencyCount delays.
        var delayed = latency > 0
            && (settings.LatencyMethod is null || string.Equals(settings.LatencyMethod, method, StringComparison.OrdinalIgnoreCase))
            && (settings.LatencyCount == 0 || Interlocked.Decrement(ref _delaysLeft) >= 0);
        if (delayed)
        {
            await Task.Delay(latency);
        }

        return null;
    }

    /// <summary>The error this call draws, or null to serve it normally.</summary>
    public ApiException? Draw()
    {
        var settings = Settings;
        var roll = Random.Shared.NextDouble();
        if ((roll -= settings.Share429) < 0)
        {
            return new ApiException(429, "RESOURCE_EXHAUSTED", "quota/request_rate_too_high",
                "Quota exceeded for quota metric 'Product write requests' (quota/request_rate_too_high).")
            { RetryDelay = TimeSpan.FromMilliseconds(settings.RetryDelayMs) };
        }

        if ((roll -= settings.Share429Daily) < 0)
        {
            return new ApiException(429, "RESOURCE_EXHAUSTED", "quota/daily_limit_exceeded",
                "Daily quota exceeded for product write requests (quota/daily_limit_exceeded).");
        }

        if ((roll -= settings.Share500) < 0)
        {
            return new ApiException(500, "INTERNAL", "INTERNAL", "Internal error encountered (injected).");
        }

        return (roll -= settings.Share503) < 0
            ? new ApiException(503, "UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable (injected).")
            : null;
    }
}
