using FeedSync.Hosting;
using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace FeedSync.Dashboard;

internal static class DashboardSetup
{
    public const string Policy = "FeedSyncDashboard";

    public static IServiceCollection AddFeedSyncDashboard(this IServiceCollection services, IConfiguration configuration, IWebHostBuilder webHost)
    {
        services.AddOptions<FeedSyncDashboardOptions>().Bind(configuration.GetSection(FeedSyncDashboardOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FeedSyncDashboardOptions>, DashboardOptionsValidator>();
        var configured = configuration.GetSection(FeedSyncDashboardOptions.Section).Get<FeedSyncDashboardOptions>() ?? new FeedSyncDashboardOptions();
        webHost.UseUrls(configured.Url.GetLeftPart(UriPartial.Authority));
        services.AddSingleton<OverviewQueries>();
        services.AddSingleton<ProblemsQueries>();
        services.AddSingleton<ProductQueries>();
        services.AddSingleton<UpdateBudgetQueries>();

        // Sign-in and antiforgery cookies are protected with keys every instance reads from the state database.
        services.AddStateKeyRing();

        // Hangfire validates its own POST commands with this when it is registered (a token in a meta tag, sent as a header).
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "feedsync.antiforgery";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
        });

        // A scheme supplied by the host (external identity provider) stays the default; otherwise FeedSync's cookie sign-in.
        var authentication = configured.ExternalAuthentication ? services.AddAuthentication() : services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme);
        authentication.AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, cookie =>
        {
            cookie.Cookie.Name = "feedsync.auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.LoginPath = LoginEndpoints.LoginPath;
            cookie.LogoutPath = LoginEndpoints.LogoutPath;
            cookie.AccessDeniedPath = LoginEndpoints.LoginPath;
            cookie.ExpireTimeSpan = configured.SessionLifetime;
            cookie.SlidingExpiration = true;
        });
        services.AddAuthorization(authorization => authorization.AddPolicy(Policy, policy => policy
            .RequireAuthenticatedUser()
            .RequireRole(DashboardRoles.Viewer, DashboardRoles.Operator)));
        return services;
    }

    public static WebApplication MapFeedSyncDashboard(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<FeedSyncDashboardOptions>>().Value;
        FeedSyncPages.Register();
        app.UseAuthentication();
        app.UseAuthorization();

        var dashboard = app.MapHangfireDashboard(options.Path, new DashboardOptions
        {
            DashboardTitle = "FeedSync",
            DisplayStorageConnectionString = false,
            AppPath = null,

            // Signed in: ASP.NET Core authorization has already let only viewers and operators through.
            // Development without users: this machine only, as before sign-in existed.
            Authorization = [options.RequiresSignIn ? new SignedInAuthorizationFilter() : new LocalRequestsOnlyAuthorizationFilter()],
            IsReadOnlyFunc = context => options.RequiresSignIn && !context.GetHttpContext().User.IsInRole(DashboardRoles.Operator),
        });
        if (options.RequiresSignIn)
        {
            dashboard.RequireAuthorization(Policy);
            app.MapLoginEndpoints(options);
        }

        app.MapGet("/", () => Results.Redirect(options.Path.TrimEnd('/') + "/feedsync"));
        app.MapFeedSyncHealth();
        return app;
    }

    private sealed class SignedInAuthorizationFilter : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context)
        {
            var user = context.GetHttpContext().User;
            return user.Identity?.IsAuthenticated == true && (user.IsInRole(DashboardRoles.Viewer) || user.IsInRole(DashboardRoles.Operator));
        }
    }
}
