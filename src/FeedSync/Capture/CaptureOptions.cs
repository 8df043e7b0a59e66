namespace FeedSync.Capture;

/// <summary><c>FeedSync:Capture</c>: how catalog changes are detected.</summary>
internal sealed class CaptureOptions
{
    public const string Section = "FeedSync:Capture";

    public bool Enabled { get; set; } = true;

    public string SlotName { get; set; } = "feedsync";

    public string PublicationName { get; set; } = "feedsync";

    /// <summary>How often the ingester reports its confirmed position to the server.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Wait before reconnecting after the replication connection fails.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);
}
