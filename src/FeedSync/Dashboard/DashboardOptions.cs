namespace FeedSync.Dashboard;

/// <summary><c>FeedSync:Dashboard</c>: where the Hangfire dashboard with FeedSync's pages is served, and who may use it.</summary>
internal sealed class FeedSyncDashboardOptions
{
    public const string Section = "FeedSync:Dashboard";

    public Uri Url { get; set; } = new("http://127.0.0.1:5080");

    public string Path { get; set; } = "/hangfire";

    /// <summary>Users who may sign in. Empty in Development means local requests only; elsewhere start-up refuses.</summary>
    public List<DashboardUser> Users { get; set; } = [];

    /// <summary>True when the host adds its own ASP.NET Core authentication scheme whose users carry viewer/operator role claims.</summary>
    public bool ExternalAuthentication { get; set; }

    /// <summary>How long a sign-in lasts without activity.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Whether sign-in applies: users configured or an external scheme. False only in Development without users.</summary>
    public bool RequiresSignIn => Users.Count > 0 || ExternalAuthentication;
}
