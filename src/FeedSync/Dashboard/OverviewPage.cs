using System.Globalization;
using System.Text;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;
using static FeedSync.Dashboard.FeedSyncPages;

namespace FeedSync.Dashboard;

/// <summary>FeedSync's first page inside the Hangfire dashboard: is the feed fresh right now, and the latest problems.</summary>
internal sealed class OverviewPage : RazorPage
{
    public override void Execute()
    {
        Layout = new LayoutPage("FeedSync");
        var queries = Context.GetHttpContext().RequestServices.GetRequiredService<OverviewQueries>();
        var overview = queries.Read();
        var alarms = overview.Alarms();
        var budget = Context.GetHttpContext().RequestServices.GetRequiredService<UpdateBudgetQueries>().DeferralsAsync(CancellationToken.None).GetAwaiter().GetResult();

        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <h1 class="page-header">FeedSync</h1>
            <div class="alert {(alarms.Count > 0 ? "alert-danger" : "alert-success")}" id="freshness">
              {(alarms.Count > 0 ? "Not fresh: " + E(string.Join("; ", alarms)) : "Fresh: Merchant Center is in step with the catalog")}
            </div>
            <table class="table table-striped" id="overview">
              <tr><th>Pending products</th><td id="pending">{overview.Pending}</td></tr>
              <tr><th>Due now</th><td id="pending-due">{overview.PendingDue}</td></tr>
              <tr><th>Oldest pending change</th><td id="oldest-pending">{Age(overview.OldestPendingAge)}</td></tr>
              <tr><th>Last successful push</th><td id="last-push">{When(overview.LastSuccessfulPush)}</td></tr>
              <tr><th>Calls in the last hour</th><td id="calls-hour">{overview.PushesLastHour} ({overview.FailuresLastHour} failed)</td></tr>
              <tr><th>Calls in the last day</th><td id="calls-day">{overview.PushesLastDay} ({overview.FailuresLastDay} failed)</td></tr>
              <tr><th>Credentials (401/403 in the last hour)</th><td id="credentials">{(overview.CredentialFailuresLastHour == 0 ? "accepted" : $"refused {overview.CredentialFailuresLastHour} time(s)")}</td></tr>
              <tr><th>Products Google holds (as pushed)</th><td id="in-google">{overview.ProductsInGoogle}</td></tr>
              <tr><th>Rejected locally / by Google</th><td id="problems">{overview.LocalProblems} / {overview.GoogleProblems}</td></tr>
              <tr><th>Google item issues / disapproved</th><td id="google-issues">{overview.GoogleIssues} / {overview.GoogleDisapproved} (status pulled {When(overview.LastStatusPull)})</td></tr>
              <tr><th>Last change captured</th><td id="last-capture">{When(overview.LastCaptureAt)}</td></tr>
              <tr><th>Cosmetic changes waiting for the update budget</th><td id="budget-deferred">{budget.Deferred} destination(s){(budget.NextFlush is { } flush ? ", next flush " + When(flush) : "")}</td></tr>
              <tr><th>Capture lag</th><td id="capture-lag">{CaptureLag(overview)}{(overview.CaptureSlotActive == false ? " (slot not being read)" : "")}</td></tr>
            </table>
            """);
        if (!IsReadOnly)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <p><button class="btn btn-default" id="resync-all" data-ajax="{Url.To(ResyncAllRoute)}"
                   data-confirm="Re-read every product and push whatever differs from what Google holds?">Resync all products</button></p>
                """);
        }

        html.Append(CultureInfo.InvariantCulture, $"""
            <h3>Latest problems <small><a href="{Url.To(ProblemsRoute)}">all problems</a></small></h3>
            <table class="table table-condensed" id="latest-problems">
              <tr><th>Offer id</th><th>Destination</th><th>Source</th><th>Reason</th><th>When</th></tr>
            """);
        foreach (var problem in queries.RecentProblems(20))
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td><a href=\"{E(ProductUrl(Url, problem.ProductKey))}\">{E(problem.OfferId)}</a></td><td>{E(problem.Destination)}</td><td>{E(problem.Source)}</td><td title=\"{E(problem.Detail)}\">{E(problem.Reason)}</td><td>{When(problem.At)}</td></tr>");
        }

        html.Append("</table>");
        WriteLiteral(html.ToString());
    }
}
