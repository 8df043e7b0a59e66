namespace FeedSync.Capture;

/// <summary>How catalog changes are detected.</summary>
internal enum CaptureMode
{
    /// <summary>Logical decoding (<c>pgoutput</c>): no write footprint on the catalog; needs wal_level = logical and REPLICATION.</summary>
    LogicalReplication,

    /// <summary>AFTER triggers write a change log that FeedSync polls: works on any PostgreSQL ≥ 13 without replication rights.</summary>
    Trigger,
}

/// <summary><c>FeedSync:Capture</c>: how catalog changes are detected.</summary>
internal sealed class CaptureOptions
{
    public const string Section = "FeedSync:Capture";

    public bool Enabled { get; set; } = true;

    public CaptureMode Mode { get; set; } = CaptureMode.LogicalReplication;

    public string SlotName { get; set; } = "feedsync";

    public string PublicationName { get; set; } = "feedsync";

    /// <summary>How often the ingester reports its confirmed position to the server.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Wait before reconnecting after the replication connection fails.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a standby instance retries to become the capture leader (failover takes at most this long after the leader's connection drops).</summary>
    public TimeSpan LeaderRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often an empty logical message is written so a quiet catalog still lets the slot advance (Logical mode).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the slot's health (wal_status, retained WAL, lag) is read and logged (Logical mode).</summary>
    public TimeSpan HealthInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retained WAL above which the slot is reported as degraded.</summary>
    public long WarnRetainedBytes { get; set; } = 1L << 30;

    /// <summary>
    /// How long DDL on catalog tables (publishing them, the trigger install, the change log's upgrade) waits for its lock before giving up.
    /// Short on purpose: a statement queued for a lock blocks every later write to that table until it gets it.
    /// </summary>
    public TimeSpan DdlLockTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the trigger change log is polled (Trigger mode).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Change-log rows read per poll (Trigger mode).</summary>
    public int PollBatchSize { get; set; } = 10_000;
}
