using Hangfire;
using Hangfire.Dashboard;
using Microsoft.Extensions.Options;

namespace FeedSync.Dashboard;

internal static class DashboardSetup
{
    public static IServiceCollection AddFeedSyncDashboard(this IServiceCollection services, IConfiguration configuration, IWebHostBuilder webHost)
    {
        services.AddOptions<FeedSyncDashboardOptions>().Bind(configuration.GetSection(FeedSyncDashboardOptions.Section));
        var url = configuration.GetSection(FeedSyncDashboardOptions.Section).Get<FeedSyncDashboardOptions>()?.Url ?? new FeedSyncDashboardOptions().Url;
        webHost.UseUrls(url.GetLeftPart(UriPartial.Authority));
        services.AddSingleton<OverviewQueries>();
        return services;
    }

    public static WebApplication MapFeedSyncDashboard(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<FeedSyncDashboardOptions>>().Value;
        OverviewPage.Register();
        app.MapHangfireDashboard(options.Path, new DashboardOptions
        {
            DashboardTitle = "FeedSync",
            DisplayStorageConnectionString = false,

            // Until sign-in exists, the dashboard answers only requests from this machine, in every environment.
            Authorization = [new LocalRequestsOnlyAuthorizationFilter()],
        });
        app.MapGet("/", () => Results.Redirect(options.Path.TrimEnd('/') + "/feedsync"));
        app.MapGet("/healthz", () => Results.Text("ok"));
        return app;
    }
}
