using FeedSync.IntegrationTests.Infrastructure;
using Npgsql;

namespace FeedSync.IntegrationTests.Freshness;

/// <summary>Catalog helpers for the freshness tests: products free of promotions, promotions with exact windows.</summary>
internal static class FreshnessCatalog
{
    /// <summary>Variants (US destination held by the emulator) of distinct products that are in no promotion.</summary>
    public static async Task<List<(long ProductId, long VariantId, string Sku)>> PickUnpromotedAsync(FeedSyncHarness feedSync, int count)
    {
        var picked = new List<(long, long, string)>();
        await using var connection = new NpgsqlConnection(feedSync.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT DISTINCT ON (v.product_id) v.product_id, v.id, v.sku FROM catalog.variants v
            JOIN catalog.prices pr ON pr.variant_id = v.id AND pr.market = 'US'
            WHERE v.active AND NOT EXISTS (SELECT 1 FROM catalog.promotion_products pp WHERE pp.product_id = v.product_id)
            ORDER BY v.product_id, v.id
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync() && picked.Count < count)
        {
            var sku = reader.GetString(2);
            if (feedSync.Held(sku) is not null)
            {
                picked.Add((reader.GetInt64(0), reader.GetInt64(1), sku));
            }
        }

        Assert.Equal(count, picked.Count);
        return picked;
    }

    /// <summary>An unpromoted variant in stock in the US that Google holds in two destinations, en/US and de/DE.</summary>
    public static async Task<(long VariantId, string Sku)> PickTwoMarketVariantAsync(FeedSyncHarness feedSync)
    {
        var variantId = await feedSync.Database.ScalarAsync<long>("""
            SELECT v.id FROM catalog.variants v
            WHERE v.active
              AND EXISTS (SELECT 1 FROM catalog.prices p WHERE p.variant_id = v.id AND p.market = 'US')
              AND EXISTS (SELECT 1 FROM catalog.prices p WHERE p.variant_id = v.id AND p.market = 'DE')
              AND EXISTS (SELECT 1 FROM catalog.stock s JOIN catalog.warehouses w ON w.id = s.warehouse_id WHERE s.variant_id = v.id AND w.market = 'US' AND s.quantity > 0)
              AND NOT EXISTS (SELECT 1 FROM catalog.promotion_products pp WHERE pp.product_id = v.product_id)
            ORDER BY v.id LIMIT 1
            """);
        var sku = await feedSync.Database.ScalarAsync<string>("SELECT sku FROM catalog.variants WHERE id = @v", ("v", variantId));
        Assert.NotNull(feedSync.Held(sku, "en", "US"));
        Assert.NotNull(feedSync.Held(sku, "de", "DE"));
        return (variantId, sku);
    }

    public static Task AddPromotionAsync(FeedSyncHarness feedSync, long productId, DateTimeOffset startsAt, DateTimeOffset endsAt) =>
        feedSync.Database.ExecuteAsync("""
            WITH p AS (INSERT INTO catalog.promotions (name, discount_percent, starts_at, ends_at) VALUES ('Test sale', 20, @starts, @ends) RETURNING id)
            INSERT INTO catalog.promotion_products (promotion_id, product_id) SELECT id, @product FROM p
            """, ("starts", startsAt), ("ends", endsAt), ("product", productId));

    /// <summary>
    /// Runs a catalog change and waits until FeedSync has captured it (its checkpoint passed the change's WAL
    /// position) and evaluated it (nothing pending): a deferral leaves no other trace to wait for.
    /// </summary>
    public static async Task ChangeAndWaitEvaluatedAsync(FeedSyncHarness feedSync, string sql, params (string Name, object Value)[] parameters)
    {
        string lsn;
        await using (var connection = new NpgsqlConnection(feedSync.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var change = new NpgsqlCommand(sql, connection, transaction))
            {
                foreach (var (name, value) in parameters)
                {
                    change.Parameters.AddWithValue(name, value);
                }

                await change.ExecuteNonQueryAsync();
            }

            // Taken inside the transaction: the commit record that capture confirms lies after it.
            await using (var position = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn()::text", connection, transaction))
            {
                lsn = (string)(await position.ExecuteScalarAsync())!;
            }

            await transaction.CommitAsync();
        }

        await Wait.UntilAsync(
            async () => await feedSync.Database.ScalarAsync<bool>("SELECT coalesce(max(confirmed_lsn) >= @lsn::pg_lsn, false) FROM feedsync.capture_checkpoint", ("lsn", lsn))
                && await feedSync.PendingAsync() == 0,
            TimeSpan.FromSeconds(30),
            "the change is captured and evaluated");
    }

    public static bool HasSalePrice(FeedSyncHarness feedSync, string sku) =>
        feedSync.Held(sku)?["productAttributes"]?["salePrice"] is not null;

    public static Task<long> BoundariesAsync(FeedSyncHarness feedSync, long variantId, DateTimeOffset at) =>
        feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.boundaries WHERE product_key = @key AND at = @at", ("key", variantId.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("at", at));

    /// <summary>A whole second well ahead of now, so timestamptz (microseconds) holds it exactly.</summary>
    public static DateTimeOffset WholeSecond(DateTimeOffset at) => new(at.Ticks - (at.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
