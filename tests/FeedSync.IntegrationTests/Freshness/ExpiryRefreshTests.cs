using FeedSync.Freshness;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static FeedSync.IntegrationTests.Freshness.FreshnessCatalog;

namespace FeedSync.IntegrationTests.Freshness;

/// <summary>Expiry refresh re-inserts exactly the products whose last full insert is older than the threshold.</summary>
public sealed class ExpiryRefreshTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 30, new Dictionary<string, string?>
        {
            ["FeedSync:Freshness:ExpiryRefreshAge"] = "25.00:00:00",
            ["FeedSync:Freshness:ExpiryRefreshSpread"] = "00:00:02",
            ["FeedSync:Freshness:BoundaryPollInterval"] = "00:00:00.200",
        });
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task ExpiryRefresh_PicksExactlyTheProductsOlderThanTheThreshold_AndReinsertsThem()
    {
        var picked = await PickUnpromotedAsync(_feedSync, 5);
        var stale = picked.Take(3).ToList();
        var fresh = picked.Skip(3).ToList();
        await AgeAsync(stale.Select(p => p.Sku), TimeSpan.FromDays(26));
        await AgeAsync(fresh.Select(p => p.Sku), TimeSpan.FromDays(24));
        var before = picked.ToDictionary(p => p.Sku, p => _feedSync.RequestsFor(p.Sku).Count);

        var scheduled = await _feedSync.Services.GetRequiredService<ExpiryRefresh>().RunAsync(CancellationToken.None);

        Assert.Equal(3, scheduled);
        await Wait.UntilAsync(
            async () => await OldAsync(stale) == 0,
            Timeout,
            "the stale products are re-inserted",
            async () => $"boundaries={await _feedSync.Database.ScalarAsync<string>("SELECT coalesce(string_agg(product_key || '@' || at::text || ':' || kind, ', '), '') FROM feedsync.boundaries")}; "
                + $"pending={await _feedSync.Database.ScalarAsync<string>("SELECT coalesce(string_agg(product_key || ' ' || not_before::text || ' ' || coalesce(last_error, ''), ', '), '') FROM feedsync.pending")}; "
                + $"old={await _feedSync.Database.ScalarAsync<string>("SELECT coalesce(string_agg(product_key || ' ' || length(content_hash) || ' ' || last_insert_at::text, ', '), '') FROM feedsync.last_pushed WHERE last_insert_at < now() - interval '20 days'")}");
        foreach (var product in stale)
        {
            var refreshes = _feedSync.RequestsFor(product.Sku).Skip(before[product.Sku]).ToList();
            Assert.NotEmpty(refreshes);
            Assert.All(refreshes, r => Assert.EndsWith("productInputs:insert", r.Path, StringComparison.Ordinal));
        }

        // The audit log says why (an expiry refresh, not an operator), and the mark is gone once the insert is recorded.
        var staleSkus = stale.Select(p => p.Sku).ToArray();
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>("SELECT NOT EXISTS (SELECT 1 FROM feedsync.last_pushed WHERE offer_id = ANY(@skus) AND force_reason IS NOT NULL)", ("skus", staleSkus)),
            Timeout,
            "the refresh inserts are recorded");
        Assert.Equal(
            await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed WHERE offer_id = ANY(@skus)", ("skus", staleSkus)),
            await _feedSync.Database.ScalarAsync<long>(
                "SELECT count(*) FROM feedsync.push_log WHERE offer_id = ANY(@skus) AND action = 'insert' AND why = @why",
                ("skus", staleSkus), ("why", FeedSync.Diff.ForceReason.Describe(FeedSync.Diff.ForceReason.ExpiryRefresh))));
        Assert.All(fresh, product => Assert.Equal(before[product.Sku], _feedSync.RequestsFor(product.Sku).Count));
        Assert.Equal(await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed WHERE offer_id = ANY(@skus)", ("skus", fresh.Select(p => p.Sku).ToArray())), await OldAsync(fresh));
        await _feedSync.WaitUntilInStepAsync(Timeout);

        // Idempotent: nothing is older than the threshold any more.
        Assert.Equal(0, await _feedSync.Services.GetRequiredService<ExpiryRefresh>().RunAsync(CancellationToken.None));
    }

    /// <summary>Destinations of these products whose last full insert is still older than 20 days.</summary>
    private Task<long> OldAsync(IEnumerable<(long ProductId, long VariantId, string Sku)> products) =>
        _feedSync.Database.ScalarAsync<long>(
            "SELECT count(*) FROM feedsync.last_pushed WHERE offer_id = ANY(@skus) AND last_insert_at < now() - interval '20 days'",
            ("skus", products.Select(p => p.Sku).ToArray()));

    private Task AgeAsync(IEnumerable<string> skus, TimeSpan age) =>
        _feedSync.Database.ExecuteAsync(
            "UPDATE feedsync.last_pushed SET last_insert_at = now() - @age, pushed_at = now() - @age WHERE offer_id = ANY(@skus)",
            ("age", age), ("skus", skus.ToArray()));
}
