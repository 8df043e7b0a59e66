using System.Text.Json.Nodes;
using FeedSync.IntegrationTests.Infrastructure;

namespace FeedSync.IntegrationTests;

/// <summary>A catalog change in PostgreSQL reaches the Merchant API emulator as the right call, and only when it matters.</summary>
public sealed class CatalogChangeTests : IAsyncLifetime
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
    public async Task InitialSync_PushesEveryValidFeedRow_AsInserts()
    {
        var feedRows = await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM catalog.feed");

        Assert.True(_feedSync.Emulator.Products.Count > 0);
        Assert.True(_feedSync.Emulator.Products.Count <= feedRows);
        Assert.All(_feedSync.Emulator.Requests, r => Assert.Equal("POST", r.Method));
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task NewVariant_IsInsertedWithItsAttributes()
    {
        var (productId, _) = await PickVariantAsync();
        await _feedSync.Database.ExecuteAsync("""
            WITH v AS (INSERT INTO catalog.variants (product_id, sku, color, size, gtin, weight_grams)
                       VALUES (@product, 'NEW-SKU/1.0', 'Teal', 'XL', '4006381333931', 420) RETURNING id)
            INSERT INTO catalog.prices (variant_id, market, amount) SELECT id, 'US', 19.99 FROM v
            """, ("product", productId));
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO catalog.stock (variant_id, warehouse_id, quantity)
            SELECT v.id, w.id, 7 FROM catalog.variants v, catalog.warehouses w WHERE v.sku = 'NEW-SKU/1.0' AND w.market = 'US' LIMIT 1
            """);

        await Wait.UntilAsync(() => _feedSync.Held("NEW-SKU/1.0") is not null, Timeout, "the new variant is in the emulator");

        var attributes = _feedSync.Held("NEW-SKU/1.0")!["productAttributes"]!;
        Assert.Equal("19990000", attributes["price"]!["amountMicros"]!.GetValue<string>());
        Assert.Equal("USD", attributes["price"]!["currencyCode"]!.GetValue<string>());
        Assert.Equal("IN_STOCK", attributes["availability"]!.GetValue<string>());
        Assert.Equal("4006381333931", attributes["gtins"]![0]!.GetValue<string>());
        await _feedSync.WaitUntilInStepAsync(Timeout);
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task PriceChange_IsPatchedWithPriceMask()
    {
        var (_, variantId, sku) = await PickUsVariantWithoutPromotionAsync();
        var before = _feedSync.Emulator.Requests.Count;
        var price = await _feedSync.Database.ScalarAsync<decimal>("SELECT amount FROM catalog.prices WHERE variant_id = @v AND market = 'US'", ("v", variantId));
        var newPrice = SameBand(price);

        await _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = @a WHERE variant_id = @v AND market = 'US'", ("a", newPrice), ("v", variantId));
        await Wait.UntilAsync(() => Micros(_feedSync.Held(sku)!, "price") == (long)(newPrice * 1_000_000m), Timeout, "the new price is in the emulator");

        var call = Assert.Single(_feedSync.Emulator.Requests.Skip(before));
        Assert.Equal("PATCH", call.Method);
        Assert.Contains("updateMask=productAttributes.price", call.Query, StringComparison.Ordinal);
        Assert.DoesNotContain("availability", call.Query, StringComparison.Ordinal);
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task StockOut_IsPatchedWithAvailabilityMask()
    {
        var (_, variantId, sku) = await PickUsVariantWithoutPromotionAsync(inStock: true);
        var before = _feedSync.Emulator.Requests.Count;

        await _feedSync.Database.ExecuteAsync("UPDATE catalog.stock SET quantity = 0 WHERE variant_id = @v", ("v", variantId));
        await Wait.UntilAsync(() => _feedSync.Held(sku)!["productAttributes"]!["availability"]!.GetValue<string>() == "OUT_OF_STOCK", Timeout, "the stock-out is in the emulator");

        var call = Assert.Single(_feedSync.Emulator.Requests.Skip(before));
        Assert.Equal("PATCH", call.Method);
        Assert.Contains("updateMask=productAttributes.availability", call.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaleStart_PatchesSalePriceWithEffectiveDates_AndSaleEnd_ClearsThem()
    {
        var (productId, variantId, sku) = await PickUsVariantWithoutPromotionAsync();
        var before = _feedSync.Emulator.Requests.Count;
        var promotionId = await _feedSync.Database.ScalarAsync<long>("""
            INSERT INTO catalog.promotions (name, discount_percent, starts_at, ends_at)
            VALUES ('Test sale', 20, now() - interval '1 hour', now() + interval '2 days') RETURNING id
            """);
        await _feedSync.Database.ExecuteAsync("INSERT INTO catalog.promotion_products (promotion_id, product_id) VALUES (@p, @product)", ("p", promotionId), ("product", productId));

        await Wait.UntilAsync(() => _feedSync.Held(sku)!["productAttributes"]!["salePrice"] is not null, Timeout, "the sale price is in the emulator");
        var saleCall = _feedSync.Emulator.Requests.Skip(before).Last(r => r.Path.Contains("productInputs", StringComparison.Ordinal));
        Assert.Equal("PATCH", saleCall.Method);
        Assert.Contains("productAttributes.salePrice", saleCall.Query, StringComparison.Ordinal);
        Assert.Contains("productAttributes.salePriceEffectiveDate", saleCall.Query, StringComparison.Ordinal);
        var window = _feedSync.Held(sku)!["productAttributes"]!["salePriceEffectiveDate"]!;
        Assert.NotNull(window["startTime"]);
        Assert.NotNull(window["endTime"]);

        await _feedSync.Database.ExecuteAsync("DELETE FROM catalog.promotions WHERE id = @p", ("p", promotionId));
        await Wait.UntilAsync(() => _feedSync.Held(sku)!["productAttributes"]!["salePrice"] is null, Timeout, "the sale price is cleared in the emulator");

        var clearCall = _feedSync.Emulator.Requests.Last(r => r.Path.Contains("productInputs", StringComparison.Ordinal));
        Assert.Equal("PATCH", clearCall.Method);
        Assert.Contains("productAttributes.salePrice", clearCall.Query, StringComparison.Ordinal);
        Assert.Null(JsonNode.Parse(clearCall.Body!)!["productAttributes"]!["salePrice"]);
        Assert.Null(_feedSync.Held(sku)!["productAttributes"]!["salePriceEffectiveDate"]);
        Assert.Equal(variantId, await _feedSync.Database.ScalarAsync<long>("SELECT id FROM catalog.variants WHERE sku = @s", ("s", sku)));
    }

    [Fact]
    public async Task DeletedVariant_IsDeletedFromEveryDestination()
    {
        var (_, variantId, sku) = await PickUsVariantWithoutPromotionAsync();

        await _feedSync.Database.ExecuteAsync("DELETE FROM catalog.variants WHERE id = @v", ("v", variantId));
        await Wait.UntilAsync(() => _feedSync.Emulator.Products.Keys.All(k => !k.EndsWith("~" + sku, StringComparison.Ordinal)), Timeout, "the variant is gone from the emulator");

        Assert.Contains(_feedSync.Emulator.Requests, r => r.Method == "DELETE");
        // The emulator forgets the product when it answers; FeedSync records that answer a moment later.
        await Wait.UntilAsync(
            async () => await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed WHERE offer_id = @s", ("s", sku)) == 0,
            Timeout,
            "the deletion is recorded in last_pushed");
    }

    [Fact]
    public async Task ChangeInvisibleToTheFeed_CausesNoCall()
    {
        var (productId, _, _) = await PickUsVariantWithoutPromotionAsync();
        var before = _feedSync.Emulator.Requests.Count;
        var changedAt = await _feedSync.Database.ScalarAsync<DateTime>("SELECT now()");

        // updated_at is not in the feed view: the products are re-read and diffed, and nothing is sent.
        await _feedSync.Database.ExecuteAsync("UPDATE catalog.products SET updated_at = now() + interval '1 minute' WHERE id = @p", ("p", productId));
        await Wait.UntilAsync(
            async () => await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.capture_checkpoint WHERE updated_at >= @at", ("at", changedAt)) > 0
                        && await _feedSync.PendingAsync() == 0,
            Timeout,
            "the change was captured and its products processed");

        Assert.Equal(before, _feedSync.Emulator.Requests.Count);
    }

    [Fact]
    public async Task HundredUpdatesWithinASecond_CauseAtMostFiveCalls_AndEndWithTheFinalState()
    {
        var (_, variantId, sku) = await PickUsVariantWithoutPromotionAsync();
        var before = _feedSync.CallsFor(sku);
        decimal last = 0;
        for (var i = 1; i <= 100; i++)
        {
            last = 30m + (i / 100m);
            await _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = @a WHERE variant_id = @v AND market = 'US'", ("a", last), ("v", variantId));
        }

        await Wait.UntilAsync(() => Micros(_feedSync.Held(sku)!, "price") == (long)(last * 1_000_000m), Timeout, "the final price is in the emulator");
        await Wait.UntilAsync(async () => await _feedSync.PendingAsync() == 0, Timeout, "nothing is pending");

        var calls = _feedSync.CallsFor(sku) - before;
        Assert.InRange(calls, 1, 5);
    }

    private static long Micros(JsonObject product, string attribute) =>
        long.Parse(product["productAttributes"]![attribute]!["amountMicros"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A nearby price in the same custom_label_0 price band, so only the price attribute changes.</summary>
    private static decimal SameBand(decimal price) => price is 24.99m or 49.99m or 99.99m or 249.99m ? price - 0.01m : price + 0.01m;

    private async Task<(long ProductId, long VariantId)> PickVariantAsync()
    {
        var productId = await _feedSync.Database.ScalarAsync<long>("SELECT product_id FROM catalog.variants ORDER BY id LIMIT 1");
        var variantId = await _feedSync.Database.ScalarAsync<long>("SELECT id FROM catalog.variants ORDER BY id LIMIT 1");
        return (productId, variantId);
    }

    /// <summary>A variant Google holds for en/US, without any promotion (so price changes are plain patches).</summary>
    private async Task<(long ProductId, long VariantId, string Sku)> PickUsVariantWithoutPromotionAsync(bool? inStock = null)
    {
        var held = _feedSync.Emulator.Products.Keys
            .Where(k => k.Contains("/en~US~", StringComparison.Ordinal))
            .Select(k => k[(k.IndexOf("/en~US~", StringComparison.Ordinal) + 7)..])
            .ToArray();
        await using var connection = new Npgsql.NpgsqlConnection(_feedSync.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("""
            SELECT f.product_key, f.offer_id, v.product_id FROM catalog.feed f JOIN catalog.variants v ON v.id = f.product_key
            WHERE f.feed_label = 'US' AND f.offer_id = ANY(@held) AND f.sale_price IS NULL
              AND (@stock::boolean IS NULL OR (f.availability = 'in_stock') = @stock)
              AND NOT EXISTS (SELECT 1 FROM catalog.promotion_products pp WHERE pp.product_id = v.product_id)
            ORDER BY f.product_key LIMIT 1
            """, connection);
        command.Parameters.AddWithValue("held", held);
        command.Parameters.AddWithValue("stock", (object?)inStock ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the demo catalog has a suitable variant");
        return (reader.GetInt64(2), reader.GetInt64(0), reader.GetString(1));
    }
}
