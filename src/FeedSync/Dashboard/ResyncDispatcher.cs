using FeedSync.Jobs;
using Hangfire;
using Hangfire.Dashboard;

namespace FeedSync.Dashboard;

/// <summary>
/// The dashboard's actions: resync one product (marks it pending; the fleet pushes it) or all (a background job).
/// Hangfire has already checked the antiforgery token of the POST; this adds POST-only, operator-only and a
/// same-origin check, so a viewer or a forged cross-site request changes nothing.
/// </summary>
internal sealed partial class ResyncDispatcher(bool all) : IDashboardDispatcher
{
    public async Task Dispatch(DashboardContext context)
    {
        var http = context.GetHttpContext();
        if (!HttpMethods.IsPost(http.Request.Method))
        {
            http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (context.IsReadOnly || !SameOrigin(http))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        var logger = http.RequestServices.GetRequiredService<ILogger<ResyncDispatcher>>();
        var user = http.User.Identity?.Name ?? "local user";
        if (all)
        {
            http.RequestServices.GetRequiredService<IBackgroundJobClient>().Enqueue<ResyncAllJob>(job => job.RunAsync(user, CancellationToken.None));
            LogResyncAll(logger, user);
        }
        else
        {
            var key = context.UriMatch.Groups["key"].Value;
            key = Uri.UnescapeDataString(key);
            await http.RequestServices.GetRequiredService<ForcedResync>().MarkAsync([key], http.RequestAborted);
            http.RequestServices.GetRequiredService<PushDispatcher>().Signal();
            LogResyncOne(logger, user, key);
        }

        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>A browser sends Origin on a cross-site POST; when it does, it must be this dashboard's own.</summary>
    private static bool SameOrigin(HttpContext http)
    {
        var origin = http.Request.Headers.Origin.ToString();
        return origin.Length == 0 || (Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, http.Request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dashboard: {User} asked to resync product {ProductKey}")]
    private static partial void LogResyncOne(ILogger logger, string user, string productKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dashboard: {User} asked to resync all products")]
    private static partial void LogResyncAll(ILogger logger, string user);
}
