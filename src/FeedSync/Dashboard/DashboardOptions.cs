namespace FeedSync.Dashboard;

/// <summary><c>FeedSync:Dashboard</c>: where the Hangfire dashboard with FeedSync's pages is served.</summary>
internal sealed class FeedSyncDashboardOptions
{
    public const string Section = "FeedSync:Dashboard";

    public Uri Url { get; set; } = new("http://127.0.0.1:5080");

    public string Path { get; set; } = "/hangfire";
}
