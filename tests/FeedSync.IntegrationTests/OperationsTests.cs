using System.Text.Json.Nodes;
using FeedSync.Demo;
using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using FeedSync.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeedSync.IntegrationTests;

/// <summary>Status pull, health and metrics against a running FeedSync, real PostgreSQL and the emulator.</summary>
public sealed class OperationsTests : IAsyncLifetime
{
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 30);
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task StatusPull_StoresDestinationStatusesAndItemIssuesReturnedByTheEmulator()
    {
        var offerId = await _feedSync.Database.ScalarAsync<string>("SELECT offer_id FROM feedsync.last_pushed ORDER BY offer_id LIMIT 1");
        var issues = JsonNode.Parse("""
            [{ "code": "image_link_broken", "severity": "DISAPPROVED", "resolution": "merchant_action", "attribute": "image_link",
               "reportingContext": "SHOPPING_ADS", "description": "Invalid image [image_link]", "applicableCountries": ["US"] }]
            """)!.AsArray();
        var destinations = JsonNode.Parse("""[{ "reportingContext": "SHOPPING_ADS", "disapprovedCountries": ["US"] }]""")!.AsArray();
        _feedSync.Emulator.SetProductStatus(FeedSyncHarness.AccountId, "en", "US", offerId, destinations, issues);
        var listed = _feedSync.Emulator.Products.Count;

        await PullStatusesAsync();

        Assert.Equal(listed, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.google_status"));
        Assert.True(await _feedSync.Database.ScalarAsync<bool>("SELECT disapproved FROM feedsync.google_status WHERE offer_id = @o", ("o", offerId)));
        Assert.Equal("image_link_broken", await _feedSync.Database.ScalarAsync<string>("SELECT item_issues->0->>'code' FROM feedsync.google_status WHERE offer_id = @o", ("o", offerId)));
        Assert.Equal(1L, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.google_status WHERE issue_count > 0 OR disapproved"));
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task StatusPull_ReadsEveryPage_AndForgetsProductsGoogleNoLongerLists()
    {
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO feedsync.google_status (offer_id, content_language, feed_label, disapproved, issue_count, destination_statuses, item_issues, changed_at)
            VALUES ('gone-offer', 'en', 'US', true, 1, '[]', '[{"code":"x"}]', now() - interval '1 day')
            """);

        await PullStatusesAsync();

        Assert.Equal(0L, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.google_status WHERE offer_id = 'gone-offer'"));
        Assert.Equal(_feedSync.Emulator.Products.Count, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.google_status"));
        var pages = _feedSync.Emulator.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("/products", StringComparison.Ordinal));
        Assert.True(pages >= (int)Math.Ceiling(_feedSync.Emulator.Products.Count / (double)Publish.ProductStatusReader.PageSize));
    }

    [Fact]
    public async Task StatusPull_WritesOnlyTheStatusesGoogleChanged()
    {
        await PullStatusesAsync();
        var before = await RowVersionsAsync();
        var changedRow = before.Keys.Where(key => key.EndsWith("~en~US", StringComparison.Ordinal)).Min(StringComparer.Ordinal)!;
        var offerId = changedRow[..^"~en~US".Length];
        var issues = JsonNode.Parse("""[{ "code": "missing_gtin", "severity": "DEMOTED", "reportingContext": "SHOPPING_ADS" }]""")!.AsArray();
        _feedSync.Emulator.SetProductStatus(FeedSyncHarness.AccountId, "en", "US", offerId, [], issues);

        await PullStatusesAsync();

        // xmin changes with every write of a row: only the product whose status changed was written.
        var after = await RowVersionsAsync();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.Equal([changedRow], after.Where(row => before[row.Key] != row.Value).Select(row => row.Key));
        Assert.Equal("missing_gtin", await _feedSync.Database.ScalarAsync<string>("SELECT item_issues->0->>'code' FROM feedsync.google_status WHERE offer_id = @o", ("o", offerId)));
        Assert.Equal(1L, await _feedSync.Database.ScalarAsync<long>("SELECT changed FROM feedsync.status_pulls ORDER BY finished_at DESC LIMIT 1"));
    }

    [Fact]
    public async Task StatusPull_OfAnUnchangedCatalog_StillMovesTheOverviewsLastPull()
    {
        await PullStatusesAsync();
        var first = _feedSync.Services.GetRequiredService<Dashboard.OverviewQueries>().Read().LastStatusPull;

        await PullStatusesAsync();

        var second = _feedSync.Services.GetRequiredService<Dashboard.OverviewQueries>().Read().LastStatusPull;
        Assert.NotNull(first);
        Assert.True(second > first, $"last pull {second:O} after the second pull, {first:O} after the first");
        Assert.Equal(0L, await _feedSync.Database.ScalarAsync<long>("SELECT changed FROM feedsync.status_pulls ORDER BY finished_at DESC LIMIT 1"));
        Assert.Equal(_feedSync.Emulator.Products.Count, await _feedSync.Database.ScalarAsync<long>("SELECT products FROM feedsync.status_pulls ORDER BY finished_at DESC LIMIT 1"));
    }

    private async Task PullStatusesAsync()
    {
        using var scope = _feedSync.Services.CreateScope();
        await ActivatorUtilities.CreateInstance<StatusPullJob>(scope.ServiceProvider).RunAsync(CancellationToken.None);
    }

    /// <summary>Each status row's xmin (the transaction that last wrote it), by offer~language~label.</summary>
    private async Task<Dictionary<string, string>> RowVersionsAsync() =>
        System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(await _feedSync.Database.ScalarAsync<string>(
            "SELECT json_object_agg(offer_id || '~' || content_language || '~' || feed_label, xmin::text)::text FROM feedsync.google_status"))!;

    [Fact]
    public async Task MetricsEndpoint_ExposesTheNamedSeries()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_feedSync.BaseUrl) };

        // Observable gauges are read at scrape time; the push counters and latency exist since the initial sync.
        var text = "";
        await Wait.UntilAsync(async () =>
        {
            text = await http.GetStringAsync("/metrics");
            return text.Contains("feedsync_pushes_total{", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20), "the push counter appears in /metrics");

        foreach (var series in new[]
                 {
                     "feedsync_pending ", "feedsync_pending_oldest_age_seconds ", "feedsync_capture_lag_bytes ",
                     "feedsync_merchant_api_duration_seconds_bucket{", "feedsync_pushes_total{",
                 })
        {
            Assert.Contains(series, text, StringComparison.Ordinal);
        }

        Assert.Contains("action=\"insert\"", text, StringComparison.Ordinal);
        Assert.Contains("outcome=\"Success\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readyz_IsReadyWhileCapturing_AndHealthzAnswers()
    {
        using var http = new HttpClient { BaseAddress = new Uri(_feedSync.BaseUrl) };

        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
        var ready = await http.GetAsync("/readyz");
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;

        Assert.True(ready.IsSuccessStatusCode, body.ToJsonString());
        Assert.True(body["checks"]!["capture"]!["ok"]!.GetValue<bool>());
        Assert.True(body["checks"]!["state_database"]!["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Readyz_ReportsNotReady_WhenTheMerchantApiRefusedTheCredentials()
    {
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO feedsync.push_log (product_key, offer_id, content_language, feed_label, action, why, http_status, outcome, reason)
            VALUES ('1', 'x', 'en', 'US', 'Insert', 'test', 403, 'ConfigurationError', 'PERMISSION_DENIED')
            """);
        using var http = new HttpClient { BaseAddress = new Uri(_feedSync.BaseUrl) };

        var ready = await http.GetAsync("/readyz");

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("401/403", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheFirstRefusedPush_PausesCalls_AndReadyzAndTheOverviewTurnRed()
    {
        _feedSync.Emulator.RequireBearerToken = true; // FeedSync sends no token to the emulator: every call is a 401
        await _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id = (SELECT min(variant_id) FROM catalog.prices)");
        using var http = new HttpClient { BaseAddress = new Uri(_feedSync.BaseUrl) };

        JsonNode? body = null;
        await Wait.UntilAsync(async () =>
        {
            body = JsonNode.Parse(await (await http.GetAsync("/readyz")).Content.ReadAsStringAsync());
            return body!["checks"]!["merchant_api_circuit"]!["ok"]!.GetValue<bool>() == false;
        }, TimeSpan.FromSeconds(30), "readyz reports the paused calls", () => Task.FromResult(body?.ToJsonString() ?? ""));

        Assert.Equal("not ready", body!["status"]!.GetValue<string>());
        Assert.Contains("401/403", body["checks"]!["merchant_api_circuit"]!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        using var dashboard = new DashboardClient();
        Assert.True(await dashboard.SignInAsync(_feedSync.BaseUrl, FeedSyncHarness.ViewerName, FeedSyncHarness.Password));
        var (_, overview) = await dashboard.GetAsync(_feedSync.BaseUrl + "/hangfire/feedsync");
        Assert.Contains("alert-danger", overview, StringComparison.Ordinal);
        Assert.Contains("refused FeedSync&#39;s credentials", overview, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevelopmentWithoutDashboardUsers_ServesTheDashboardToLocalRequests_WithActions()
    {
        var settings = _feedSync.Settings.Where(s => !s.Key.StartsWith("FeedSync:Dashboard:Users", StringComparison.Ordinal)).ToDictionary();
        settings["FeedSync:Capture:Enabled"] = "false";
        await using var app = FeedSyncApp.BuildHost(new HostSettings { Args = ["--environment", "Development"], ConfigFiles = [DemoCatalog.ConfigFile], Overrides = settings });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var page = await http.GetStringAsync("/hangfire/feedsync");

        Assert.Contains("Pending products", page, StringComparison.Ordinal);
        Assert.Contains("id=\"resync-all\"", page, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task ProductionWithoutDashboardUsers_RefusesToStart_NamingTheKey()
    {
        var settings = _feedSync.Settings.Where(s => !s.Key.StartsWith("FeedSync:Dashboard:Users", StringComparison.Ordinal)).ToDictionary();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var app = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = [DemoCatalog.ConfigFile], Overrides = settings });
            await app.StartAsync();
        });

        Assert.Contains(failure.Failures, f => f.Contains("FeedSync:Dashboard:Users", StringComparison.Ordinal) && f.Contains("hash-password", StringComparison.Ordinal));
    }
}
