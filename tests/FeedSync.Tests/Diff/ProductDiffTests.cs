using System.Text.Json.Nodes;
using FeedSync.Diff;
using FeedSync.Publish;
using static FeedSync.Tests.Catalog.FeedRows;

namespace FeedSync.Tests.Diff;

/// <summary>The cheapest call that makes Google hold the current catalog content.</summary>
public sealed class ProductDiffTests
{
    private static readonly DateTimeOffset PushedAt = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTime SaleStart = new(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime SaleEnd = new(2026, 12, 24, 8, 0, 0, DateTimeKind.Utc);

    private static LastPushed Pushed(ProductInput previous) =>
        new(previous.Identity, ProductKey, previous.ContentHash(), previous.ToJson(), PushedAt, PushedAt);

    private static PushDecision Decide(ProductInput current, ProductInput previous) =>
        ProductDiff.Decide(current.Identity, current, Pushed(previous));

    private static ProductInput OnSale(params (string Column, object? Value)[] more) =>
        Input([("sale_price", 9.99m), ("sale_price_start", SaleStart), ("sale_price_end", SaleEnd), .. more]);

    /// <summary>
    /// The payload as PushRecorder reads it back from jsonb (<c>payload::text</c>): parsed from text, with every
    /// object's keys in jsonb's storage order (shorter keys first, then bytewise).
    /// </summary>
    private static JsonObject AsReadFromJsonb(ProductInput pushed) => (JsonObject)JsonbOrder(JsonNode.Parse(pushed.ToCanonicalJson()))!;

    private static JsonNode? JsonbOrder(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o
            .OrderBy(p => p.Key.Length).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, JsonbOrder(p.Value)))
            .ToList()),
        JsonArray a => new JsonArray(a.Select(JsonbOrder).ToArray()),
        null => null,
        _ => JsonNode.Parse(node.ToJsonString()),
    };

    [Fact]
    public void Decide_NoChange_None()
    {
        var decision = Decide(OnSale(), OnSale());

        Assert.Equal(PushAction.None, decision.Action);
        Assert.Empty(decision.UpdateMask);
    }

    [Fact]
    public void Decide_PriceOnly_PatchMaskExactlyPrice()
    {
        var decision = Decide(Input(("price", 17.49m)), Input(("price", 15.99m)));

        Assert.Equal(PushAction.Patch, decision.Action);
        Assert.Equal(["productAttributes.price"], decision.UpdateMask);
    }

    [Fact]
    public void ToJson_PriceOnlyPatch_BodyCarriesOnlyPrice()
    {
        var current = Input(("price", 17.49m), ("description", "unchanged text"));
        var decision = Decide(current, Input(("price", 15.99m), ("description", "unchanged text")));

        var attributes = (JsonObject)current.ToJson(decision.MaskedAttributes)["productAttributes"]!;

        Assert.Equal(["price"], attributes.Select(a => a.Key));
        Assert.Equal("17490000", attributes["price"]?["amountMicros"]?.GetValue<string>());
    }

    [Fact]
    public void Decide_AvailabilityAndPrice_PatchMaskBothSorted()
    {
        var decision = Decide(Input(("price", 12m), ("availability", "out_of_stock")), Input(("price", 15.99m), ("availability", "in_stock")));

        Assert.Equal(PushAction.Patch, decision.Action);
        Assert.Equal(["productAttributes.availability", "productAttributes.price"], decision.UpdateMask);
    }

    [Fact]
    public void Decide_SaleCleared_PatchMaskNamesSaleFields()
    {
        var decision = Decide(Input(), OnSale());

        Assert.Equal(PushAction.Patch, decision.Action);
        Assert.Equal(["productAttributes.salePrice", "productAttributes.salePriceEffectiveDate"], decision.UpdateMask);
    }

    [Fact]
    public void ToJson_SaleClearingPatch_BodyHasNoSaleValues()
    {
        var current = Input();
        var decision = Decide(current, OnSale());

        var attributes = (JsonObject)current.ToJson(decision.MaskedAttributes)["productAttributes"]!;

        Assert.False(attributes.ContainsKey("salePrice"));
        Assert.False(attributes.ContainsKey("salePriceEffectiveDate"));
    }

    [Fact]
    public void Decide_SaleStarted_PatchMaskNamesSaleFields()
    {
        var decision = Decide(OnSale(), Input());

        Assert.Equal(PushAction.Patch, decision.Action);
        Assert.Equal(["productAttributes.salePrice", "productAttributes.salePriceEffectiveDate"], decision.UpdateMask);
    }

    [Fact]
    public void Decide_SaleEndMoved_PatchMaskOnlyEffectiveDate()
    {
        var decision = Decide(OnSale(("sale_price_end", SaleEnd.AddDays(7))), OnSale());

        Assert.Equal(PushAction.Patch, decision.Action);
        Assert.Equal(["productAttributes.salePriceEffectiveDate"], decision.UpdateMask);
    }

    [Fact]
    public void Decide_TitleChanged_Insert()
    {
        var decision = Decide(Input(("title", "Linen shirt, blue")), Input());

        Assert.Equal(PushAction.Insert, decision.Action);
        Assert.Empty(decision.UpdateMask);
    }

    [Fact]
    public void Decide_TitleAndPriceChanged_Insert()
    {
        var decision = Decide(Input(("title", "Linen shirt, blue"), ("price", 12m)), Input());

        Assert.Equal(PushAction.Insert, decision.Action);
    }

    [Fact]
    public void Decide_CustomAttributeChanged_Insert()
    {
        var decision = Decide(Input(("fabric_weight", "heavy")), Input(("fabric_weight", "light")));

        Assert.Equal(PushAction.Insert, decision.Action);
    }

    [Fact]
    public void Decide_CustomAttributeRemoved_Insert()
    {
        var decision = Decide(Input(), Input(("fabric_weight", "light")));

        Assert.Equal(PushAction.Insert, decision.Action);
    }

    [Fact]
    public void Decide_PreviousPushOutcomeUnknown_InsertsInFull()
    {
        var current = Input();
        var unknown = new LastPushed(current.Identity, "1", current.ContentHash(), current.ToJson(), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, ForceReason.InDoubt, DateTimeOffset.UnixEpoch);

        var decision = ProductDiff.Decide(current.Identity, current, unknown);

        Assert.Equal(PushAction.Insert, decision.Action);
        Assert.Contains("unknown", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_PreviousPushOutcomeUnknownAndRowGone_Deletes()
    {
        var identity = Input().Identity;
        var unknown = new LastPushed(identity, "1", [], new System.Text.Json.Nodes.JsonObject(), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, ForceReason.InDoubt, DateTimeOffset.UnixEpoch);

        var decision = ProductDiff.Decide(identity, null, unknown);

        Assert.Equal(PushAction.Delete, decision.Action);
    }

    [Fact]
    public void Decide_NoPrevious_Insert()
    {
        var current = Input();

        var decision = ProductDiff.Decide(current.Identity, current, null);

        Assert.Equal(PushAction.Insert, decision.Action);
        Assert.Same(current, decision.Input);
    }

    [Fact]
    public void Decide_CurrentNullWithPrevious_Delete()
    {
        var previous = Input();

        var decision = ProductDiff.Decide(previous.Identity, null, Pushed(previous));

        Assert.Equal(PushAction.Delete, decision.Action);
        Assert.Equal(previous.Identity, decision.Identity);
    }

    [Fact]
    public void Decide_BothNull_None()
    {
        var decision = ProductDiff.Decide(new ProductIdentity("en", "US", "SKU1"), null, null);

        Assert.Equal(PushAction.None, decision.Action);
    }

    [Fact]
    public void Decide_PriceChangedPayloadReadFromJsonb_PatchMaskOnlyPrice()
    {
        (string, object?)[] rich = [("gtin", "4006381333931"), ("shipping_weight", "1.5 kg"), ("product_type", "Apparel > Shirts"), ("fabric_weight", "light")];
        var previous = OnSale(rich);
        var current = OnSale([.. rich, ("price", 14m)]);
        var last = Pushed(previous) with { Payload = AsReadFromJsonb(previous) };

        var decision = ProductDiff.Decide(current.Identity, current, last);

        Assert.Equal(["productAttributes.price"], decision.UpdateMask);
    }

    [Fact]
    public void MaskedAttributes_PatchDecision_StripsPrefix()
    {
        var decision = Decide(Input(("price", 12m), ("availability", "out_of_stock")), Input());

        Assert.Equal(["availability", "price"], decision.MaskedAttributes);
    }
}
