using System.Text.Json.Serialization;

namespace FeedSync.MerchantEmulator;

/// <summary>
/// Faults the emulator injects, adjustable at run time (<c>POST /emulator/faults</c> with this JSON, <c>GET</c> to
/// read, <c>DELETE</c> to clear). Shares are probabilities per product call (each part of a batch is one call);
/// latency applies once per HTTP request. A call that draws a fault changes nothing in the store.
/// </summary>
public sealed record FaultSettings
{
    /// <summary>Share of calls answered 429 RESOURCE_EXHAUSTED (quota/request_rate_too_high) with a RetryInfo.</summary>
    [JsonPropertyName("share429")]
    public double Share429 { get; init; }

    /// <summary>Share of calls answered 429 with quota/daily_limit_exceeded.</summary>
    [JsonPropertyName("share429Daily")]
    public double Share429Daily { get; init; }

    [JsonPropertyName("share500")]
    public double Share500 { get; init; }

    [JsonPropertyName("share503")]
    public double Share503 { get; init; }

    /// <summary>The RetryInfo.retryDelay sent with an injected 429.</summary>
    [JsonPropertyName("retryDelayMs")]
    public int RetryDelayMs { get; init; } = 1000;

    /// <summary>Added to every API request before it is answered.</summary>
    [JsonPropertyName("latencyMs")]
    public int LatencyMs { get; init; }

    /// <summary>Uniformly distributed extra latency, 0 to this many milliseconds.</summary>
    [JsonPropertyName("latencyJitterMs")]
    public int LatencyJitterMs { get; init; }

    /// <summary>Only requests with this HTTP method (e.g. <c>DELETE</c>) are delayed; null: every request.</summary>
    [JsonPropertyName("latencyMethod")]
    public string? LatencyMethod { get; init; }

    /// <summary>
    /// How many requests are delayed, counted from when these settings were set; 0: every one. One slow attempt
    /// followed by a fast retry is how a timed-out write that Google applies late looks.
    /// </summary>
    [JsonPropertyName("latencyCount")]
    public int LatencyCount { get; init; }

    /// <summary>Share of HTTP requests held for <see cref="TimeoutMs"/> and then answered 504 DEADLINE_EXCEEDED.</summary>
    [JsonPropertyName("timeoutShare")]
    public double TimeoutShare { get; init; }

    [JsonPropertyName("timeoutMs")]
    public int TimeoutMs { get; init; } = 30_000;

    public static FaultSettings None { get; } = new();

    /// <summary>Why these settings cannot be used, or null.</summary>
    public string? Problem()
    {
        double[] shares = [Share429, Share429Daily, Share500, Share503, TimeoutShare];
        if (shares.Any(s => s is < 0 or > 1 || double.IsNaN(s)) || Share429 + Share429Daily + Share500 + Share503 > 1)
        {
            return "shares must be between 0 and 1, and share429 + share429Daily + share500 + share503 at most 1";
        }

        return LatencyMs < 0 || LatencyJitterMs < 0 || TimeoutMs < 0 || RetryDelayMs < 0 || LatencyCount < 0 ? "durations and counts must not be negative" : null;
    }
}
