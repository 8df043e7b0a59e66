using FeedSync.MerchantEmulator;

namespace FeedSync.Tests.Emulator;

public sealed class DiscoveryContractTests
{
    private const string InsertUrl = "/products/v1/accounts/123/productInputs:insert?dataSource=accounts/123/dataSources/456";

    private const string ValidBody = """
        {
          "offerId": "SKU12345", "contentLanguage": "en", "feedLabel": "US", "versionNumber": "7",
          "productAttributes": {
            "title": "Classic Cotton T-Shirt", "link": "https://www.example.com/p/SKU12345",
            "availability": "IN_STOCK", "condition": "NEW", "gtins": ["9780007350896"],
            "price": {"amountMicros": "15990000", "currencyCode": "USD"},
            "salePrice": {"amountMicros": 9990000, "currencyCode": "USD"},
            "salePriceEffectiveDate": {"startTime": "2026-05-01T00:00:00Z", "endTime": "2026-05-08T00:00:00.5+02:00"},
            "shipping": [{"country": "US", "price": {"amountMicros": "0", "currencyCode": "USD"}, "maxTransitTime": "5"}],
            "adult": false, "productWeight": {"value": 1.5, "unit": "kg"}
          },
          "customAttributes": [{"name": "season", "value": "summer"}, {"name": "group", "groupValues": [{"name": "a", "value": "b"}]}]
        }
        """;

    private static IReadOnlyList<string> ValidateInsert(string body, string url = InsertUrl) =>
        DiscoveryContract.Products.ValidateRequest("POST", url, body);

    [Fact]
    public void ValidateRequest_ValidInsertBody_ReturnsNoErrors()
    {
        Assert.Empty(ValidateInsert(ValidBody));
    }

    [Fact]
    public void ValidateRequest_AbsoluteUrlWithGlobalParameters_ReturnsNoErrors()
    {
        var url = "http://127.0.0.1:9/products/v1/accounts/1/products?pageSize=10&$.xgafv=2&alt=json&prettyPrint=false";

        Assert.Empty(DiscoveryContract.Products.ValidateRequest("GET", url, null));
    }

    [Fact]
    public void ValidateRequest_UnknownField_ErrorNamesJsonPath()
    {
        var errors = ValidateInsert("""{"offerId":"a","productAttributes":{"colour":"red"}}""");

        var error = Assert.Single(errors);
        Assert.Contains("$.productAttributes.colour", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateRequest_WrongEnumValue_ReturnsError()
    {
        var errors = ValidateInsert("""{"productAttributes":{"availability":"in_stock"}}""");

        Assert.Contains("$.productAttributes.availability", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"15.99\"")]
    [InlineData("15.99")]
    [InlineData("\"abc\"")]
    [InlineData("true")]
    public void ValidateRequest_Int64NotAnInteger_ReturnsError(string amount)
    {
        var errors = ValidateInsert($$"""{"productAttributes":{"price":{"amountMicros":{{amount}},"currencyCode":"USD"} } }""");

        Assert.Contains("$.productAttributes.price.amountMicros", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-05-01")]
    [InlineData("2026-05-01 00:00:00Z")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-05-01T00:00:00")]
    public void ValidateRequest_BadTimestamp_ReturnsError(string timestamp)
    {
        var errors = ValidateInsert($$"""{"productAttributes":{"salePriceEffectiveDate":{"startTime":"{{timestamp}}"} } }""");

        Assert.Contains("$.productAttributes.salePriceEffectiveDate.startTime", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateRequest_WrongJsonTypes_ReturnsOneErrorEach()
    {
        var errors = ValidateInsert("""{"offerId":5,"legacyLocal":"yes","productAttributes":{"gtins":"123","shipping":{}}}""");

        Assert.Equal(4, errors.Count);
    }

    [Fact]
    public void ValidateRequest_UnknownQueryParameter_ReturnsError()
    {
        var errors = ValidateInsert(ValidBody, InsertUrl + "&validateOnly=true");

        Assert.Contains("validateOnly", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateRequest_UpdateMaskWithUnknownAttribute_ReturnsError()
    {
        var url = "/products/v1/accounts/1/productInputs/ZW5-VVN-U0tVMTIzNDU?dataSource=accounts/1/dataSources/2"
            + "&updateMask=productAttributes.price,product_attributes.sale_price,customAttributes.season,productAttributes.salesPrice";

        var errors = DiscoveryContract.Products.ValidateRequest("PATCH", url, "{}");

        Assert.Contains("productAttributes.salesPrice", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/products/v1/accounts/1/productInputs/en~US~1")]
    [InlineData("POST", "/products/v1beta/accounts/1/productInputs:insert")]
    [InlineData("PUT", "/products/v1/accounts/1/productInputs/en~US~1")]
    [InlineData("GET", "/products/v1/accounts/1/products/en~US~1/extra")]
    public void ValidateRequest_UnknownPath_ReturnsError(string method, string path)
    {
        Assert.Single(DiscoveryContract.Products.ValidateRequest(method, path, null));
    }

    [Fact]
    public void ValidateRequest_BodyOnMethodWithoutRequest_ReturnsError()
    {
        var errors = DiscoveryContract.Products.ValidateRequest("GET", "/products/v1/accounts/1/products/en~US~1", """{"a":1}""");

        Assert.Single(errors);
    }

    [Theory]
    [InlineData("merchantapi.inventories_v1.json", "POST", "/inventories/v1/accounts/1/products/ZW5-VVN-MQ/localInventories:insert", """{"storeCode":"s1","localInventoryAttributes":{"availability":"IN_STOCK"}}""")]
    [InlineData("merchantapi.promotions_v1.json", "GET", "/promotions/v1/accounts/1/promotions?pageSize=5", null)]
    [InlineData("merchantapi.datasources_v1.json", "GET", "/datasources/v1/accounts/1/dataSources/2", null)]
    [InlineData("merchantapi.notifications_v1.json", "GET", "/notifications/v1/accounts/1/notificationsubscriptions", null)]
    public void Load_OtherSubApis_ValidatesTheirRequests(string file, string method, string url, string? body)
    {
        Assert.Empty(DiscoveryContract.Load(file).ValidateRequest(method, url, body));
    }
}
