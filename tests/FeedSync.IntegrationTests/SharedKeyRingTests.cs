using System.Net;
using FeedSync.Demo;
using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;

namespace FeedSync.IntegrationTests;

/// <summary>The dashboard's sign-in keys live in the state database: one sign-in is good on every instance and after a restart.</summary>
public sealed class SharedKeyRingTests : IAsyncLifetime
{
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 0);
        await _feedSync.StartAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task ACookieIssuedByOneInstance_IsAcceptedByAnother_AndAfterARestart()
    {
        using var dashboard = new DashboardClient();
        Assert.True(await dashboard.SignInAsync(_feedSync.BaseUrl, FeedSyncHarness.OperatorName, FeedSyncHarness.Password));
        Assert.True(await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.dataprotection_keys") >= 1);

        // A second instance on the same database, as a second pod behind the same address would be (capture stays with the first).
        var settings = new Dictionary<string, string?>(_feedSync.Settings) { ["FeedSync:Capture:Enabled"] = "false" };
        await using (var second = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = [DemoCatalog.ConfigFile], Overrides = settings }))
        {
            await second.StartAsync();
            await AssertSignedInAsync(dashboard, second.Urls.First());
            await second.StopAsync();
        }

        await _feedSync.StopAsync();
        await _feedSync.StartAsync();
        await AssertSignedInAsync(dashboard, _feedSync.BaseUrl);

        // The cookie container sends the cookie to every port of 127.0.0.1; without it the same page is a redirect to /login.
        using var stranger = new DashboardClient();
        var (status, _) = await stranger.GetAsync(_feedSync.BaseUrl + "/hangfire/feedsync");
        Assert.Equal(HttpStatusCode.Redirect, status);
    }

    private static async Task AssertSignedInAsync(DashboardClient dashboard, string baseUrl)
    {
        var (status, page) = await dashboard.GetAsync(baseUrl + "/hangfire/feedsync");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("id=\"resync-all\"", page, StringComparison.Ordinal);
    }
}
