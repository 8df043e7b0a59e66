namespace FeedSync.Hosting;

/// <summary><c>FeedSync:State</c>: FeedSync's own database (schema <c>feedsync</c> and Hangfire's schema).</summary>
internal sealed class StateOptions
{
    public const string Section = "FeedSync:State";

    public string ConnectionString { get; set; } = "";

    public string HangfireSchema { get; set; } = "hangfire";
}
