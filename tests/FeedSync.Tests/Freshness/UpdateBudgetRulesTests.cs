using FeedSync.Diff;
using FeedSync.Freshness;
using FeedSync.Jobs;
using FeedSync.Publish;
using Microsoft.Extensions.Options;
using static FeedSync.Tests.Catalog.FeedRows;

namespace FeedSync.Tests.Freshness;

/// <summary>Which changes may wait for the update budget, and when the budget allows the next cosmetic push.</summary>
public sealed class UpdateBudgetRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static LastPushed Pushed(ProductInput previous, string? forceReason = null) =>
        new(previous.Identity, ProductKey, previous.ContentHash(), previous.ToJson(), Now, Now, forceReason, forceReason is null ? null : Now);

    private static ChangeClass Classify(ProductInput current, ProductInput previous, string? forceReason = null)
    {
        var last = Pushed(previous, forceReason);
        return ChangeClassifier.Classify(ProductDiff.Decide(current.Identity, current, last), last);
    }

    [Theory]
    [InlineData("title", "Linen shirt, blue")]
    [InlineData("description", "Now with pockets")]
    [InlineData("image_link", "https://shop.example/img/sku1-v2.jpg")]
    [InlineData("custom_label_0", "summer")]
    [InlineData("brand", "Acme")]
    [InlineData("season", "SS27")]
    public void Classify_Cosmetic(string column, string value) =>
        Assert.Equal(ChangeClass.Cosmetic, Classify(Input((column, value)), Input()));

    [Theory]
    [InlineData("availability", "out_of_stock")]
    [InlineData("price", 14.99)]
    [InlineData("link", "https://shop.example/p/sku1-new")]
    public void Classify_Critical(string column, object value) =>
        Assert.Equal(ChangeClass.Critical, Classify(Input((column, value is double d ? (decimal)d : value)), Input()));

    [Fact]
    public void Classify_BackInStock_Critical() =>
        Assert.Equal(ChangeClass.Critical, Classify(Input(), Input(("availability", "out_of_stock"))));

    [Fact]
    public void Classify_SaleStartsOrEnds_Critical()
    {
        var onSale = Input(("sale_price", 9.99m));

        Assert.Equal(ChangeClass.Critical, Classify(onSale, Input()));
        Assert.Equal(ChangeClass.Critical, Classify(Input(), onSale));
    }

    [Fact]
    public void Classify_CosmeticTogetherWithCritical_Critical() =>
        Assert.Equal(ChangeClass.Critical, Classify(Input(("title", "New title"), ("availability", "out_of_stock")), Input()));

    [Fact]
    public void Classify_DeletionFirstInsertAndExpiryRefresh_Critical()
    {
        var input = Input(("title", "New title"));

        Assert.Equal(ChangeClass.Critical, ChangeClassifier.Classify(ProductDiff.Decide(input.Identity, null, Pushed(input)), Pushed(input)));
        Assert.Equal(ChangeClass.Critical, ChangeClassifier.Classify(ProductDiff.Decide(input.Identity, input, null), null));
        Assert.Equal(ChangeClass.Critical, Classify(input, Input(), ForceReason.ExpiryRefresh));
    }

    [Fact]
    public void ExpiryRefresh_Marked_IsAFullInsert_EvenWhenNothingChanged_AndSaysSo()
    {
        var decision = ProductDiff.Decide(Input().Identity, Input(), Pushed(Input(), ForceReason.ExpiryRefresh));

        Assert.Equal(PushAction.Insert, decision.Action);
        Assert.Equal(ForceReason.Describe(ForceReason.ExpiryRefresh), decision.Reason);
        Assert.DoesNotContain("operator", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ForceReason.OperatorResync, "resync requested by an operator")]
    [InlineData(ForceReason.InDoubt, "the outcome of an earlier push is unknown")]
    public void ForcedInsert_GivesItsOwnReason(string reason, string expected)
    {
        var decision = ProductDiff.Decide(Input().Identity, Input(), Pushed(Input(), reason));

        Assert.Equal(PushAction.Insert, decision.Action);
        Assert.Equal(expected, decision.Reason);
    }

    [Fact]
    public void NextSlot_NoRecentCosmeticPush_Now() => Assert.Equal(Now, Gate(2).NextSlot([], Now));

    [Fact]
    public void NextSlot_SpacesPushesEvenlyOverTheDay() =>
        Assert.Equal(Now.AddHours(11), Gate(2).NextSlot([Now.AddHours(-1)], Now));

    [Fact]
    public void NextSlot_BudgetSpent_WaitsUntilTheOldestLeavesTheRollingDay() =>
        Assert.Equal(Now.AddHours(4), Gate(2).NextSlot([Now.AddHours(-20), Now.AddHours(-13)], Now));

    [Fact]
    public void NextSlot_PushesOlderThanADay_DoNotCount() =>
        Assert.Equal(Now, Gate(2).NextSlot([Now.AddHours(-30), Now.AddHours(-25)], Now));

    [Fact]
    public void NextSlot_FourPerDay_SixHoursApart() =>
        Assert.Equal(Now.AddHours(5), Gate(4).NextSlot([Now.AddHours(-1)], Now));

    private static FreshnessGate Gate(int perDay) =>
        new(null!, Options.Create(new FreshnessOptions { CosmeticPushesPerDay = perDay }));
}
