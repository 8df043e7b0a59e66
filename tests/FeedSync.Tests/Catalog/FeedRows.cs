using FeedSync.Catalog;
using FeedSync.Publish;

namespace FeedSync.Tests.Catalog;

/// <summary>Feed rows for tests: one valid product, with chosen columns replaced or removed.</summary>
internal static class FeedRows
{
    public const string ProductKey = "p1";

    public static Dictionary<string, object?> ValidColumns() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["product_key"] = ProductKey,
        ["offer_id"] = "SKU1",
        ["content_language"] = "en",
        ["feed_label"] = "US",
        ["title"] = "Linen shirt",
        ["link"] = "https://shop.example/p/sku1",
        ["image_link"] = "https://shop.example/img/sku1.jpg",
        ["price"] = 15.99m,
        ["currency"] = "USD",
        ["availability"] = "in_stock",
    };

    /// <summary>The valid row with <paramref name="changes"/> applied in order; a null value removes the column.</summary>
    public static FeedRow Valid(params (string Column, object? Value)[] changes)
    {
        var values = ValidColumns();
        foreach (var (column, value) in changes)
        {
            if (value is null)
            {
                values.Remove(column);
            }
            else
            {
                values[column] = value;
            }
        }

        return new FeedRow(ProductKey, values);
    }

    public static MappingResult Map(params (string Column, object? Value)[] changes) => ProductMapper.Map(Valid(changes));

    /// <summary>Maps the changed valid row and fails the test if it does not map cleanly.</summary>
    public static ProductInput Input(params (string Column, object? Value)[] changes)
    {
        var result = Map(changes);
        Assert.True(result.IsValid, "expected a valid product, got: " + string.Join("; ", result.Problems));
        return result.Input!;
    }

    /// <summary>The JSON text of one product attribute of the mapped input, or null when it is absent.</summary>
    public static string? Attribute(ProductInput input, string attribute) => input.ProductAttributes[attribute]?.ToJsonString();
}
