using System.Globalization;
using System.Net;
using System.Text;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;

namespace FeedSync.Dashboard;

/// <summary>FeedSync's page inside the Hangfire dashboard: sync health at a glance and the latest problems.</summary>
internal sealed class OverviewPage : RazorPage
{
    /// <summary>A feed is stale when the oldest pending change is older than this.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    private static int _registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }

        DashboardRoutes.Routes.AddRazorPage("/feedsync", _ => new OverviewPage());
        NavigationMenu.Items.Add(page => new MenuItem("FeedSync", page.Url.To("/feedsync"))
        {
            Active = page.RequestPath.StartsWith("/feedsync", StringComparison.Ordinal),
        });
    }

    public override void Execute()
    {
        Layout = new LayoutPage("FeedSync");
        var queries = Context.GetHttpContext().RequestServices.GetRequiredService<OverviewQueries>();
        var overview = queries.Read();
        var stale = overview.OldestPendingAge > StaleAfter;

        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <h1 class="page-header">FeedSync</h1>
            <div class="alert {(stale ? "alert-danger" : "alert-success")}" id="freshness">
              {(stale ? "Stale: the oldest pending change has waited " + Age(overview.OldestPendingAge) : "Fresh: Merchant Center is in step with the catalog")}
            </div>
            <table class="table table-striped" id="overview">
              <tr><th>Pending products</th><td id="pending">{overview.Pending}</td></tr>
              <tr><th>Due now</th><td id="pending-due">{overview.PendingDue}</td></tr>
              <tr><th>Oldest pending change</th><td>{Age(overview.OldestPendingAge)}</td></tr>
              <tr><th>Last successful push</th><td>{When(overview.LastSuccessfulPush)}</td></tr>
              <tr><th>Calls in the last hour</th><td id="calls-hour">{overview.PushesLastHour} ({overview.FailuresLastHour} failed)</td></tr>
              <tr><th>Products Google holds (as pushed)</th><td id="in-google">{overview.ProductsInGoogle}</td></tr>
              <tr><th>Rejected locally / by Google</th><td id="problems">{overview.LocalProblems} / {overview.GoogleProblems}</td></tr>
              <tr><th>Last change captured</th><td>{When(overview.LastCaptureAt)}</td></tr>
            </table>
            <h3>Latest problems</h3>
            <table class="table table-condensed" id="latest-problems">
              <tr><th>Offer id</th><th>Destination</th><th>Source</th><th>Reason</th><th>When</th></tr>
            """);
        foreach (var problem in queries.RecentProblems(50))
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(problem.OfferId)}</td><td>{E(problem.Destination)}</td><td>{E(problem.Source)}</td><td title=\"{E(problem.Detail)}\">{E(problem.Reason)}</td><td>{When(problem.At)}</td></tr>");
        }

        html.Append("</table>");
        WriteLiteral(html.ToString());
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Age(TimeSpan? age) => age is { } a ? a.TotalSeconds < 90 ? $"{a.TotalSeconds:0.0} s" : $"{a.TotalMinutes:0} min" : "none";

    private static string When(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "never";
}
