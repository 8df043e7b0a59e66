using FeedSync.IntegrationTests.Infrastructure;

namespace FeedSync.IntegrationTests;

/// <summary>A bad row gets a clear reason and never blocks the others.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 20);
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task InvalidRows_AreRejectedWithReasons_AndTheRestOfTheBatchIsPushed()
    {
        var productId = await _feedSync.Database.ScalarAsync<long>("SELECT min(id) FROM catalog.products");
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO catalog.products (title, description, brand, slug, image_url) VALUES
              (repeat('Very long title ', 12), 'A product whose title is too long', 'Acme', 'long-title', 'https://img.example.com/long.jpg');
            INSERT INTO catalog.variants (product_id, sku, gtin) VALUES
              (@product, 'BAD-GTIN', '4006381333932'),
              (@product, 'BAD-PRICE', '4006381333931'),
              (@product, 'GOOD-ONE', '96385074'),
              ((SELECT max(id) FROM catalog.products), 'LONG-TITLE', NULL);
            INSERT INTO catalog.markets (code, content_language, feed_label, currency, link_base)
              VALUES ('XX', 'en', 'XX', 'XYZ', 'https://shop.example.com/xx/') ON CONFLICT DO NOTHING;
            INSERT INTO catalog.prices (variant_id, market, amount)
              SELECT id, 'US', CASE sku WHEN 'BAD-PRICE' THEN 0 ELSE 12.50 END FROM catalog.variants WHERE sku IN ('BAD-GTIN', 'BAD-PRICE', 'GOOD-ONE', 'LONG-TITLE')
              UNION ALL SELECT id, 'XX', 10 FROM catalog.variants WHERE sku = 'GOOD-ONE';
            """, ("product", productId));

        await Wait.UntilAsync(() => _feedSync.Held("GOOD-ONE") is not null, Timeout, "the valid variant is pushed");
        await Wait.UntilAsync(
            async () => await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.product_problems WHERE source = 'local'") >= 4,
            Timeout,
            "the four bad destinations are recorded");

        Assert.Contains("invalid check digit", await ReasonAsync("BAD-GTIN", "US"), StringComparison.Ordinal);
        Assert.Contains("must be greater than zero", await ReasonAsync("BAD-PRICE", "US"), StringComparison.Ordinal);
        Assert.Contains("title is", await ReasonAsync("LONG-TITLE", "US"), StringComparison.Ordinal);
        Assert.Contains("currency 'XYZ'", await ReasonAsync("GOOD-ONE", "XX"), StringComparison.Ordinal);
        Assert.Null(_feedSync.Held("BAD-GTIN"));
        Assert.Null(_feedSync.Held("BAD-PRICE"));
        Assert.Null(_feedSync.Held("GOOD-ONE", "en", "XX"));
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task FixingARejectedRow_PushesItAndClearsItsProblem()
    {
        var productId = await _feedSync.Database.ScalarAsync<long>("SELECT min(id) FROM catalog.products");
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO catalog.variants (product_id, sku, gtin) VALUES (@product, 'FIX-ME', '4006381333932');
            INSERT INTO catalog.prices (variant_id, market, amount) SELECT id, 'US', 20 FROM catalog.variants WHERE sku = 'FIX-ME';
            """, ("product", productId));
        await Wait.UntilAsync(async () => await ProblemCountAsync("FIX-ME") == 1, Timeout, "the bad GTIN is recorded");

        await _feedSync.Database.ExecuteAsync("UPDATE catalog.variants SET gtin = '4006381333931' WHERE sku = 'FIX-ME'");

        await Wait.UntilAsync(() => _feedSync.Held("FIX-ME") is not null, Timeout, "the fixed variant is pushed");
        await Wait.UntilAsync(async () => await ProblemCountAsync("FIX-ME") == 0, Timeout, "the problem is cleared");
    }

    private Task<string> ReasonAsync(string offerId, string feedLabel) =>
        _feedSync.Database.ScalarAsync<string>("SELECT detail FROM feedsync.product_problems WHERE offer_id = @o AND feed_label = @f", ("o", offerId), ("f", feedLabel));

    private Task<long> ProblemCountAsync(string offerId) =>
        _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.product_problems WHERE offer_id = @o", ("o", offerId));
}
