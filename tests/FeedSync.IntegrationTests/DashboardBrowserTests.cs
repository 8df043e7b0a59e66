using System.Net;
using FeedSync.IntegrationTests.Infrastructure;
using OpenQA.Selenium;

namespace FeedSync.IntegrationTests;

/// <summary>FeedSync's dashboard pages in headless Chromium, against a running FeedSync in Production mode (sign-in required).</summary>
public sealed class DashboardBrowserTests : IAsyncLifetime
{
    private FeedSyncHarness _feedSync = null!;
    private Browser _browser = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 20);
        await _feedSync.StartAndSyncAsync();
        _browser = Browser.Start();
    }

    public async Task DisposeAsync()
    {
        _browser.Dispose();
        await _feedSync.DisposeAsync();
    }

    [Fact]
    public async Task Operator_SeesTheDatabaseCounts_AndResyncNowLeadsToAPushTheEmulatorReceives()
    {
        var (productKey, offerId) = await PickProductAsync();
        await _feedSync.Database.ExecuteAsync(
            "INSERT INTO feedsync.product_problems (product_key, offer_id, content_language, feed_label, source, reason) VALUES ('p-1', 'bad-offer', 'en', 'US', 'local', 'price is missing')");

        _browser.SignIn(_feedSync.BaseUrl, FeedSyncHarness.OperatorName, FeedSyncHarness.Password);

        Assert.Equal((await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.pending")).ToString(), _browser.Text("pending"));
        Assert.Equal((await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed")).ToString(), _browser.Text("in-google"));
        Assert.StartsWith("1 / ", _browser.Text("problems"), StringComparison.Ordinal);
        Assert.Contains("Fresh", _browser.Text("freshness"), StringComparison.Ordinal);
        Assert.True(_browser.Has("resync-all"));

        _browser.Driver.FindElement(By.LinkText("Problems")).Click();
        _browser.WaitFor(d => d.FindElements(By.Id("problems")).Count > 0, "the problems page");
        Assert.Contains("price is missing", _browser.Text("problems"), StringComparison.Ordinal);

        _browser.Driver.Navigate().GoToUrl($"{_feedSync.BaseUrl}/hangfire/feedsync/product/{Uri.EscapeDataString(productKey)}");
        Assert.Contains("not pushed before", _browser.Text("pushes"), StringComparison.Ordinal);
        var calls = _feedSync.CallsFor(offerId);
        _browser.Driver.FindElement(By.Id("resync-now")).Click();

        await Wait.UntilAsync(() => _feedSync.CallsFor(offerId) > calls, TimeSpan.FromSeconds(30), $"the emulator receives a push for {offerId}");
        await Wait.UntilAsync(async () => await _feedSync.PendingAsync() == 0, TimeSpan.FromSeconds(30), "the push is recorded");
        _browser.Driver.Navigate().Refresh();
        Assert.Contains("resync requested by an operator", _browser.Text("pushes"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Viewer_SeesThePagesButNoActions_AndForgedActionRequestsAreRefused()
    {
        var (productKey, offerId) = await PickProductAsync();
        var resyncUrl = $"{_feedSync.BaseUrl}/hangfire/feedsync/actions/resync/{Uri.EscapeDataString(productKey)}";
        var calls = _feedSync.CallsFor(offerId);

        _browser.SignIn(_feedSync.BaseUrl, FeedSyncHarness.ViewerName, FeedSyncHarness.Password);
        Assert.False(_browser.Has("resync-all"));
        _browser.Driver.Navigate().GoToUrl($"{_feedSync.BaseUrl}/hangfire/feedsync/product/{Uri.EscapeDataString(productKey)}");
        Assert.True(_browser.Has("pushes"));
        Assert.False(_browser.Has("resync-now"));

        // A viewer's request carrying a valid antiforgery token is still read-only.
        Assert.Equal(403, _browser.Post(resyncUrl, withAntiforgeryToken: true));

        // An operator's session without the token (what a cross-site form or script can send) is refused too.
        _browser.Driver.Manage().Cookies.DeleteAllCookies();
        _browser.SignIn(_feedSync.BaseUrl, FeedSyncHarness.OperatorName, FeedSyncHarness.Password);
        Assert.Equal(403, _browser.Post(resyncUrl, withAntiforgeryToken: false));

        Assert.Equal(0L, await _feedSync.PendingAsync());
        Assert.Equal(calls, _feedSync.CallsFor(offerId));
    }

    [Fact]
    public async Task AnonymousRequestInProduction_GetsTheLoginPage_NeverTheDashboard()
    {
        _browser.Driver.Navigate().GoToUrl(_feedSync.BaseUrl + "/hangfire/feedsync");

        Assert.Contains("/login", _browser.Driver.Url, StringComparison.Ordinal);
        Assert.True(_browser.Has("sign-in"));
        Assert.DoesNotContain("Pending products", _browser.Driver.PageSource, StringComparison.Ordinal);

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(_feedSync.BaseUrl) };
        foreach (var path in new[] { "/hangfire", "/hangfire/feedsync", "/hangfire/feedsync/problems", "/hangfire/jobs/enqueued" })
        {
            var response = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }

        var post = await http.PostAsync("/hangfire/feedsync/actions/resync-all", null);
        Assert.NotEqual(HttpStatusCode.NoContent, post.StatusCode);
        Assert.Equal(0L, await _feedSync.PendingAsync());

        // A wrong password gets the login page again, not the dashboard.
        _browser.Driver.FindElement(By.Id("username")).SendKeys(FeedSyncHarness.OperatorName);
        _browser.Driver.FindElement(By.Id("password")).SendKeys("wrong password");
        _browser.Driver.FindElement(By.Id("sign-in")).Click();
        _browser.WaitFor(d => d.FindElements(By.Id("login-error")).Count > 0, "the sign-in error");
        Assert.False(_browser.Has("overview"));
    }

    private async Task<(string ProductKey, string OfferId)> PickProductAsync()
    {
        var offerId = await _feedSync.Database.ScalarAsync<string>("SELECT offer_id FROM feedsync.last_pushed GROUP BY offer_id HAVING count(*) = 1 ORDER BY offer_id LIMIT 1");
        var key = await _feedSync.Database.ScalarAsync<string>("SELECT product_key FROM feedsync.last_pushed WHERE offer_id = @o", ("o", offerId));
        return (key, offerId);
    }
}
