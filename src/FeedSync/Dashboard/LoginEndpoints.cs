using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace FeedSync.Dashboard;

/// <summary>A small sign-in page for the configured dashboard users (cookie authentication, antiforgery-protected form).</summary>
internal static partial class LoginEndpoints
{
    public const string LoginPath = "/login";
    public const string LogoutPath = "/logout";

    public static void MapLoginEndpoints(this WebApplication app, FeedSyncDashboardOptions options)
    {
        var home = options.Path.TrimEnd('/') + "/feedsync";
        app.MapGet(LoginPath, (HttpContext context, IAntiforgery antiforgery) => Page(context, antiforgery, error: null));
        app.MapPost(LoginPath, async (HttpContext context, IAntiforgery antiforgery, ILoggerFactory loggers) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.StatusCode(StatusCodes.Status400BadRequest);
            }

            var form = await context.Request.ReadFormAsync();
            var name = form["username"].ToString();
            var user = options.Users.FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase));

            // Verify against a dummy hash for unknown names too, so timing does not reveal which names exist.
            var valid = PasswordHashing.Verify(form["password"].ToString(), user?.PasswordHash ?? DummyHash.Value) && user is not null;
            var logger = loggers.CreateLogger("FeedSync.Dashboard.Login");
            if (!valid)
            {
                LogFailed(logger, name.Length > 64 ? name[..64] : name);
                return Page(context, antiforgery, "Unknown user or wrong password.");
            }

            var identity = new ClaimsIdentity(
                [new Claim(ClaimTypes.Name, user!.Name), new Claim(ClaimTypes.Role, user.Role)],
                CookieAuthenticationDefaults.AuthenticationScheme);
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
            LogSignedIn(logger, user.Name, user.Role);
            var returnUrl = context.Request.Query["ReturnUrl"].ToString();
            return Results.LocalRedirect(IsLocal(returnUrl) ? returnUrl : home);
        });
        app.MapPost(LogoutPath, async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.StatusCode(StatusCodes.Status400BadRequest);
            }

            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect(LoginPath);
        });
    }

    private static readonly Lazy<string> DummyHash = new(() => PasswordHashing.Hash(Guid.NewGuid().ToString()));

    private static bool IsLocal(string url) => url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);

    private static IResult Page(HttpContext context, IAntiforgery antiforgery, string? error)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        var action = LoginPath + context.Request.QueryString.Value;
        var message = error is null ? "" : $"<p class=\"error\" id=\"login-error\">{WebUtility.HtmlEncode(error)}</p>";
        var denied = context.User.Identity?.IsAuthenticated == true
            ? "<p class=\"error\">You are signed in without a dashboard role (viewer or operator).</p>" : "";
        context.Response.Headers["X-Frame-Options"] = "DENY";
        return Results.Content($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>FeedSync — sign in</title>
            <style>body{font-family:sans-serif;max-width:22em;margin:5em auto}label,input,button{display:block;width:100%;margin:.3em 0}.error{color:#b00}</style>
            </head><body>
            <h1>FeedSync</h1>
            {{denied}}{{message}}
            <form method="post" action="{{WebUtility.HtmlEncode(action)}}">
              <input type="hidden" name="{{tokens.FormFieldName}}" value="{{tokens.RequestToken}}">
              <label for="username">User</label><input id="username" name="username" autocomplete="username" required>
              <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
              <button type="submit" id="sign-in">Sign in</button>
            </form>
            </body></html>
            """, "text/html; charset=utf-8", statusCode: error is null ? 200 : 401);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dashboard sign-in failed for user name {UserName}")]
    private static partial void LogFailed(ILogger logger, string userName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dashboard user {UserName} signed in as {Role}")]
    private static partial void LogSignedIn(ILogger logger, string userName, string role);
}
