using FeedSync.Catalog;
using FeedSync.Freshness;
using static FeedSync.Tests.Catalog.FeedRows;

namespace FeedSync.Tests.Freshness;

/// <summary>A sale is judged on FeedSync's clock; its start, end and the availability date are boundaries.</summary>
public sealed class SaleWindowTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = new(2026, 12, 24, 8, 0, 0, TimeSpan.Zero);

    private static FeedRow OnSale(params (string Column, object? Value)[] more) =>
        Valid([("sale_price", 9.99m), ("sale_price_start", Start.UtcDateTime), ("sale_price_end", End.UtcDateTime), .. more]);

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(1, true)]
    public void IsInEffect_FromTheStartInclusive(int millisecondsFromStart, bool expected) =>
        Assert.Equal(expected, SaleWindow.IsInEffect(Start, End, Start.AddMilliseconds(millisecondsFromStart)));

    [Theory]
    [InlineData(-1, true)]
    [InlineData(0, false)]
    [InlineData(1, false)]
    public void IsInEffect_UntilTheEndExclusive(int millisecondsFromEnd, bool expected) =>
        Assert.Equal(expected, SaleWindow.IsInEffect(Start, End, End.AddMilliseconds(millisecondsFromEnd)));

    [Fact]
    public void IsInEffect_OpenBounds_AlwaysInEffect() => Assert.True(SaleWindow.IsInEffect(null, null, Start));

    [Fact]
    public void Map_AtAnInstantInsideTheWindow_SendsSalePriceWithItsWindow()
    {
        var input = ProductMapper.Map(OnSale(), Start.AddDays(1)).Input!;

        Assert.NotNull(input.ProductAttributes["salePrice"]);
        Assert.NotNull(input.ProductAttributes["salePriceEffectiveDate"]!["startTime"]);
        Assert.NotNull(input.ProductAttributes["salePriceEffectiveDate"]!["endTime"]);
    }

    [Fact]
    public void Map_AtTheEnd_DropsTheSale()
    {
        var result = ProductMapper.Map(OnSale(), End);

        Assert.True(result.IsValid);
        Assert.Null(result.Input!.ProductAttributes["salePrice"]);
        Assert.Null(result.Input.ProductAttributes["salePriceEffectiveDate"]);
        Assert.NotNull(result.Input.ProductAttributes["price"]);
    }

    [Fact]
    public void Map_BeforeTheStart_DoesNotSendTheUpcomingSale() =>
        Assert.Null(ProductMapper.Map(OnSale(), Start.AddTicks(-1)).Input!.ProductAttributes["salePrice"]);

    [Fact]
    public void Map_WithoutAClock_TakesTheSaleAsTheViewGivesIt() =>
        Assert.NotNull(ProductMapper.Map(OnSale()).Input!.ProductAttributes["salePrice"]);

    [Fact]
    public void UpcomingBoundaries_BeforeTheSale_AreItsStartAndEnd()
    {
        var boundaries = SaleWindow.UpcomingBoundaries(OnSale(), Start.AddDays(-1)).ToList();

        Assert.Equal([Start, End], boundaries.Select(b => b.At));
        Assert.All(boundaries, b => Assert.Equal(BoundaryKind.Sale, b.Kind));
        Assert.All(boundaries, b => Assert.Equal(ProductKey, b.ProductKey));
    }

    [Fact]
    public void UpcomingBoundaries_DuringTheSale_IsItsEnd() =>
        Assert.Equal([End], SaleWindow.UpcomingBoundaries(OnSale(), Start.AddDays(1)).Select(b => b.At));

    [Fact]
    public void UpcomingBoundaries_JustAfterTheEnd_RechecksShortly_BecauseTheViewsClockLags()
    {
        var now = End.AddMilliseconds(20);

        var boundary = Assert.Single(SaleWindow.UpcomingBoundaries(OnSale(), now));

        Assert.Equal(BoundaryKind.Recheck, boundary.Kind);
        Assert.Equal(now + SaleWindow.RecheckDelay, boundary.At);
    }

    [Fact]
    public void UpcomingBoundaries_LongAfterTheEnd_None() =>
        Assert.Empty(SaleWindow.UpcomingBoundaries(OnSale(), End.AddHours(1)));

    [Fact]
    public void UpcomingBoundaries_WithoutSalePrice_IgnoreTheDates() =>
        Assert.Empty(SaleWindow.UpcomingBoundaries(Valid(("sale_price_start", Start.UtcDateTime), ("sale_price_end", End.UtcDateTime)), Start.AddDays(-1)));

    [Fact]
    public void UpcomingBoundaries_FutureAvailabilityDate_IsABoundary()
    {
        var boundary = Assert.Single(SaleWindow.UpcomingBoundaries(Valid(("availability", "preorder"), ("availability_date", Start.UtcDateTime)), Start.AddDays(-3)));

        Assert.Equal(BoundaryKind.Availability, boundary.Kind);
        Assert.Equal(Start, boundary.At);
    }
}
