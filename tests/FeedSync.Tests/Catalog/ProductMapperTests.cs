using System.Text.Json.Nodes;
using FeedSync.Catalog;
using static FeedSync.Tests.Catalog.FeedRows;

namespace FeedSync.Tests.Catalog;

/// <summary>How a valid feed row becomes the Merchant API v1 ProductInput wire shape.</summary>
public sealed class ProductMapperTests
{
    [Fact]
    public void Map_ValidRow_HasNoProblems()
    {
        var result = Map();

        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void Map_ValidRow_IdentityFromOfferLanguageAndLabel()
    {
        var input = Input();

        Assert.Equal("en~US~SKU1", input.Identity.Id);
    }

    [Fact]
    public void Map_UsdPrice_WritesStringMicrosAndCurrency()
    {
        var input = Input(("price", 15.99m), ("currency", "USD"));

        Assert.Equal("""{"amountMicros":"15990000","currencyCode":"USD"}""", Attribute(input, "price"));
    }

    [Fact]
    public void Map_LowercaseCurrency_WritesUppercaseCode()
    {
        var input = Input(("currency", "eur"));

        Assert.Equal("EUR", input.ProductAttributes["price"]?["currencyCode"]?.GetValue<string>());
    }

    [Fact]
    public void Map_JpyWholePrice_WritesMicros()
    {
        var input = Input(("price", 1500m), ("currency", "JPY"));

        Assert.Equal("""{"amountMicros":"1500000000","currencyCode":"JPY"}""", Attribute(input, "price"));
    }

    [Fact]
    public void Map_JpyPriceWithDecimals_ReportsPriceWithoutMinorUnits()
    {
        var result = Map(("price", 1500.5m), ("currency", "JPY"));

        Assert.False(result.IsValid);
        Assert.Contains(result.Problems, p => p.StartsWith("price ", StringComparison.Ordinal) && p.Contains("JPY", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_KwdPriceWithThreeDecimals_WritesMicros()
    {
        var input = Input(("price", 1.234m), ("currency", "KWD"));

        Assert.Equal("""{"amountMicros":"1234000","currencyCode":"KWD"}""", Attribute(input, "price"));
    }

    [Fact]
    public void Map_UsdPriceWithThreeDecimals_ReportsPrice()
    {
        var result = Map(("price", 15.999m), ("currency", "USD"));

        Assert.Contains(result.Problems, p => p.StartsWith("price ", StringComparison.Ordinal) && p.Contains("USD", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_PriceAsDouble_WritesExactMicros()
    {
        var input = Input(("price", 19.99d));

        Assert.Equal("19990000", input.ProductAttributes["price"]?["amountMicros"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("in_stock", "IN_STOCK")]
    [InlineData("IN STOCK", "IN_STOCK")]
    [InlineData("Out_Of_Stock", "OUT_OF_STOCK")]
    [InlineData(" preorder ", "PREORDER")]
    public void Map_AvailabilitySpelling_WritesEnum(string value, string expected)
    {
        var input = Input(("availability", value), ("availability_date", new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc)));

        Assert.Equal(expected, input.ProductAttributes["availability"]?.GetValue<string>());
    }

    [Fact]
    public void Map_UnknownAvailability_ReportsAvailability()
    {
        var result = Map(("availability", "maybe"));

        Assert.Contains(result.Problems, p => p.StartsWith("availability ", StringComparison.Ordinal) && p.Contains("maybe", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_PreorderWithoutAvailabilityDate_ReportsAvailabilityDate()
    {
        var result = Map(("availability", "preorder"));

        Assert.Contains(result.Problems, p => p.Contains("availability_date", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("new", "NEW")]
    [InlineData("Refurbished", "REFURBISHED")]
    [InlineData("USED", "USED")]
    public void Map_Condition_WritesEnum(string value, string expected)
    {
        var input = Input(("condition", value));

        Assert.Equal(expected, input.ProductAttributes["condition"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("yes", true)]
    [InlineData("no", false)]
    [InlineData("Yes", true)]
    [InlineData("NO", false)]
    public void Map_BooleanYesNoAnyCase_WritesBoolean(string value, bool expected)
    {
        // The catalog contract: values are written as in Google's spec (yes/no), case-insensitively.
        var input = Input(("identifier_exists", value));

        Assert.Equal(expected, input.ProductAttributes["identifierExists"]?.GetValue<bool>());
    }

    [Fact]
    public void Map_BooleanNotYesNo_ReportsColumn()
    {
        var result = Map(("adult", "perhaps"));

        Assert.Contains(result.Problems, p => p.StartsWith("adult ", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_UnknownCondition_ReportsCondition()
    {
        var result = Map(("condition", "broken"));

        Assert.Contains(result.Problems, p => p.StartsWith("condition ", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_UtcDateTime_WritesRfc3339Utc()
    {
        var input = Input(("availability_date", new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc)));

        Assert.Equal("2026-12-01T08:00:00Z", input.ProductAttributes["availabilityDate"]?.GetValue<string>());
    }

    [Fact]
    public void Map_DateTimeOffsetWithOffset_WritesUtcInstant()
    {
        var input = Input(("availability_date", new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.FromHours(2))));

        Assert.Equal("2026-12-01T08:00:00Z", input.ProductAttributes["availabilityDate"]?.GetValue<string>());
    }

    [Fact]
    public void Map_TimestampWithMilliseconds_KeepsFraction()
    {
        var input = Input(("availability_date", new DateTime(2026, 12, 1, 8, 0, 0, 250, DateTimeKind.Utc)));

        Assert.Equal("2026-12-01T08:00:00.25Z", input.ProductAttributes["availabilityDate"]?.GetValue<string>());
    }

    [Fact]
    public void Map_SalePriceWithWindow_SendsSalePriceAndEffectiveDate()
    {
        var input = Input(
            ("sale_price", 9.99m),
            ("sale_price_start", new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc)),
            ("sale_price_end", new DateTimeOffset(2026, 12, 24, 23, 0, 0, TimeSpan.FromHours(1))));

        Assert.Equal("""{"amountMicros":"9990000","currencyCode":"USD"}""", Attribute(input, "salePrice"));
        Assert.Equal("""{"startTime":"2026-12-01T08:00:00Z","endTime":"2026-12-24T22:00:00Z"}""", Attribute(input, "salePriceEffectiveDate"));
    }

    [Fact]
    public void Map_SalePriceWithoutDates_SendsTheSalePriceWithoutAnEffectiveDate()
    {
        // An open-ended sale: an empty Interval would say nothing, and Google applies a sale price without one until it is removed.
        var input = Input(("sale_price", 9.99m));

        Assert.Equal("""{"amountMicros":"9990000","currencyCode":"USD"}""", Attribute(input, "salePrice"));
        Assert.False(input.ProductAttributes.ContainsKey("salePriceEffectiveDate"));
    }

    [Fact]
    public void Map_SalePriceWithOnlyAnEnd_SendsTheEndSoGoogleEndsTheSaleOnTime()
    {
        var input = Input(("sale_price", 9.99m), ("sale_price_end", new DateTime(2026, 12, 24, 8, 0, 0, DateTimeKind.Utc)));

        Assert.Equal("""{"endTime":"2026-12-24T08:00:00Z"}""", Attribute(input, "salePriceEffectiveDate"));
    }

    [Fact]
    public void Map_SalePriceWithOnlyAStart_SendsTheStartAlone()
    {
        var input = Input(("sale_price", 9.99m), ("sale_price_start", new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc)));

        Assert.Equal("""{"startTime":"2026-12-01T08:00:00Z"}""", Attribute(input, "salePriceEffectiveDate"));
    }

    [Fact]
    public void Map_SaleWindowWithoutSalePrice_SendsNoSaleAttributes()
    {
        var input = Input(
            ("sale_price_start", new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc)),
            ("sale_price_end", new DateTime(2026, 12, 24, 8, 0, 0, DateTimeKind.Utc)));

        Assert.False(input.ProductAttributes.ContainsKey("salePrice"));
        Assert.False(input.ProductAttributes.ContainsKey("salePriceEffectiveDate"));
    }

    [Fact]
    public void Map_GtinList_WritesGtinsArray()
    {
        var input = Input(("gtin", "4006381333931, 73513537"));

        Assert.Equal("""["4006381333931","73513537"]""", Attribute(input, "gtins"));
    }

    [Fact]
    public void Map_ShippingWeight_WritesValueAndUnit()
    {
        var input = Input(("shipping_weight", "350 g"));

        Assert.Equal("""{"value":350,"unit":"g"}""", Attribute(input, "shippingWeight"));
    }

    [Fact]
    public void Map_ShippingWeightUppercaseUnit_WritesLowercaseUnit()
    {
        var input = Input(("shipping_weight", "1.5KG"));

        Assert.Equal("""{"value":1.5,"unit":"kg"}""", Attribute(input, "shippingWeight"));
    }

    [Fact]
    public void Map_ShippingWeightWithoutUnit_ReportsShippingWeight()
    {
        var result = Map(("shipping_weight", "350"));

        Assert.Contains(result.Problems, p => p.StartsWith("shipping_weight ", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_ProductType_WritesProductTypesArray()
    {
        var input = Input(("product_type", "Apparel > Shirts"));

        var types = input.ProductAttributes["productTypes"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Equal(["Apparel > Shirts"], types);
    }

    [Fact]
    public void Map_ProductTypeArray_WritesEachType()
    {
        var input = Input(("product_type", new[] { "Apparel > Shirts", " ", "Sale" }));

        var types = input.ProductAttributes["productTypes"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Equal(["Apparel > Shirts", "Sale"], types);
    }

    [Fact]
    public void Map_UnknownColumns_WriteCustomAttributesSortedByName()
    {
        var input = Input(("zeta_score", "7"), ("alpha_note", "hand made"), ("mid_tier", 3));

        Assert.Equal(["alpha_note", "mid_tier", "zeta_score"], input.CustomAttributes.Select(a => a.Name));
        Assert.Equal(["hand made", "3", "7"], input.CustomAttributes.Select(a => a.Value));
    }

    [Fact]
    public void ToJson_CustomAttributes_WrittenAsNameValueArray()
    {
        var input = Input(("fabric_weight", "heavy"));

        Assert.Equal("""[{"name":"fabric_weight","value":"heavy"}]""", input.ToJson()["customAttributes"]?.ToJsonString());
    }

    [Fact]
    public void Map_EmptyOptionalString_AttributeOmitted()
    {
        var input = Input(("description", ""), ("brand", "   "));

        Assert.False(input.ProductAttributes.ContainsKey("description"));
        Assert.False(input.ProductAttributes.ContainsKey("brand"));
    }

    [Fact]
    public void Map_EmptyRequiredString_ReportsMissing()
    {
        var result = Map(("title", "  "));

        Assert.Contains("title is missing", result.Problems);
    }

    [Fact]
    public void Map_EmptyUnknownColumn_NoCustomAttribute()
    {
        var input = Input(("fabric_weight", ""), ("lining", DBNull.Value));

        Assert.Empty(input.CustomAttributes);
    }

    [Fact]
    public void Map_TextWithSurroundingSpace_WritesTrimmedText()
    {
        var input = Input(("title", "  Linen shirt \n"));

        Assert.Equal("Linen shirt", input.ProductAttributes["title"]?.GetValue<string>());
    }

    [Fact]
    public void ContentHash_IsTheHashOfTheCanonicalJson()
    {
        var input = Input(("description", "Ünïcode \"quoted\" <b>"), ("gtin", "4006381333931, 73513537"), ("shipping_weight", "350 g"), ("season", "SS27"), ("fabric", "linen"));

        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(input.ToCanonicalJson())), input.ContentHash());
    }

    [Fact]
    public void ToCanonicalJson_IsTheInsertBodyAsCompactJson()
    {
        var input = Input(("description", "Ünïcode \"quoted\" <b>"), ("gtin", "4006381333931, 73513537"), ("shipping_weight", "350 g"), ("season", "SS27"), ("fabric", "linen"));

        Assert.Equal(input.ToJson().ToJsonString(FeedSync.Publish.ProductInput.JsonOptions), input.ToCanonicalJson());
        Assert.Contains("customAttributes", input.ToCanonicalJson());
    }

    [Fact]
    public void Map_SameRowTwice_SameContentHash()
    {
        var first = Input(("gtin", "4006381333931"), ("shipping_weight", "350 g"), ("extra", "x"));
        var second = Input(("gtin", "4006381333931"), ("shipping_weight", "350 g"), ("extra", "x"));

        Assert.Equal(first.ContentHash(), second.ContentHash());
    }

    [Fact]
    public void ToJson_Insert_CarriesIdentityFields()
    {
        var json = Input().ToJson();

        Assert.Equal("SKU1", json["offerId"]?.GetValue<string>());
        Assert.Equal("en", json["contentLanguage"]?.GetValue<string>());
        Assert.Equal("US", json["feedLabel"]?.GetValue<string>());
        Assert.IsType<JsonObject>(json["productAttributes"]);
    }
}
