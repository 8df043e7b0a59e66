using System.Globalization;
using System.Net;
using Hangfire.Dashboard;

namespace FeedSync.Dashboard;

/// <summary>Registers FeedSync's pages, navigation entries and actions inside the Hangfire dashboard (once per process).</summary>
internal static class FeedSyncPages
{
    public const string OverviewRoute = "/feedsync";
    public const string ProblemsRoute = "/feedsync/problems";
    public const string ProductRoute = "/feedsync/product";
    public const string ResyncRoute = "/feedsync/actions/resync";
    public const string ResyncAllRoute = "/feedsync/actions/resync-all";

    private static int _registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }

        DashboardRoutes.Routes.AddRazorPage(OverviewRoute, _ => new OverviewPage());
        DashboardRoutes.Routes.AddRazorPage(ProblemsRoute, _ => new ProblemsPage());
        DashboardRoutes.Routes.AddRazorPage(ProductRoute + "/(?<key>.+)", match => new ProductPage(Uri.UnescapeDataString(match.Groups["key"].Value)));
        DashboardRoutes.Routes.Add(ResyncRoute + "/(?<key>.+)", new ResyncDispatcher(all: false));
        DashboardRoutes.Routes.Add(ResyncAllRoute, new ResyncDispatcher(all: true));

        NavigationMenu.Items.Add(page => new MenuItem("FeedSync", page.Url.To(OverviewRoute))
        {
            Active = page.RequestPath == OverviewRoute,
        });
        NavigationMenu.Items.Add(page => new MenuItem("Problems", page.Url.To(ProblemsRoute))
        {
            Active = page.RequestPath.StartsWith(ProblemsRoute, StringComparison.Ordinal),
        });
    }

    public static string ProductUrl(UrlHelper url, string productKey) => url.To(ProductRoute + "/" + Uri.EscapeDataString(productKey));

    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string Age(TimeSpan? age) => age is { } a ? a.TotalSeconds < 90 ? $"{a.TotalSeconds:0.0} s" : a.TotalHours < 3 ? $"{a.TotalMinutes:0} min" : $"{a.TotalHours:0.0} h" : "none";

    public static string When(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? "never";

    public static string Bytes(long? bytes) => bytes is { } b ? b < 1024 * 1024 ? $"{b / 1024.0:0.0} KiB" : $"{b / (1024.0 * 1024):0.0} MiB" : "no slot";

    /// <summary>Unread WAL behind the slot (Logical mode) or the age of the oldest unrecorded change-log row (Trigger mode).</summary>
    public static string CaptureLag(Overview overview) => overview.CaptureLagAge is { } age
        ? $"{Age(age)} (oldest change-log row not yet recorded)"
        : overview.CaptureLagBytes is null ? Bytes(null) : $"{Bytes(overview.CaptureLagBytes)} (unread WAL)";
}
