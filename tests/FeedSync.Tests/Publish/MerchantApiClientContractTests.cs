using System.Text.Json.Nodes;
using FeedSync.Diff;
using FeedSync.MerchantEmulator;
using FeedSync.Publish;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static FeedSync.Tests.Catalog.FeedRows;
using MerchantEmulatorServer = FeedSync.MerchantEmulator.MerchantEmulator;

namespace FeedSync.Tests.Publish;

/// <summary>
/// The real <see cref="MerchantApiClient"/> against the emulator: every request must fit Google's discovery
/// document, and afterwards the emulator must hold what the catalog says.
/// </summary>
public sealed class MerchantApiClientContractTests : IDisposable
{
    private const string OfferId = "sku/1~v1.2 50%off größe-ß-日本";
    private const string StoredKey = "accounts/123/productInputs/en~US~" + OfferId;

    private static readonly DateTime SaleStart = new(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);
    private static readonly DateTimeOffset SaleEnd = new(2026, 12, 24, 23, 0, 0, TimeSpan.FromHours(1));

    private readonly MerchantEmulatorServer _emulator = MerchantEmulatorServer.Start();
    private readonly HttpClient _http;
    private readonly MerchantClients _clients;
    private readonly MerchantApiClient _client;

    public MerchantApiClientContractTests()
    {
        _http = new HttpClient { BaseAddress = new Uri(_emulator.Url) };
        _clients = new MerchantClients(_http, MerchantClients.Options(_emulator.Url));
        _client = _clients.Client;
    }

    public void Dispose()
    {
        _clients.Dispose();
        _http.Dispose();
        _emulator.Dispose();
    }

    /// <summary>A product using most attribute kinds: sale with window, gtins, weight, types, dates, custom attribute.</summary>
    private static ProductInput Rich(params (string Column, object? Value)[] changes) => Input(
    [
        ("offer_id", OfferId),
        ("description", "Breathable linen, relaxed fit."),
        ("sale_price", 9.99m),
        ("sale_price_start", SaleStart),
        ("sale_price_end", SaleEnd),
        ("condition", "new"),
        ("brand", "Acme"),
        ("gtin", "4006381333931, 73513537"),
        ("mpn", "ACME-LS-1"),
        ("product_type", "Apparel > Shirts"),
        ("shipping_weight", "350 g"),
        ("additional_image_link", "https://shop.example/img/sku1-b.jpg, https://shop.example/img/sku1-c.jpg"),
        ("identifier_exists", true),
        ("sell_on_google_quantity", 12L),
        ("custom_label_0", "summer"),
        ("fabric_weight", "light"),
        .. changes,
    ]);

