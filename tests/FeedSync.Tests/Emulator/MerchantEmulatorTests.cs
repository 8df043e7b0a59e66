using System.Net;
using System.Text.Json.Nodes;

namespace FeedSync.Tests.Emulator;

public sealed class MerchantEmulatorTests
{
    private const string Encoded = "ZW5-VVN-U0tVMTIzNDU"; // base64url("en~US~SKU12345")
    private const string ProductKey = "accounts/123/productInputs/en~US~SKU12345";
    private const string Query = "?dataSource=" + EmulatorClient.DataSource;

    [Fact]
    public async Task Insert_ThenGet_ReturnsStoredProduct()
    {
        using var c = new EmulatorClient();

        var (insertStatus, input) = await c.Insert(EmulatorClient.Product("SKU12345"));
        var (getStatus, product) = await c.Send(HttpMethod.Get, $"products/v1/accounts/123/products/{Encoded}");

        Assert.Equal(HttpStatusCode.OK, insertStatus);
        Assert.Equal(ProductKey, input["name"]?.GetValue<string>());
        Assert.Equal($"accounts/123/productInputs/{Encoded}", input["base64EncodedName"]?.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal("15990000", product["productAttributes"]?["price"]?["amountMicros"]?.GetValue<string>());
        Assert.Equal(EmulatorClient.DataSource, product["dataSource"]?.GetValue<string>());
        Assert.True(c.Emulator.Products.ContainsKey(ProductKey));
        Assert.Equal(2, c.Emulator.CallCount);
        Assert.Empty(c.Emulator.ContractViolations);
    }

    [Fact]
    public async Task KeepRequestsOff_CountsCallsAndStoresProducts_ButKeepsNoRequest()
    {
        using var c = new EmulatorClient();
        c.Emulator.KeepRequests = false;

        await c.Insert(EmulatorClient.Product("SKU12345"));

        Assert.Equal(1, c.Emulator.CallCount);
        Assert.Empty(c.Emulator.Requests);
        Assert.True(c.Emulator.Products.ContainsKey(ProductKey));
    }

    [Fact]
    public async Task Insert_ExistingProduct_ReplacesWholeInput()
    {
        using var c = new EmulatorClient();
        await c.Insert(EmulatorClient.Product("SKU12345", ""","brand":"Acme" """));

        await c.Insert(EmulatorClient.Product("SKU12345"));

        Assert.Null(c.Emulator.Products[ProductKey]["productAttributes"]?["brand"]);
    }

    [Fact]
    public async Task Patch_MaskNamesSalePriceAbsentFromBody_RemovesSalePrice()
    {
        using var c = new EmulatorClient();
        await c.Insert(EmulatorClient.Product("SKU12345", ""","salePrice":{"amountMicros":"9990000","currencyCode":"USD"}"""));

        var (status, body) = await c.Send(HttpMethod.Patch,
            $"products/v1/accounts/123/productInputs/{Encoded}{Query}&updateMask=productAttributes.price,productAttributes.salePrice",
            """{"productAttributes":{"price":{"amountMicros":"12000000","currencyCode":"USD"},"title":"ignored: not in mask"}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var stored = c.Emulator.Products[ProductKey]["productAttributes"]!;
        Assert.Null(stored["salePrice"]);
        Assert.Equal("12000000", stored["price"]?["amountMicros"]?.GetValue<string>());
        Assert.Equal("Shirt SKU12345", stored["title"]?.GetValue<string>());
        Assert.Null(body["productAttributes"]?["salePrice"]);
    }

    [Fact]
    public async Task Patch_WithoutMask_UpdatesOnlyPopulatedFields()
    {
        using var c = new EmulatorClient();
        await c.Insert(EmulatorClient.Product("SKU12345", ""","salePrice":{"amountMicros":"9990000","currencyCode":"USD"}"""));

        var (status, _) = await c.Send(HttpMethod.Patch, $"products/v1/accounts/123/productInputs/en~US~SKU12345{Query}",
            """{"productAttributes":{"availability":"OUT_OF_STOCK"}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var stored = c.Emulator.Products[ProductKey]["productAttributes"]!;
        Assert.Equal("OUT_OF_STOCK", stored["availability"]?.GetValue<string>());
        Assert.NotNull(stored["salePrice"]);
    }

    [Fact]
    public async Task Patch_UnknownProduct_Returns404WithErrorInfo()
    {
        using var c = new EmulatorClient();

        var (status, body) = await c.Send(HttpMethod.Patch,
            $"products/v1/accounts/123/productInputs/{Encoded}{Query}&updateMask=productAttributes.price", "{}");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal(404, body["error"]?["code"]?.GetValue<int>());
        Assert.Equal("NOT_FOUND", body["error"]?["status"]?.GetValue<string>());
        var info = body["error"]?["details"]?[0];
        Assert.Equal("type.googleapis.com/google.rpc.ErrorInfo", info?["@type"]?.GetValue<string>());
        Assert.Equal("merchantapi.googleapis.com", info?["domain"]?.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(info?["metadata"]?["REASON"]?.GetValue<string>()));
    }

    [Fact]
    public async Task Patch_StarMask_Returns400()
    {
        using var c = new EmulatorClient();
        await c.Insert(EmulatorClient.Product("SKU12345"));

        var (status, body) = await c.Send(HttpMethod.Patch, $"products/v1/accounts/123/productInputs/{Encoded}{Query}&updateMask=*", "{}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_ARGUMENT", body["error"]?["status"]?.GetValue<string>());
    }

    [Fact]
    public async Task Delete_ExistingProduct_RemovesIt()
    {
        using var c = new EmulatorClient();
        await c.Insert(EmulatorClient.Product("SKU12345"));
        var url = $"products/v1/accounts/123/productInputs/{Encoded}{Query}";

        var (first, body) = await c.Send(HttpMethod.Delete, url);
        var (second, _) = await c.Send(HttpMethod.Delete, url);

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Empty(body);
        Assert.Equal(HttpStatusCode.NotFound, second);
        Assert.Empty(c.Emulator.Products);
    }

    [Fact]
    public async Task Get_EncodedAndDecodedNames_AddressSameProduct()
    {
        using var c = new EmulatorClient();
        await c.Insert(EmulatorClient.Product("sku/1~a b"));
        var encoded = "ZW5-VVN-c2t1LzF-YSBi"; // base64url("en~US~sku/1~a b")

        var (byEncoded, product) = await c.Send(HttpMethod.Get, $"products/v1/accounts/123/products/{encoded}");
        var (byPlain, _) = await c.Send(HttpMethod.Get, "products/v1/accounts/123/products/en~US~SKU-2");
        await c.Insert(EmulatorClient.Product("SKU-2"));
        var (byPlainAfterInsert, _) = await c.Send(HttpMethod.Get, "products/v1/accounts/123/products/en~US~SKU-2");
        var (byEncodedPlain, _) = await c.Send(HttpMethod.Get, "products/v1/accounts/123/products/ZW5-VVN-U0tVLTI");

        Assert.Equal(HttpStatusCode.OK, byEncoded);
        Assert.Equal("sku/1~a b", product["offerId"]?.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, byPlain);
        Assert.Equal(HttpStatusCode.OK, byPlainAfterInsert);
        Assert.Equal(HttpStatusCode.OK, byEncodedPlain);
        Assert.True(c.Emulator.Products.ContainsKey("accounts/123/productInputs/en~US~sku/1~a b"));
    }

    [Fact]
    public async Task List_MoreProductsThanPageSize_PagesThroughAll()
    {
        using var c = new EmulatorClient();
        for (var i = 0; i < 7; i++)
        {
            await c.Insert(EmulatorClient.Product($"SKU{i}"));
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = "products/v1/accounts/123/products?pageSize=3" + (token is null ? "" : $"&pageToken={Uri.EscapeDataString(token)}");
            var (status, body) = await c.Send(HttpMethod.Get, url);
            Assert.Equal(HttpStatusCode.OK, status);
            seen.AddRange(body["products"]!.AsArray().Select(p => p!["offerId"]!.GetValue<string>()));
            token = body["nextPageToken"]?.GetValue<string>();
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"SKU{i}"), seen);
    }

    [Fact]
    public async Task Insert_ContractViolation_Returns400AndRecordsIt()
    {
        using var c = new EmulatorClient();

        var (status, body) = await c.Insert(EmulatorClient.Product("SKU1", ""","colour":"red" """));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("$.productAttributes.colour", body["error"]?["message"]?.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("$.productAttributes.colour", Assert.Single(c.Emulator.ContractViolations), StringComparison.Ordinal);
        Assert.Equal(400, Assert.Single(c.Emulator.Requests).Status);
        Assert.Empty(c.Emulator.Products);
    }

    [Theory]
    [InlineData("products/v1/accounts/123/productInputs:insert", "MISSING_DATA_SOURCE")]
    [InlineData("products/v1/accounts/123/productInputs:insert?dataSource=456", "INVALID_DATA_SOURCE_NAME")]
    [InlineData("products/v1/accounts/abc/productInputs:insert?dataSource=accounts/123/dataSources/456", "INVALID_NAME_PART_NOT_NUMBER")]
    public async Task Insert_BadDataSourceOrAccount_Returns400WithReason(string url, string reason)
    {
        using var c = new EmulatorClient();

        var (status, body) = await c.Send(HttpMethod.Post, url, EmulatorClient.Product("SKU1"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(reason, body["error"]?["details"]?[0]?["metadata"]?["REASON"]?.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"contentLanguage":"en","feedLabel":"US"}""")]
    [InlineData("""{"offerId":"1","contentLanguage":"en","feedLabel":"us"}""")]
    [InlineData("""{"offerId":"1","contentLanguage":"en","feedLabel":"ABCDEFGHIJKLMNOPQRSTU"}""")]
    [InlineData("""{"offerId":"123456789012345678901234567890123456789012345678901","contentLanguage":"en","feedLabel":"US"}""")]
    public async Task Insert_InvalidIdentity_Returns400(string body)
    {
        using var c = new EmulatorClient();

        var (status, _) = await c.Insert(body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Empty(c.Emulator.ContractViolations);
    }

    [Fact]
    public async Task Insert_UnknownRoute_Returns404()
    {
        using var c = new EmulatorClient();

        var (status, body) = await c.Send(HttpMethod.Get, "products/v1/accounts/123/productInputs/en~US~1");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("NOT_FOUND", body["error"]?["status"]?.GetValue<string>());
    }

    [Fact]
    public async Task Insert_ManyConcurrentCalls_StoresAll()
    {
        using var c = new EmulatorClient();

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => c.Insert(EmulatorClient.Product($"SKU{i}"))));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(200, c.Emulator.Products.Count);
        Assert.Equal(200, c.Emulator.CallCount);
    }

    [Fact]
    public async Task AdminEndpoints_StatsAndReset_AreNotCounted()
    {
        using var c = new EmulatorClient();
        await c.Insert(EmulatorClient.Product("SKU1"));

        var (_, stats) = await c.Send(HttpMethod.Get, "emulator/stats");
        var products = JsonNode.Parse(await c.Http.GetStringAsync(new Uri("emulator/products", UriKind.Relative)))!.AsArray();
        var (resetStatus, _) = await c.Send(HttpMethod.Post, "emulator/reset");

        Assert.Equal(1, stats["calls"]?.GetValue<int>());
        Assert.Equal(1, stats["byMethod"]?["merchantapi.accounts.productInputs.insert"]?.GetValue<int>());
        Assert.Equal(0, stats["contractViolations"]?.GetValue<int>());
        Assert.Single(products);
        Assert.Equal(HttpStatusCode.OK, resetStatus);
        Assert.Empty(c.Emulator.Products);
        Assert.Equal(0, c.Emulator.CallCount);
    }
}
