namespace FeedSync.Publish;

/// <summary><c>FeedSync:MerchantCenter</c>: the Merchant API account FeedSync writes to.</summary>
internal sealed class MerchantCenterOptions
{
    public const string Section = "FeedSync:MerchantCenter";

    public const string DefaultEndpoint = "https://merchantapi.googleapis.com/";

    public Uri Endpoint { get; set; } = new(DefaultEndpoint);

    /// <summary>The numeric Merchant Center account id.</summary>
    public string AccountId { get; set; } = "";

    /// <summary>The numeric id of the primary API data source products are written to.</summary>
    public string DataSourceId { get; set; } = "";

    /// <summary>Path to a service-account JSON key; falls back to GOOGLE_APPLICATION_CREDENTIALS. Empty means no auth (emulator).</summary>
    public string? CredentialsFile { get; set; }

    /// <summary>Calls in flight at once against the Merchant API.</summary>
    public int MaxConcurrency { get; set; } = 16;

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How product calls travel: one HTTP batch per <see cref="BatchSize"/> calls, or one request per call.</summary>
    public MerchantTransport Transport { get; set; } = MerchantTransport.Batch;

    /// <summary>Calls per <c>batch/products/v1</c> request (Google's ceiling is 1000).</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Client-side limit on product calls per minute (each part of a batch counts, as in Google's quota).</summary>
    public int CallsPerMinute { get; set; } = 120_000;

    /// <summary>Retries within one call for 500/502/503/504, timeouts and connection failures.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>First retry delay for transient faults; grows exponentially with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest single in-call retry delay (a longer Retry-After is left to the pending queue).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Shortest wait before a product answered 429 (quota/request_rate_too_high) is tried again; a longer RetryInfo wins.</summary>
    public TimeSpan RateLimitBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the rate limiter runs slower after a 429 before it speeds up again.</summary>
    public TimeSpan RateLimitCooldown { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Share of failing calls (transient or 401/403) within <see cref="CircuitSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    public int CircuitMinimumThroughput { get; set; } = 20;

    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit blocks calls before one trial call decides whether to resume.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    public string AccountName => $"accounts/{AccountId}";

    public const int MaxBatchSize = 1000;

    /// <summary>Named HttpClient (with auth, without the product pipeline) for the Quota and Data sources sub-APIs.</summary>
    public const string AdminHttpClient = "merchant-admin";

    public string DataSourceName => $"accounts/{AccountId}/dataSources/{DataSourceId}";
}

internal enum MerchantTransport
{
    /// <summary>multipart/mixed requests to <c>batch/products/v1</c>.</summary>
    Batch,

    /// <summary>One request per call, <see cref="MerchantCenterOptions.MaxConcurrency"/> in flight.</summary>
    Concurrent,
}
