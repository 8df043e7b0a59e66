using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using static FeedSync.IntegrationTests.Freshness.FreshnessCatalog;

namespace FeedSync.IntegrationTests.Freshness;

/// <summary>
/// Sale and promotion boundaries, on a fake clock: nothing in the database changes at the instant, yet the pushed
/// price flips exactly then. The fake clock is only ever moved to the instant itself, so a flip that needed
/// more than the instant (say T + 1 s) would never happen and the test would time out.
/// </summary>
public sealed class SaleBoundaryTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 40, new Dictionary<string, string?> { ["FeedSync:Freshness:BoundaryPollInterval"] = "00:00:00.200" });
        _feedSync.Time = _clock;
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task SaleEndingAtT_IsPushedWithoutSalePrice_AtTAndNotBefore()
    {
        var picked = await PickUnpromotedAsync(_feedSync, 2);
        var (sentinel, product) = (picked[0], picked[1]);
        var t = WholeSecond(_clock.GetUtcNow() + TimeSpan.FromHours(1));
        await AddPromotionAsync(_feedSync, sentinel.ProductId, t - TimeSpan.FromDays(1), t - TimeSpan.FromMilliseconds(500));
        await AddPromotionAsync(_feedSync, product.ProductId, t - TimeSpan.FromDays(1), t);
        await Wait.UntilAsync(() => HasSalePrice(_feedSync, sentinel.Sku) && HasSalePrice(_feedSync, product.Sku), Timeout, "both running sales are pushed");
        Assert.NotNull(_feedSync.Held(product.Sku)!["productAttributes"]!["salePriceEffectiveDate"]!["endTime"]);

        // Just before T: the sentinel's earlier boundary is handled, the product's boundary at T is not yet taken.
        _clock.SetUtcNow(t - TimeSpan.FromMilliseconds(1));
        await Wait.UntilAsync(() => !HasSalePrice(_feedSync, sentinel.Sku), Timeout, "the sentinel sale (ending at T - 0.5 s) is withdrawn");
        Assert.True(HasSalePrice(_feedSync, product.Sku), "the sale ending at T must still be live at T - 1 ms");
        Assert.Equal(1, await BoundariesAsync(_feedSync, product.VariantId, t));

        var before = _feedSync.RequestsFor(product.Sku).Count;
        _clock.SetUtcNow(t);
        await Wait.UntilAsync(() => !HasSalePrice(_feedSync, product.Sku), Timeout, "the sale ending at T is withdrawn at T");

        Assert.True(_clock.GetUtcNow() - t <= TimeSpan.FromSeconds(1));
        var call = Assert.Single(_feedSync.RequestsFor(product.Sku).Skip(before));
        Assert.Equal("PATCH", call.Method);
        Assert.Contains("productAttributes.salePrice", call.Query, StringComparison.Ordinal);
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task SaleStartingAtT_IsPushedWithSalePrice_AtTAndNotBefore()
    {
        var picked = await PickUnpromotedAsync(_feedSync, 2);
        var (sentinel, product) = (picked[0], picked[1]);
        var t = WholeSecond(_clock.GetUtcNow() + TimeSpan.FromHours(1));
        await AddPromotionAsync(_feedSync, sentinel.ProductId, t - TimeSpan.FromMilliseconds(500), t + TimeSpan.FromDays(1));
        await AddPromotionAsync(_feedSync, product.ProductId, t, t + TimeSpan.FromDays(1));
        await Wait.UntilAsync(async () => await BoundariesAsync(_feedSync, product.VariantId, t) == 1, Timeout, "the sale start is stored as a boundary");
        Assert.False(HasSalePrice(_feedSync, product.Sku), "an upcoming sale is not live before its start");

        _clock.SetUtcNow(t - TimeSpan.FromMilliseconds(1));
        await Wait.UntilAsync(() => HasSalePrice(_feedSync, sentinel.Sku), Timeout, "the sentinel sale (starting at T - 0.5 s) is live");
        Assert.False(HasSalePrice(_feedSync, product.Sku), "the sale starting at T must not be live at T - 1 ms");

        _clock.SetUtcNow(t);
        await Wait.UntilAsync(() => HasSalePrice(_feedSync, product.Sku), Timeout, "the sale starting at T is live at T");

        var attributes = _feedSync.Held(product.Sku)!["productAttributes"]!;
        Assert.NotNull(attributes["salePriceEffectiveDate"]!["startTime"]);
        Assert.NotNull(attributes["salePriceEffectiveDate"]!["endTime"]);
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task BoundaryPassedWhileStopped_SurvivesTheRestart_AndIsHandledAtStart()
    {
        var product = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var t = WholeSecond(_clock.GetUtcNow() + TimeSpan.FromHours(2));
        await AddPromotionAsync(_feedSync, product.ProductId, t - TimeSpan.FromDays(1), t);
        await Wait.UntilAsync(() => HasSalePrice(_feedSync, product.Sku), Timeout, "the running sale is pushed");
        await Wait.UntilAsync(async () => await BoundariesAsync(_feedSync, product.VariantId, t) == 1, Timeout, "the sale end is stored as a boundary");

        await _feedSync.StopAsync();
        Assert.Equal(1, await BoundariesAsync(_feedSync, product.VariantId, t));
        _clock.Advance(TimeSpan.FromHours(3));
        await _feedSync.StartAsync();

        await Wait.UntilAsync(() => !HasSalePrice(_feedSync, product.Sku), Timeout, "the sale that ended during the downtime is withdrawn after start");
        Assert.Equal(0, await BoundariesAsync(_feedSync, product.VariantId, t));
    }
}
