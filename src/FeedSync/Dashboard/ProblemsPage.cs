using System.Globalization;
using System.Text;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;
using static FeedSync.Dashboard.FeedSyncPages;

namespace FeedSync.Dashboard;

/// <summary>Products rejected locally or by Google, and items Google reports issues for; paged, searchable by offer id.</summary>
internal sealed class ProblemsPage : RazorPage
{
    public const int PageSize = 50;

    public override void Execute()
    {
        Layout = new LayoutPage("FeedSync problems");
        var queries = Context.GetHttpContext().RequestServices.GetRequiredService<ProblemsQueries>();
        var query = Context.GetHttpContext().Request.Query;
        var kind = query["kind"].ToString() is "google-issues" ? "google-issues" : "rejected";
        var source = query["source"].ToString() is "local" or "google" ? query["source"].ToString() : null;
        var search = query["q"].ToString().Trim();
        var page = int.TryParse(query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 ? Math.Min(p, 100_000) : 1;
        var offset = (page - 1) * PageSize;

        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <h1 class="page-header">Problems</h1>
            <ul class="nav nav-tabs">
              <li class="{(kind == "rejected" && source is null ? "active" : "")}"><a href="{Link("rejected", null, search, 1)}">Rejected</a></li>
              <li class="{(source == "local" ? "active" : "")}"><a href="{Link("rejected", "local", search, 1)}">Rejected by FeedSync</a></li>
              <li class="{(source == "google" ? "active" : "")}"><a href="{Link("rejected", "google", search, 1)}">Rejected by Google</a></li>
              <li class="{(kind == "google-issues" ? "active" : "")}"><a href="{Link("google-issues", null, search, 1)}">Google item issues</a></li>
            </ul>
            <form method="get" class="form-inline" style="margin:1em 0" id="search">
              <input type="hidden" name="kind" value="{kind}">
              {(source is null ? "" : $"<input type=\"hidden\" name=\"source\" value=\"{source}\">")}
              <input class="form-control" name="q" id="offer-search" placeholder="offer id (prefix)" value="{E(search)}">
              <button class="btn btn-default" type="submit">Search</button>
            </form>
            """);

        int count;
        if (kind == "rejected")
        {
            var rows = queries.Rejections(source, search, offset, PageSize + 1);
            count = rows.Count;
            html.Append("<table class=\"table table-condensed\" id=\"problems\"><tr><th>Offer id</th><th>Destination</th><th>Source</th><th>Reason</th><th>Detail</th><th>When</th></tr>");
            foreach (var row in rows.Take(PageSize))
            {
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td><a href=\"{E(ProductUrl(Url, row.ProductKey))}\">{E(row.OfferId)}</a></td><td>{E(row.Destination)}</td><td>{E(row.Source)}</td><td>{E(row.Reason)}</td><td>{E(row.Detail)}</td><td>{When(row.At)}</td></tr>");
            }
        }
        else
        {
            var rows = queries.GoogleIssues(search, offset, PageSize + 1);
            count = rows.Count;
            html.Append("<table class=\"table table-condensed\" id=\"google-issues\"><tr><th>Offer id</th><th>Destination</th><th>Disapproved</th><th>Issues</th>" + ChangedHeader + "</tr>");
            foreach (var row in rows.Take(PageSize))
            {
                var offer = row.ProductKey is null ? E(row.OfferId) : $"<a href=\"{E(ProductUrl(Url, row.ProductKey))}\">{E(row.OfferId)}</a>";
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{offer}</td><td>{E(row.Destination)}</td><td>{(row.Disapproved ? "<span class=\"label label-danger\">disapproved</span>" : "no")}</td><td>{IssueList(row.Issues)}</td><td>{When(row.ChangedAt)}</td></tr>");
            }
        }

        html.Append("</table><ul class=\"pager\">");
        if (page > 1)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li class=\"previous\"><a href=\"{Link(kind, source, search, page - 1)}\">&larr; Newer</a></li>");
        }

        if (count > PageSize)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li class=\"next\"><a href=\"{Link(kind, source, search, page + 1)}\" id=\"next-page\">Older &rarr;</a></li>");
        }

        html.Append("</ul>");
        WriteLiteral(html.ToString());
    }

    private string Link(string kind, string? source, string search, int page) =>
        E(Url.To(ProblemsRoute) + $"?kind={kind}" + (source is null ? "" : $"&source={source}")
          + (search.Length == 0 ? "" : "&q=" + Uri.EscapeDataString(search)) + (page > 1 ? $"&page={page}" : ""));

    /// <summary>The column header for a Google status's time, here and on the product page.</summary>
    internal const string ChangedHeader = "<th title=\"when Google's answer last changed, as the status pull saw it\">Changed</th>";

    /// <summary>Google's item-level issues as a short list: severity, code and description, with the attribute concerned.</summary>
    internal static string IssueList(string issuesJson)
    {
        var html = new StringBuilder("<ul class=\"list-unstyled\">");
        if (System.Text.Json.Nodes.JsonNode.Parse(issuesJson) is System.Text.Json.Nodes.JsonArray issues)
        {
            foreach (var issue in issues)
            {
                var severity = issue?["severity"]?.ToString();
                var attribute = issue?["attribute"]?.ToString();
                html.Append(CultureInfo.InvariantCulture,
                    $"<li><strong>{E(severity)}</strong> {E(issue?["code"]?.ToString())}: {E(issue?["description"]?.ToString())}{(attribute is null ? "" : $" ({E(attribute)})")}</li>");
            }
        }

        return html.Append("</ul>").ToString();
    }
}
