using System.Globalization;
using System.Text;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;
using static FeedSync.Dashboard.FeedSyncPages;

namespace FeedSync.Dashboard;

/// <summary>One product's timeline: pending state, what Google holds, each push with its reason and Google's answer, problems.</summary>
internal sealed class ProductPage(string productKey) : RazorPage
{
    public override void Execute()
    {
        Layout = new LayoutPage("FeedSync product " + productKey);
        var timeline = Context.GetHttpContext().RequestServices.GetRequiredService<ProductQueries>().Read(productKey);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<h1 class=\"page-header\">Product <code id=\"product-key\">{E(productKey)}</code></h1>");
        if (!IsReadOnly)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<p><button class=\"btn btn-primary\" id=\"resync-now\" data-ajax=\"{E(Url.To(ResyncRoute + "/" + Uri.EscapeDataString(productKey)))}\">Resync now</button></p>");
        }

        html.Append("<h3>Capture</h3>");
        html.Append(timeline.Pending is { } pending
            ? string.Create(CultureInfo.InvariantCulture, $"<p id=\"pending-state\">Pending since {When(pending.FirstDirtyAt)} (last change {When(pending.LastDirtyAt)}), due {When(pending.NotBefore)}, {pending.Attempts} failed attempt(s){(pending.LastError is null ? "" : ": " + E(pending.LastError))}</p>")
            : "<p id=\"pending-state\">Not pending: FeedSync has pushed every captured change.</p>");
        html.Append(CultureInfo.InvariantCulture, $"<p>Calls for this product in the last day: <span id=\"calls-day\">{timeline.PushesLastDay}</span> (Google asks for at most about two updates a day per product).</p>");
        var budget = Context.GetHttpContext().RequestServices.GetRequiredService<UpdateBudgetQueries>().ForProductAsync(productKey, CancellationToken.None).GetAwaiter().GetResult();
        html.Append(BudgetSection(budget));

        html.Append("<h3>What Google holds</h3><table class=\"table table-condensed\" id=\"destinations\"><tr><th>Destination</th><th>Offer id</th><th>Last push</th><th>Last full insert</th><th>Next push</th><th>Payload</th></tr>");
        foreach (var destination in timeline.Destinations)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(destination.Destination)}</td><td>{E(destination.OfferId)}</td><td>{When(destination.PushedAt)}</td><td>{When(destination.LastInsertAt)}</td><td>{(destination.ForceReason is { } force ? "full insert: " + E(Diff.ForceReason.Describe(force)) : "diff")}</td><td><details><summary>show</summary><pre>{E(destination.Payload)}</pre></details></td></tr>");
        }

        html.Append("</table><h3>Google's status</h3><table class=\"table table-condensed\" id=\"google-status\"><tr><th>Destination</th><th>Disapproved</th><th>Issues</th>" + ProblemsPage.ChangedHeader + "</tr>");
        foreach (var status in timeline.GoogleStatus)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(status.Destination)}</td><td>{(status.Disapproved ? "yes" : "no")}</td><td>{ProblemsPage.IssueList(status.Issues)}</td><td>{When(status.ChangedAt)}</td></tr>");
        }

        html.Append("</table><h3>Problems</h3><table class=\"table table-condensed\" id=\"product-problems\"><tr><th>Destination</th><th>Source</th><th>Reason</th><th>Detail</th><th>When</th></tr>");
        foreach (var problem in timeline.Problems)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(problem.Destination)}</td><td>{E(problem.Source)}</td><td>{E(problem.Reason)}</td><td>{E(problem.Detail)}</td><td>{When(problem.At)}</td></tr>");
        }

        html.Append(CultureInfo.InvariantCulture, $"</table><h3>Pushes (newest {ProductQueries.TimelineLimit})</h3><table class=\"table table-condensed\" id=\"pushes\"><tr><th>When</th><th>Destination</th><th>Call</th><th>Update mask</th><th>Why</th><th>Google's answer</th></tr>");
        foreach (var push in timeline.Pushes)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{When(push.At)}</td><td>{E(push.Destination)}</td><td>{E(push.Action)}</td><td>{E(push.UpdateMask)}</td><td>{E(push.Why)}</td><td>{push.HttpStatus} {E(push.Outcome)}{(push.Reason is null ? "" : " — " + E(push.Reason))}</td></tr>");
        }

        html.Append("</table>");
        WriteLiteral(html.ToString());
    }

    /// <summary>Budget use per destination: cosmetic pushes in the rolling 24 h against the limit, and what waits until when.</summary>
    private static string BudgetSection(IReadOnlyList<BudgetUse> budget)
    {
        var html = new StringBuilder("<h3>Update budget</h3><table class=\"table table-condensed\" id=\"budget\"><tr><th>Destination</th><th>Cosmetic pushes (rolling 24 h)</th><th>Critical pushes</th><th>Deferred changes</th><th>Flush at</th></tr>");
        foreach (var row in budget)
        {
            var limit = row.CosmeticPushesPerDay == 0 ? "no limit" : row.CosmeticPushesPerDay.ToString(CultureInfo.InvariantCulture);
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(row.Scope)}</td><td class=\"budget-used\">{row.CosmeticPushesLastDay} / {limit}</td><td>{row.CriticalPushes} (last {When(row.LastCriticalAt)})</td>"
                + $"<td class=\"budget-deferred\">{(row.DeferredUntil is null ? "none" : E(row.DeferredChanges) + " (since " + When(row.DeferredSince) + ")")}</td>"
                + $"<td class=\"budget-flush\">{(row.DeferredUntil is null ? "" : When(row.DeferredUntil))}</td></tr>");
        }

        if (budget.Count == 0)
        {
            html.Append("<tr><td colspan=\"5\">No budgeted push yet.</td></tr>");
        }

        return html.Append("</table>").ToString();
    }
}
