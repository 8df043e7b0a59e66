using System.Globalization;
using FeedSync.Freshness;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static FeedSync.IntegrationTests.Freshness.FreshnessCatalog;

namespace FeedSync.IntegrationTests.Freshness;

/// <summary>
/// Reconciliation maps only rows it cannot prove unchanged: an unchanged row costs no mapping and no call, and each
/// way a row can stop matching what Google holds (in doubt, forced, never pushed, a lost destination, another mapper
/// version, a sale window that opened on FeedSync's clock) is mapped again and causes exactly its call.
/// </summary>
public sealed class ReconciliationSkipTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        // Small pages, so keyset pagination crosses several pages and key boundaries.
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 40, new Dictionary<string, string?>
        {
            ["FeedSync:Freshness:ReconciliationPageSize"] = "100",
            ["FeedSync:Freshness:BoundaryPollInterval"] = "00:00:00.200",
        });
        _feedSync.Time = _clock;
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task RowsProvenUnchanged_AreNotMapped_AndCauseNoCall()
    {
        var first = await ReconcileAsync();
        Assert.Equal(0, first.ProductsDiffering + first.ProductsGone);
        Assert.Equal(0L, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed WHERE reconciled_source IS NULL"));
        var calls = _feedSync.Emulator.Requests.Count;

        var second = await ReconcileAsync();

        Assert.Equal(await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM catalog.feed"), second.RowsRead);
        Assert.Equal(0, second.RowsMapped);
        Assert.Equal(0, second.ProductsDiffering + second.ProductsGone);
        Assert.Equal(0L, await _feedSync.PendingAsync());
        Assert.Equal(calls, _feedSync.Emulator.Requests.Count);
    }

    [Fact]
    public async Task EachStaleStateOfLastPushed_IsMapped_AndCausesExactlyItsCall()
    {
        await ReconcileAsync();
        var picked = await PickUnpromotedAsync(_feedSync, 4);
        var (inDoubt, forced, neverPushed, lostDestination) = (picked[0], picked[1], picked[2], picked[3]);
        await SetHeldAsync(inDoubt.Sku, "force_reason = 'in_doubt', forced_at = now()");
        await SetHeldAsync(forced.Sku, "force_reason = 'operator_resync', forced_at = now()");
        await _feedSync.Database.ExecuteAsync("DELETE FROM feedsync.last_pushed WHERE offer_id = @o AND feed_label = 'US'", ("o", neverPushed.Sku));
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO feedsync.last_pushed (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at, reconciled_source)
            SELECT offer_id, content_language, 'ZZ', product_key, content_hash, payload, pushed_at, last_insert_at, reconciled_source
            FROM feedsync.last_pushed WHERE offer_id = @o AND feed_label = 'US'
            """, ("o", lostDestination.Sku));
        var keys = picked.Select(p => p.VariantId.ToString(CultureInfo.InvariantCulture)).ToArray();
        var rowsOfPicked = await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM catalog.feed WHERE product_key::text = ANY(@k)", ("k", keys));
        var before = _feedSync.Emulator.Requests.Count;

        var result = await ReconcileAsync();

        Assert.Equal(4, result.ProductsDiffering);
        Assert.Equal(0, result.ProductsGone);
        Assert.True(result.RowsMapped <= rowsOfPicked, $"only the picked products' rows ({rowsOfPicked}) are mapped, not {result.RowsMapped}");
        await _feedSync.WaitUntilInStepAsync(Timeout);
        await Wait.UntilAsync(
            async () => await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed WHERE feed_label = 'ZZ'") == 0,
            Timeout, "the lost destination is deleted");

        var calls = _feedSync.Emulator.Requests.Skip(before).Where(r => r.Path.Contains("/productInputs", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, calls.Count);
        Assert.Equal("POST", Assert.Single(_feedSync.RequestsFor(inDoubt.Sku).Intersect(calls)).Method);
        Assert.Equal("POST", Assert.Single(_feedSync.RequestsFor(forced.Sku).Intersect(calls)).Method);
        Assert.Equal("POST", Assert.Single(_feedSync.RequestsFor(neverPushed.Sku).Intersect(calls)).Method);
        var delete = Assert.Single(_feedSync.RequestsFor(lostDestination.Sku).Intersect(calls));
        Assert.Equal("DELETE", delete.Method);
        Assert.DoesNotContain(_feedSync.RequestsFor(lostDestination.Sku).Intersect(calls), r => r.Method != "DELETE");

        // The pushes changed what Google holds, so those rows are verified once more; after that nothing is mapped.
        var again = await ReconcileAsync();
        Assert.Equal(0, again.ProductsDiffering + again.ProductsGone);
        Assert.Equal(0, (await ReconcileAsync()).RowsMapped);
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task ADestinationWaitingForItsExpiryRefresh_IsLeftToTheSpreadRefresh_AndCausesNoCall()
    {
        await ReconcileAsync();
        var waiting = (await PickUnpromotedAsync(_feedSync, 1))[0];
        await SetHeldAsync(waiting.Sku, "force_reason = 'expiry_refresh', forced_at = now()");
        var calls = _feedSync.Emulator.Requests.Count;

        var result = await ReconcileAsync();

        Assert.Equal(0, result.ProductsDiffering + result.ProductsGone);
        Assert.Equal(0L, await _feedSync.PendingAsync());
        Assert.Equal(calls, _feedSync.Emulator.Requests.Count);
    }

    [Fact]
    public async Task ChecksStoredUnderAnotherMapperVersion_MapEveryRowAgain_AndCallForNothing()
    {
        await ReconcileAsync();

        // What a FeedSync with another ProductMapper.Version stored: no check matches any more.
        await _feedSync.Database.ExecuteAsync("UPDATE feedsync.last_pushed SET reconciled_source = sha256(reconciled_source)");
        var calls = _feedSync.Emulator.Requests.Count;

        var result = await ReconcileAsync();

        Assert.Equal(result.RowsRead, result.RowsMapped);
        Assert.Equal(0, result.ProductsDiffering + result.ProductsGone);
        Assert.Equal(calls, _feedSync.Emulator.Requests.Count);
        Assert.Equal(0, (await ReconcileAsync()).RowsMapped);
    }

    [Fact]
    public async Task AColumnRenamedInPlace_ChangesEveryFingerprint_SoEveryRowIsMappedAgain_AndGoogleGetsTheNewName()
    {
        await ReconcileAsync();
        Assert.Equal(0, (await ReconcileAsync()).RowsMapped);
        var sku = (await PickUnpromotedAsync(_feedSync, 1))[0].Sku;
        Assert.Contains("\"season\"", _feedSync.Held(sku)!["customAttributes"]!.ToJsonString(), StringComparison.Ordinal);

        // Same values in the same order under another name: row::text would not change, the mapped product does.
        await _feedSync.Database.ExecuteAsync("ALTER VIEW catalog.feed RENAME COLUMN season TO collection");

        var result = await ReconcileAsync();

        Assert.Equal(result.RowsRead, result.RowsMapped);
        Assert.True(result.ProductsDiffering > 0, "the products now carry a custom attribute of another name");
        await Wait.UntilAsync(
            () => _feedSync.Held(sku)!["customAttributes"]!.ToJsonString().Contains("\"collection\"", StringComparison.Ordinal),
            Timeout,
            "Google holds the renamed custom attribute");
        await _feedSync.WaitUntilInStepAsync(Timeout);
    }

    [Fact]
    public async Task SaleWindowThatOpenedOnFeedSyncsClock_IsFoundWithoutItsBoundary_AndPatchedOnce()
    {
        var product = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var key = product.VariantId.ToString(CultureInfo.InvariantCulture);
        var t = WholeSecond(_clock.GetUtcNow() + TimeSpan.FromHours(1));
        await AddPromotionAsync(_feedSync, product.ProductId, t, t + TimeSpan.FromDays(1));
        await Wait.UntilAsync(async () => await BoundariesAsync(_feedSync, product.VariantId, t) == 1 && await _feedSync.PendingAsync() == 0, Timeout, "the upcoming sale is evaluated");
        Assert.False(HasSalePrice(_feedSync, product.Sku));
        await ReconcileAsync();

        // The boundary is lost (as if FeedSync had missed it): only the reconciliation can notice the sale started.
        await _feedSync.Database.ExecuteAsync("DELETE FROM feedsync.boundaries WHERE product_key = @k", ("k", key));
        _clock.SetUtcNow(t + TimeSpan.FromSeconds(1));
        Assert.False(HasSalePrice(_feedSync, product.Sku));
        var before = _feedSync.RequestsFor(product.Sku).Count;

        var result = await ReconcileAsync();

        Assert.True(result.ProductsDiffering >= 1);
        await Wait.UntilAsync(() => HasSalePrice(_feedSync, product.Sku), Timeout, "the sale that started is pushed");
        var call = Assert.Single(_feedSync.RequestsFor(product.Sku).Skip(before));
        Assert.Equal("PATCH", call.Method);
        Assert.Contains("productAttributes.salePrice", call.Query, StringComparison.Ordinal);
    }

    private Task<ReconciliationResult> ReconcileAsync() =>
        _feedSync.Services.GetRequiredService<Reconciliation>().RunAsync(CancellationToken.None);

    private Task SetHeldAsync(string sku, string assignments) =>
        _feedSync.Database.ExecuteAsync($"UPDATE feedsync.last_pushed SET {assignments} WHERE offer_id = @o AND feed_label = 'US'", ("o", sku));
}
