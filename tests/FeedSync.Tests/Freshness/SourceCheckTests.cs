using FeedSync.Catalog;
using FeedSync.Freshness;
using FeedSync.Tests.Catalog;

namespace FeedSync.Tests.Freshness;

/// <summary>The check that lets reconciliation skip mapping a row changes with every input the mapping depends on.</summary>
public sealed class SourceCheckTests
{
    private static readonly byte[] Source = Convert.FromHexString("00112233445566778899AABBCCDDEEFF");
    private static readonly byte[] Content = Convert.FromHexString("0102030405060708091011121314151617181920212223242526272829303132");
    private static readonly DateTimeOffset SaleStart = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Check_IsTheSameForTheSameInputs_AndDiffersWhenAnyInputDiffers()
    {
        var check = SourceCheck.Compute(Source, saleInEffect: false, Content);
        Assert.Equal(check, SourceCheck.Compute(Source.ToArray(), saleInEffect: false, Content.ToArray()));

        var otherSource = Source.ToArray();
        otherSource[0] ^= 1;
        var otherContent = Content.ToArray();
        otherContent[^1] ^= 1;
        Assert.NotEqual(check, SourceCheck.Compute(otherSource, saleInEffect: false, Content));
        Assert.NotEqual(check, SourceCheck.Compute(Source, saleInEffect: true, Content));
        Assert.NotEqual(check, SourceCheck.Compute(Source, saleInEffect: false, otherContent));
        Assert.NotEqual(check, SourceCheck.Compute(Source, saleInEffect: false, Content, ProductMapper.Version + 1));

        // A destination never accepted ('\x') or a tampered hash never matches a real content hash's check.
        Assert.NotEqual(check, SourceCheck.Compute(Source, saleInEffect: false, [0x00]));
        Assert.NotEqual(check, SourceCheck.Compute(Source, saleInEffect: false, []));
    }

    [Fact]
    public void SaleInEffect_FollowsTheSaleWindowOnFeedSyncsClock()
    {
        var row = FeedRows.Valid(("sale_price", 9.99m), ("sale_price_start", SaleStart), ("sale_price_end", SaleStart.AddDays(1)));

        Assert.False(SourceCheck.SaleInEffect(row, SaleStart.AddTicks(-1)));
        Assert.True(SourceCheck.SaleInEffect(row, SaleStart));
        Assert.False(SourceCheck.SaleInEffect(row, SaleStart.AddDays(1)));
    }

    /// <summary>
    /// Reconciliation trusts checks stored under the same <see cref="ProductMapper.Version"/>. If this fails, the
    /// mapping or the content hash changed: bump ProductMapper.Version (so every row is mapped again) and pin the new
    /// hash and version here together.
    /// </summary>
    [Fact]
    public void ContentHashOfARichSampleRow_IsPinnedToTheMapperVersion()
    {
        var row = FeedRows.Valid(
            ("description", "Washed linen, relaxed fit"),
            ("sale_price", 12.5m),
            ("sale_price_start", SaleStart),
            ("sale_price_end", SaleStart.AddDays(7)),
            ("availability_date", SaleStart.AddDays(-3)),
            ("condition", "new"),
            ("brand", "Acme"),
            ("gtin", "4006381333931"),
            ("product_type", "Apparel > Shirts, Linen"),
            ("additional_image_link", "https://shop.example/img/sku1-b.jpg,https://shop.example/img/sku1-c.jpg"),
            ("shipping_weight", "350 g"),
            ("identifier_exists", true),
            ("multipack", 2L),
            ("custom_label_0", "autumn"),
            ("fabric_origin", "Portugal"));
        var mapped = ProductMapper.Map(row, SaleStart.AddHours(1));
        Assert.True(mapped.IsValid, string.Join("; ", mapped.Problems));

        Assert.Equal(1, ProductMapper.Version);
        Assert.Equal("13A9A106B01F6F843D32AB675B18130B3CACEC40F915A45E6320A761A77009AB", Convert.ToHexString(mapped.Input!.ContentHash()));
    }
}