    private static LastPushed Pushed(ProductInput previous) =>
        new(previous.Identity, ProductKey, previous.ContentHash(), previous.ToJson(), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    private JsonObject StoredAttributes() => (JsonObject)_emulator.Products[StoredKey]["productAttributes"]!;

    private async Task<ProductInput> InsertRichAsync()
    {
        var rich = Rich();
        var result = await _client.InsertAsync(rich, CancellationToken.None);
        Assert.True(result.IsSuccess, result.ToString());
        return rich;
    }

    [Fact]
    public async Task InsertAsync_RichProduct_Succeeds()
    {
        var result = await _client.InsertAsync(Rich(), CancellationToken.None);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.Empty(_emulator.ContractViolations);
    }

    [Fact]
    public async Task InsertAsync_RichProduct_EmulatorHoldsCatalogContent()
    {
        await InsertRichAsync();

        var stored = _emulator.Products[StoredKey];
        var attributes = StoredAttributes();
        Assert.Equal(OfferId, stored["offerId"]?.GetValue<string>());
        Assert.Equal("15990000", attributes["price"]?["amountMicros"]?.GetValue<string>());
        Assert.Equal("9990000", attributes["salePrice"]?["amountMicros"]?.GetValue<string>());
        Assert.Equal("2026-12-01T08:00:00Z", attributes["salePriceEffectiveDate"]?["startTime"]?.GetValue<string>());
        Assert.Equal("2026-12-24T22:00:00Z", attributes["salePriceEffectiveDate"]?["endTime"]?.GetValue<string>());
        Assert.Equal("73513537", attributes["gtins"]?[1]?.GetValue<string>());
        Assert.Equal("g", attributes["shippingWeight"]?["unit"]?.GetValue<string>());
        Assert.Equal("fabric_weight", stored["customAttributes"]?[0]?["name"]?.GetValue<string>());
        Assert.Empty(_emulator.ContractViolations);
    }

    [Fact]
    public async Task InsertAsync_RichProduct_PostsToAccountInsertWithDataSource()
    {
        await InsertRichAsync();

        var request = Assert.Single(_emulator.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/products/v1/accounts/123/productInputs:insert", request.Path);
        Assert.Equal("dataSource=accounts/123/dataSources/456", Uri.UnescapeDataString(request.Query));
    }

    [Fact]
    public async Task PatchAsync_PriceAndAvailabilityMask_EmulatorHoldsNewValues()
    {
        var previous = await InsertRichAsync();
        var current = Rich(("price", 12.5m), ("availability", "out_of_stock"));
        var decision = ProductDiff.Decide(current.Identity, current, Pushed(previous));
        Assert.Equal(["productAttributes.availability", "productAttributes.price"], decision.UpdateMask);

        var result = await _client.PatchAsync(current, decision.UpdateMask, CancellationToken.None);

        Assert.True(result.IsSuccess, result.ToString());
        var attributes = StoredAttributes();
        Assert.Equal("12500000", attributes["price"]?["amountMicros"]?.GetValue<string>());
        Assert.Equal("OUT_OF_STOCK", attributes["availability"]?.GetValue<string>());
        Assert.Empty(_emulator.ContractViolations);
    }

    [Fact]
    public async Task PatchAsync_PriceAndAvailabilityMask_KeepsUnmaskedAttributes()
    {
        var previous = await InsertRichAsync();
        var current = Rich(("price", 12.5m), ("availability", "out_of_stock"));
        var decision = ProductDiff.Decide(current.Identity, current, Pushed(previous));

        await _client.PatchAsync(current, decision.UpdateMask, CancellationToken.None);

        var attributes = StoredAttributes();
        Assert.Equal("Linen shirt", attributes["title"]?.GetValue<string>());
        Assert.Equal("9990000", attributes["salePrice"]?["amountMicros"]?.GetValue<string>());
        Assert.Equal("fabric_weight", _emulator.Products[StoredKey]["customAttributes"]?[0]?["name"]?.GetValue<string>());
    }

    [Fact]
    public async Task PatchAsync_AwkwardOfferId_PathUsesBase64UrlName()
    {
        var previous = await InsertRichAsync();
        var current = Rich(("price", 12.5m));

        await _client.PatchAsync(current, ProductDiff.Decide(current.Identity, current, Pushed(previous)).UpdateMask, CancellationToken.None);

        var patch = _emulator.Requests[^1];
        Assert.Equal("PATCH", patch.Method);
        Assert.Equal($"/products/v1/accounts/123/productInputs/{current.Identity.EncodedId}", patch.Path);
    }

    [Fact]
    public async Task PatchAsync_SaleClearingMask_EmulatorDropsSale()
    {
        var previous = await InsertRichAsync();
        var current = Rich(("sale_price", null), ("sale_price_start", null), ("sale_price_end", null));
        var decision = ProductDiff.Decide(current.Identity, current, Pushed(previous));
        Assert.Equal(["productAttributes.salePrice", "productAttributes.salePriceEffectiveDate"], decision.UpdateMask);

        var result = await _client.PatchAsync(current, decision.UpdateMask, CancellationToken.None);

        Assert.True(result.IsSuccess, result.ToString());
        var attributes = StoredAttributes();
        Assert.False(attributes.ContainsKey("salePrice"));
        Assert.False(attributes.ContainsKey("salePriceEffectiveDate"));
        Assert.Equal("15990000", attributes["price"]?["amountMicros"]?.GetValue<string>());
        Assert.Empty(_emulator.ContractViolations);
    }

    [Fact]
    public async Task PatchAsync_UnknownProduct_NotFound()
    {
        var current = Rich(("price", 12.5m));

        var result = await _client.PatchAsync(current, ["productAttributes.price"], CancellationToken.None);

        Assert.Equal(ResultKind.NotFound, result.Kind);
        Assert.Empty(_emulator.ContractViolations);
    }

    [Fact]
    public async Task DeleteAsync_InsertedProduct_EmulatorNoLongerHoldsIt()
    {
        var inserted = await InsertRichAsync();

        var result = await _client.DeleteAsync(inserted.Identity, CancellationToken.None);

        Assert.True(result.IsSuccess, result.ToString());
        Assert.False(_emulator.Products.ContainsKey(StoredKey));
        Assert.Empty(_emulator.ContractViolations);
    }

    [Fact]
    public async Task DeleteAsync_UnknownProduct_NotFound()
    {
        var result = await _client.DeleteAsync(new ProductIdentity("en", "US", OfferId), CancellationToken.None);

        Assert.Equal(ResultKind.NotFound, result.Kind);
    }

    [Fact]
    public async Task InsertPatchPatchDelete_EveryRecordedRequest_ValidAgainstDiscoveryDocument()
    {
        var rich = await InsertRichAsync();
        var repriced = Rich(("price", 12.5m), ("availability", "out_of_stock"));
        var pricePatch = await _client.PatchAsync(repriced, ProductDiff.Decide(repriced.Identity, repriced, Pushed(rich)).UpdateMask, CancellationToken.None);
        var saleOver = Rich(("price", 12.5m), ("availability", "out_of_stock"), ("sale_price", null), ("sale_price_start", null), ("sale_price_end", null));
        var salePatch = await _client.PatchAsync(saleOver, ProductDiff.Decide(saleOver.Identity, saleOver, Pushed(repriced)).UpdateMask, CancellationToken.None);
        var delete = await _client.DeleteAsync(rich.Identity, CancellationToken.None);

        Assert.All([pricePatch, salePatch, delete], r => Assert.True(r.IsSuccess, r.ToString()));
        Assert.Empty(_emulator.ContractViolations);
        Assert.Equal(["POST", "PATCH", "PATCH", "DELETE"], _emulator.Requests.Select(r => r.Method));
        Assert.All(_emulator.Requests, request =>
        {
            var pathAndQuery = request.Query.Length > 0 ? $"{request.Path}?{request.Query}" : request.Path;
            Assert.Empty(DiscoveryContract.Products.ValidateRequest(request.Method, pathAndQuery, request.Body));
        });
    }
}
