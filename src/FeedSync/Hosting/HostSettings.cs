namespace FeedSync.Hosting;

/// <summary>How a CLI verb (or a test) wants the host built.</summary>
internal sealed record HostSettings
{
    public string[] Args { get; init; } = [];

    /// <summary>Extra JSON configuration files, applied after <c>config/appsettings*.json</c> and before the environment.</summary>
    public IReadOnlyList<string> ConfigFiles { get; init; } = [];

    /// <summary>In-memory overrides applied last (tests, benchmarks).</summary>
    public IReadOnlyDictionary<string, string?> Overrides { get; init; } = new Dictionary<string, string?>();

    /// <summary>Serve the dashboard and run capture, dispatch and Hangfire workers; false for one-shot verbs.</summary>
    public bool RunWorker { get; init; } = true;

    /// <summary>The clock FeedSync runs on (sale boundaries, budgets); tests pass a fake one. Null: the system clock.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>Run the demo's gentle stream of catalog changes as well.</summary>
    public double DemoChangesPerSecond { get; init; }
}
