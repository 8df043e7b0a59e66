using FeedSync.Dashboard;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static FeedSync.IntegrationTests.Freshness.FreshnessCatalog;

namespace FeedSync.IntegrationTests.Freshness;

/// <summary>Google's update budget on a fake clock: cosmetic edits are coalesced within the budget, critical ones go at once.</summary>
public sealed class UpdateBudgetTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 40, new Dictionary<string, string?>
        {
            ["FeedSync:Freshness:BoundaryPollInterval"] = "00:00:00.200",
            ["FeedSync:Freshness:CosmeticPushesPerDay"] = "2",
        });
        _feedSync.Time = _clock;
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task TenCosmeticEditsInAnHour_StayWithinTheBudget_EndWithTheFinalContent_WhileAStockOutGoesAtOnce()
    {
        var product = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var before = _feedSync.RequestsFor(product.Sku).Count;

        for (var edit = 1; edit <= 10; edit++)
        {
            await ChangeAndWaitEvaluatedAsync(_feedSync, "UPDATE catalog.products SET description = @d WHERE id = @id", ("d", $"Description, edit {edit}"), ("id", product.ProductId));
            if (edit == 5)
            {
                // Critical among the cosmetic edits: goes out at once, on the same fake minute.
                await _feedSync.Database.ExecuteAsync("UPDATE catalog.stock SET quantity = 0 WHERE variant_id = @v", ("v", product.VariantId));
                await Wait.UntilAsync(() => Availability() == "OUT_OF_STOCK", Timeout, "the stock-out is pushed at once");
            }

            _clock.Advance(TimeSpan.FromMinutes(6));
        }

        // Within the hour: the first cosmetic push and the stock-out, nothing else; the rest waits for the budget.
        var deferredUntil = await _feedSync.Database.ScalarAsync<DateTime>("SELECT deferred_until FROM feedsync.update_budget WHERE product_key = @k", ("k", Key(product.VariantId)));
        Assert.True(_feedSync.RequestsFor(product.Sku).Count - before <= 2);
        Assert.NotEqual("Description, edit 10", Description());

        _clock.SetUtcNow(new DateTimeOffset(DateTime.SpecifyKind(deferredUntil, DateTimeKind.Utc)));
        await Wait.UntilAsync(() => Description() == "Description, edit 10", Timeout, "the deferred cosmetic change goes out with the final content at its budget slot");

        // The emulator answers before FeedSync records the push: wait for the record (it clears the deferral).
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>("SELECT deferred_until IS NULL FROM feedsync.update_budget WHERE product_key = @k", ("k", Key(product.VariantId))),
            Timeout,
            "the flushed push is recorded");

        var calls = _feedSync.RequestsFor(product.Sku).Count - before;
        var cosmeticPushes = await _feedSync.Database.ScalarAsync<int>("SELECT cardinality(cosmetic_pushes) FROM feedsync.update_budget WHERE product_key = @k", ("k", Key(product.VariantId)));
        Assert.True(cosmeticPushes <= 2, $"{cosmeticPushes} cosmetic pushes in 24 h");
        Assert.True(calls <= 3, $"{calls} calls: at most 2 cosmetic pushes and the stock-out");
        Assert.Equal("OUT_OF_STOCK", Availability());
        Assert.Empty(_feedSync.Emulator.ContractViolations);

        string? Description() => _feedSync.Held(product.Sku)!["productAttributes"]!["description"]?.GetValue<string>();
        string? Availability() => _feedSync.Held(product.Sku)!["productAttributes"]!["availability"]?.GetValue<string>();
    }

    [Fact]
    public async Task TwoDestinationsOfOneProduct_HaveIndependentBudgets()
    {
        var (variantId, sku) = await PickTwoMarketVariantAsync(_feedSync);
        var productId = await _feedSync.Database.ScalarAsync<long>("SELECT product_id FROM catalog.variants WHERE id = @v", ("v", variantId));

        // The US destination spent its two cosmetic pushes in the last hours; the German one spent none.
        var now = _clock.GetUtcNow();
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO feedsync.update_budget (product_key, offer_id, content_language, feed_label, cosmetic_pushes)
            VALUES (@k, @o, 'en', 'US', ARRAY[@first, @second]::timestamptz[])
            ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE SET cosmetic_pushes = excluded.cosmetic_pushes
            """, ("k", Key(variantId)), ("o", sku), ("first", now - TimeSpan.FromHours(13)), ("second", now - TimeSpan.FromHours(1)));

        await ChangeAndWaitEvaluatedAsync(_feedSync, "UPDATE catalog.products SET description = @d WHERE id = @id", ("d", "Independent budgets"), ("id", productId));

        await Wait.UntilAsync(() => Description("de", "DE") == "Independent budgets", Timeout, "the German destination spends its own budget");
        Assert.NotEqual("Independent budgets", Description("en", "US"));
        Assert.True(await _feedSync.Database.ScalarAsync<bool>(
            "SELECT deferred_until IS NOT NULL FROM feedsync.update_budget WHERE offer_id = @o AND content_language = 'en' AND feed_label = 'US'", ("o", sku)));
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce((SELECT cardinality(cosmetic_pushes) = 1 AND deferred_until IS NULL FROM feedsync.update_budget WHERE offer_id = @o AND content_language = 'de' AND feed_label = 'DE'), false)",
                ("o", sku)),
            Timeout,
            "the German push is recorded against the German budget only");

        string? Description(string language, string label) => _feedSync.Held(sku, language, label)!["productAttributes"]!["description"]?.GetValue<string>();
    }

    [Fact]
    public async Task ADeferredCosmeticChange_ShowsAsBudgetUseOnTheProductPage_OnTheOverview_AndInMetrics()
    {
        var product = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var key = Key(product.VariantId);
        await ChangeAndWaitEvaluatedAsync(_feedSync, "UPDATE catalog.products SET description = 'First edit' WHERE id = @id", ("id", product.ProductId));
        _clock.Advance(TimeSpan.FromMinutes(1));
        await ChangeAndWaitEvaluatedAsync(_feedSync, "UPDATE catalog.products SET description = 'Second edit' WHERE id = @id", ("id", product.ProductId));
        var deferredUntil = await _feedSync.Database.ScalarAsync<DateTime>(
            "SELECT deferred_until FROM feedsync.update_budget WHERE product_key = @k AND content_language = 'en' AND feed_label = 'US'", ("k", key));

        // One budget per destination (content language ~ feed label) of the product.
        var queries = _feedSync.Services.GetRequiredService<UpdateBudgetQueries>();
        var use = Assert.Single(await queries.ForProductAsync(key, CancellationToken.None), b => b.Scope == $"{product.Sku} en~US");
        Assert.Equal((1, 2), (use.CosmeticPushesLastDay, use.CosmeticPushesPerDay));
        Assert.Equal(deferredUntil, use.DeferredUntil?.UtcDateTime);
        Assert.Contains("description", use.DeferredChanges, StringComparison.Ordinal);
        // The description belongs to the product, so each destination of each of its variants waits.
        var waiting = await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.update_budget WHERE deferred_until IS NOT NULL");
        var deferrals = await queries.DeferralsAsync(CancellationToken.None);
        Assert.Equal((waiting, use.DeferredUntil), (deferrals.Deferred, deferrals.NextFlush));

        using var dashboard = new DashboardClient();
        Assert.True(await dashboard.SignInAsync(_feedSync.BaseUrl, FeedSyncHarness.ViewerName, FeedSyncHarness.Password));
        var (_, page) = await dashboard.GetAsync($"{_feedSync.BaseUrl}/hangfire/feedsync/product/{Uri.EscapeDataString(key)}");
        Assert.Contains("<td class=\"budget-used\">1 / 2</td>", page, StringComparison.Ordinal);
        Assert.Contains($"<td class=\"budget-flush\">{FeedSyncPages.When(use.DeferredUntil)}</td>", page, StringComparison.Ordinal);
        var (_, overview) = await dashboard.GetAsync($"{_feedSync.BaseUrl}/hangfire/feedsync");
        Assert.Contains($"id=\"budget-deferred\">{waiting} destination(s), next flush {FeedSyncPages.When(use.DeferredUntil)}<", overview, StringComparison.Ordinal);

        // The gauges cache their reading for a few seconds of FeedSync's (here fake) clock.
        _clock.Advance(TimeSpan.FromSeconds(10));
        using var http = new HttpClient { BaseAddress = new Uri(_feedSync.BaseUrl) };
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Matches($@"\nfeedsync_budget_deferred(\{{[^}}]*\}})? {waiting}[ \n]", metrics);
    }

    private static string Key(long variantId) => variantId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
