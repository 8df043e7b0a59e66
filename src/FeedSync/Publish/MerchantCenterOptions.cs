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

    public string AccountName => $"accounts/{AccountId}";

    public string DataSourceName => $"accounts/{AccountId}/dataSources/{DataSourceId}";
}
