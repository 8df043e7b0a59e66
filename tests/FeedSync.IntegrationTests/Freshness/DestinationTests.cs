using FeedSync.IntegrationTests.Infrastructure;

namespace FeedSync.IntegrationTests.Freshness;

/// <summary>One product in two destinations (en/US in USD, de/DE in EUR): each is diffed and pushed on its own.</summary>
public sealed class DestinationTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 40);
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task TwoDestinations_DivergeAndConvergeIndependently()
    {
        var (variantId, sku) = await FreshnessCatalog.PickTwoMarketVariantAsync(_feedSync);
        var us = _feedSync.Held(sku, "en", "US")!.ToJsonString();
        var start = _feedSync.RequestsFor(sku).Count;

        // Diverge: only the German price changes (a cent, so its price band label stays); only de~DE is patched.
        var dePrice = await _feedSync.Database.ScalarAsync<decimal>("SELECT amount FROM catalog.prices WHERE variant_id = @v AND market = 'DE'", ("v", variantId));
        await _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = @a WHERE variant_id = @v AND market = 'DE'", ("a", dePrice - 0.01m), ("v", variantId));
        await Wait.UntilAsync(() => PriceMicros("de", "DE") == Micros(dePrice - 0.01m), Timeout, "the DE price is pushed");
        var patch = Assert.Single(_feedSync.RequestsFor(sku).Skip(start));
        Assert.Equal("PATCH", patch.Method);
        Assert.Equal("EUR", _feedSync.Held(sku, "de", "DE")!["productAttributes"]!["price"]!["currencyCode"]!.GetValue<string>());
        Assert.Equal(us, _feedSync.Held(sku, "en", "US")!.ToJsonString());

        // The DE destination leaves the view: deleted there only, its update budget with it.
        Assert.Equal(1L, await BudgetRows("de", "DE"));
        var beforeDelete = _feedSync.RequestsFor(sku).Count;
        await _feedSync.Database.ExecuteAsync("DELETE FROM catalog.prices WHERE variant_id = @v AND market = 'DE'", ("v", variantId));
        await Wait.UntilAsync(() => _feedSync.Held(sku, "de", "DE") is null, Timeout, "the DE destination is deleted");
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>(
                "SELECT NOT EXISTS (SELECT FROM feedsync.last_pushed WHERE offer_id = @o AND content_language = 'de' AND feed_label = 'DE')", ("o", sku)),
            Timeout,
            "the DE delete is recorded");
        Assert.Equal(0L, await BudgetRows("de", "DE"));
        Assert.Equal(1L, await BudgetRows("en", "US"));
        var delete = Assert.Single(_feedSync.RequestsFor(sku).Skip(beforeDelete));
        Assert.Equal("DELETE", delete.Method);
        Assert.Equal(us, _feedSync.Held(sku, "en", "US")!.ToJsonString());

        // Converge: DE comes back (inserted), and a US stock-out reaches US only.
        var beforeReturn = _feedSync.RequestsFor(sku).Count;
        await _feedSync.Database.ExecuteAsync("INSERT INTO catalog.prices (variant_id, market, amount) VALUES (@v, 'DE', @a)", ("v", variantId), ("a", dePrice));
        await _feedSync.Database.ExecuteAsync("UPDATE catalog.stock s SET quantity = 0 FROM catalog.warehouses w WHERE w.id = s.warehouse_id AND w.market = 'US' AND s.variant_id = @v", ("v", variantId));
        await Wait.UntilAsync(
            () => PriceMicros("de", "DE") == Micros(dePrice) && _feedSync.Held(sku, "en", "US")!["productAttributes"]!["availability"]!.GetValue<string>() == "OUT_OF_STOCK",
            Timeout,
            "DE is back and the US stock-out is pushed");
        var calls = _feedSync.RequestsFor(sku).Skip(beforeReturn).ToList();
        Assert.Contains(calls, c => c.Method == "POST");
        Assert.Contains(calls, c => c.Method == "PATCH" && c.Query.Contains("availability", StringComparison.Ordinal));
        await _feedSync.WaitUntilInStepAsync(Timeout);
        Assert.Empty(_feedSync.Emulator.ContractViolations);

        static string Micros(decimal amount) => ((long)(amount * 1_000_000m)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Task<long> BudgetRows(string language, string label) => _feedSync.Database.ScalarAsync<long>(
            "SELECT count(*) FROM feedsync.update_budget WHERE offer_id = @o AND content_language = @l AND feed_label = @f", ("o", sku), ("l", language), ("f", label));
        string? PriceMicros(string language, string label) => _feedSync.Held(sku, language, label)?["productAttributes"]?["price"]?["amountMicros"]?.GetValue<string>();
    }
}
