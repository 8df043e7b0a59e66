using System.Net;

namespace FeedSync.Tests.Emulator;

/// <summary>The emulator can report Google's processing results (issues, destination statuses) for held products.</summary>
public sealed class ProductStatusEmulatorTests
{
    [Fact]
    public async Task AdminStatus_IsReturnedInsideProductStatus_ByListAndGet()
    {
        using var c = new EmulatorClient();
        await c.Insert(EmulatorClient.Product("SKU1"));
        await c.Insert(EmulatorClient.Product("SKU2"));

        var (adminStatus, _) = await c.Send(HttpMethod.Post, "emulator/status/en~US~SKU1?account=123", """
            { "itemLevelIssues": [{ "code": "image_link_broken", "severity": "DISAPPROVED" }],
              "destinationStatuses": [{ "reportingContext": "SHOPPING_ADS", "disapprovedCountries": ["US"] }] }
            """);
        var (listStatus, list) = await c.Send(HttpMethod.Get, "products/v1/accounts/123/products?pageSize=10");
        var (getStatus, product) = await c.Send(HttpMethod.Get, "products/v1/accounts/123/products/en~US~SKU1");

        Assert.Equal(HttpStatusCode.OK, adminStatus);
        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.Equal(HttpStatusCode.OK, getStatus);
        var products = list["products"]!.AsArray();
        Assert.Equal("image_link_broken", products.Single(p => p!["offerId"]!.GetValue<string>() == "SKU1")!["productStatus"]!["itemLevelIssues"]![0]!["code"]!.GetValue<string>());
        Assert.Null(products.Single(p => p!["offerId"]!.GetValue<string>() == "SKU2")!["productStatus"]!["itemLevelIssues"]);
        Assert.Equal("US", product["productStatus"]!["destinationStatuses"]![0]!["disapprovedCountries"]![0]!.GetValue<string>());
        Assert.NotNull(product["productStatus"]!["googleExpirationDate"]);
        Assert.Empty(c.Emulator.ContractViolations);
    }
}
