using static FeedSync.Tests.Catalog.FeedRows;

namespace FeedSync.Tests.Catalog;

/// <summary>Google's product data rules applied before sending: each problem names the column at fault.</summary>
public sealed class ProductMapperValidationTests
{
    private static readonly DateTime SaleStart = new(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);

    private static void AssertProblemAbout(string column, IReadOnlyList<string> problems, string? alsoContains = null)
    {
        Assert.Contains(problems, p => p.StartsWith(column + " ", StringComparison.Ordinal)
                                       && (alsoContains is null || p.Contains(alsoContains, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("title")]
    [InlineData("link")]
    [InlineData("image_link")]
    [InlineData("availability")]
    [InlineData("price")]
    [InlineData("offer_id")]
    [InlineData("currency")]
    [InlineData("content_language")]
    [InlineData("feed_label")]
    public void Map_MissingRequiredColumn_ReportsColumnMissing(string column)
    {
        var result = Map((column, null));

        Assert.False(result.IsValid);
        Assert.Null(result.Input);
        AssertProblemAbout(column, result.Problems, "missing");
    }

    [Fact]
    public void Map_Title150Chars_Accepted()
    {
        var result = Map(("title", new string('t', 150)));

        Assert.True(result.IsValid, string.Join("; ", result.Problems));
    }

    [Fact]
    public void Map_Title151Chars_ReportsTitle()
    {
        var result = Map(("title", new string('t', 151)));

        Assert.False(result.IsValid);
        AssertProblemAbout("title", result.Problems, "150");
    }

    [Fact]
    public void Map_Description5000Chars_Accepted()
    {
        var result = Map(("description", new string('d', 5000)));

        Assert.True(result.IsValid, string.Join("; ", result.Problems));
    }

    [Fact]
    public void Map_Description5001Chars_ReportsDescription()
    {
        var result = Map(("description", new string('d', 5001)));

        Assert.False(result.IsValid);
        AssertProblemAbout("description", result.Problems, "5000");
    }

    [Fact]
    public void Map_GtinWrongCheckDigit_ReportsExpectedDigit()
    {
        var result = Map(("gtin", "4006381333932"));

        Assert.False(result.IsValid);
        AssertProblemAbout("gtin", result.Problems, "expected 1");
    }

    [Fact]
    public void Map_GtinListWithOneInvalid_ReportsThatGtin()
    {
        var result = Map(("gtin", "4006381333931, 73513538"));

        Assert.False(result.IsValid);
        AssertProblemAbout("gtin", result.Problems, "73513538");
    }

    [Fact]
    public void Map_GtinWithLetters_ReportsGtin()
    {
        var result = Map(("gtin", "40063813339X1"));

        AssertProblemAbout("gtin", result.Problems, "digits");
    }

    [Theory]
    [InlineData("4006381333931")] // GTIN-13 (EAN)
    [InlineData("73513537")] // GTIN-8
    [InlineData("036000291452")] // GTIN-12 (UPC-A)
    [InlineData("10012345678902")] // GTIN-14
    public void Map_ValidGtin_Accepted(string gtin)
    {
        var input = Input(("gtin", gtin));

        Assert.Equal(gtin, input.ProductAttributes["gtins"]?[0]?.GetValue<string>());
    }

    [Fact]
    public void Map_NegativePrice_ReportsPrice()
    {
        var result = Map(("price", -1m));

        Assert.False(result.IsValid);
        AssertProblemAbout("price", result.Problems, "greater than zero");
    }

    [Fact]
    public void Map_ZeroPrice_ReportsPrice()
    {
        var result = Map(("price", 0m));

        Assert.False(result.IsValid);
        AssertProblemAbout("price", result.Problems, "greater than zero");
    }

    [Fact]
    public void Map_NonNumericPrice_ReportsPrice()
    {
        var result = Map(("price", "cheap"));

        Assert.False(result.IsValid);
        AssertProblemAbout("price", result.Problems, "cheap");
    }

    [Fact]
    public void Map_UnknownCurrency_ReportsCurrency()
    {
        var result = Map(("currency", "XYZ"));

        Assert.False(result.IsValid);
        AssertProblemAbout("currency", result.Problems, "XYZ");
    }

    [Fact]
    public void Map_SalePriceEqualToPrice_ReportsSalePrice()
    {
        var result = Map(("price", 20m), ("sale_price", 20m));

        Assert.False(result.IsValid);
        AssertProblemAbout("sale_price", result.Problems, "lower than price");
    }

    [Fact]
    public void Map_SalePriceAbovePrice_ReportsSalePrice()
    {
        var result = Map(("price", 20m), ("sale_price", 25m));

        Assert.False(result.IsValid);
        AssertProblemAbout("sale_price", result.Problems, "lower than price");
    }

    [Fact]
    public void Map_NegativeSalePrice_ReportsSalePrice()
    {
        var result = Map(("sale_price", -1m));

        Assert.False(result.IsValid);
        AssertProblemAbout("sale_price", result.Problems);
    }

    [Fact]
    public void Map_SaleEndBeforeStart_ReportsSalePriceEnd()
    {
        var result = Map(("sale_price", 9.99m), ("sale_price_start", SaleStart), ("sale_price_end", SaleStart.AddDays(-1)));

        Assert.False(result.IsValid);
        AssertProblemAbout("sale_price_end", result.Problems, "sale_price_start");
    }

    [Fact]
    public void Map_SaleEndEqualToStart_ReportsSalePriceEnd()
    {
        var result = Map(("sale_price", 9.99m), ("sale_price_start", SaleStart), ("sale_price_end", SaleStart));

        Assert.False(result.IsValid);
        AssertProblemAbout("sale_price_end", result.Problems);
    }

    [Fact]
    public void Map_SaleStartNotATimestamp_ReportsSalePriceStart()
    {
        var result = Map(("sale_price", 9.99m), ("sale_price_start", "next tuesday"));

        Assert.False(result.IsValid);
        AssertProblemAbout("sale_price_start", result.Problems);
    }

    [Theory]
    [InlineData("ftp://shop.example/p/sku1")]
    [InlineData("javascript:alert(1)")]
    [InlineData("shop.example/p/sku1")]
    [InlineData("/p/sku1")]
    public void Map_LinkNotHttp_ReportsLink(string link)
    {
        var result = Map(("link", link));

        Assert.False(result.IsValid);
        AssertProblemAbout("link", result.Problems, "http");
    }

    [Fact]
    public void Map_ImageLinkNotHttp_ReportsImageLink()
    {
        var result = Map(("image_link", "file:///tmp/a.jpg"));

        Assert.False(result.IsValid);
        AssertProblemAbout("image_link", result.Problems);
    }

    [Fact]
    public void Map_OfferId50Chars_Accepted()
    {
        var result = Map(("offer_id", new string('o', 50)));

        Assert.True(result.IsValid, string.Join("; ", result.Problems));
    }

    [Fact]
    public void Map_OfferId51Chars_ReportsOfferId()
    {
        var result = Map(("offer_id", new string('o', 51)));

        Assert.False(result.IsValid);
        AssertProblemAbout("offer_id", result.Problems, "50");
    }

    [Fact]
    public void Map_OfferIdWithWhitespaceRuns_CollapsesToSingleSpaces()
    {
        var input = Input(("offer_id", "  SKU   1\t2 "));

        Assert.Equal("SKU 1 2", input.Identity.OfferId);
    }

    [Fact]
    public void Map_LowercaseFeedLabel_IsUpperCased()
    {
        var input = Input(("feed_label", "us_web-2"));

        Assert.Equal("US_WEB-2", input.Identity.FeedLabel);
    }

    [Theory]
    [InlineData("U S")]
    [InlineData("US!")]
    [InlineData("ÜS")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTU")]
    public void Map_FeedLabelInvalid_ReportsFeedLabel(string label)
    {
        var result = Map(("feed_label", label));

        Assert.False(result.IsValid);
        AssertProblemAbout("feed_label", result.Problems);
    }

    [Fact]
    public void Map_UppercaseContentLanguage_IsLowerCased()
    {
        var input = Input(("content_language", "DE"));

        Assert.Equal("de", input.Identity.ContentLanguage);
    }

    [Theory]
    [InlineData("eng")]
    [InlineData("e")]
    [InlineData("e1")]
    [InlineData("en-US")]
    public void Map_ContentLanguageNotTwoLetters_ReportsContentLanguage(string language)
    {
        var result = Map(("content_language", language));

        Assert.False(result.IsValid);
        AssertProblemAbout("content_language", result.Problems);
    }

    [Fact]
    public void Map_SeveralProblems_ReportsEach()
    {
        var result = Map(("title", null), ("price", 0m), ("gtin", "4006381333932"));

        AssertProblemAbout("title", result.Problems);
        AssertProblemAbout("price", result.Problems);
        AssertProblemAbout("gtin", result.Problems);
    }

    [Fact]
    public void Map_InvalidRow_StillReportsIdentity()
    {
        var result = Map(("title", null));

        Assert.Equal("en~US~SKU1", result.Identity?.Id);
    }
}
