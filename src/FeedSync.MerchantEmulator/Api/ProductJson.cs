using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FeedSync.MerchantEmulator;

/// <summary>The JSON shapes the emulator returns: ProductInput (write side) and Product (read side).</summary>
internal static class ProductJson
{
    // Fields Google computes itself; they are accepted on input (the contract allows them) and dropped.
    public static readonly string[] OutputOnly = ["name", "product", "base64EncodedName", "base64EncodedProduct"];

    public static JsonObject ParseObject(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return [];
        }

        return JsonNode.Parse(body) as JsonObject
            ?? throw ApiException.Invalid("INVALID_JSON", "Invalid JSON payload received. The request body must be a JSON object.");
    }

    /// <summary>The ProductInput as Google answers insert and patch: stored fields plus its names.</summary>
    public static JsonObject ProductInput(StoredProduct stored)
    {
        var json = new JsonObject
        {
            ["name"] = $"accounts/{stored.Account}/productInputs/{stored.PlainId}",
            ["product"] = $"accounts/{stored.Account}/products/{stored.PlainId}",
        };
        foreach (var (key, value) in ParseObject(stored.InputJson).ToList())
        {
            json[key] = value?.DeepClone();
        }

        var encoded = ProductName.Encode(stored.PlainId);
        json["base64EncodedName"] = $"accounts/{stored.Account}/productInputs/{encoded}";
        json["base64EncodedProduct"] = $"accounts/{stored.Account}/products/{encoded}";
        return json;
    }

    /// <summary>The processed Product. The emulator has no rules or supplemental sources, so it mirrors the input.</summary>
    public static JsonObject Product(StoredProduct stored)
    {
        var input = ParseObject(stored.InputJson);
        var json = new JsonObject
        {
            ["name"] = $"accounts/{stored.Account}/products/{stored.PlainId}",
            ["base64EncodedName"] = $"accounts/{stored.Account}/products/{ProductName.Encode(stored.PlainId)}",
        };
        foreach (var field in new[] { "offerId", "contentLanguage", "feedLabel", "legacyLocal" })
        {
            if (input[field] is { } value)
            {
                json[field] = value.DeepClone();
            }
        }

        json["dataSource"] = stored.DataSource;
        foreach (var field in new[] { "versionNumber", "productAttributes", "customAttributes" })
        {
            if (input[field] is { } value)
            {
                json[field] = value.DeepClone();
            }
        }

        // Google expires a product 30 days after its last refresh.
        json["productStatus"] = new JsonObject
        {
            ["creationDate"] = Timestamp(stored.Created),
            ["lastUpdateDate"] = Timestamp(stored.Updated),
            ["googleExpirationDate"] = Timestamp(stored.Updated.AddDays(30)),
        };
        return json;
    }

    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Proto3 "populated": not null and not the default value ("", 0, false, empty list or message).</summary>
    public static bool IsPopulated(JsonNode? node) => node switch
    {
        null => false,
        JsonArray a => a.Count > 0,
        JsonObject o => o.Count > 0,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>().Length > 0,
            JsonValueKind.False or JsonValueKind.Null => false,
            JsonValueKind.Number => v.ToJsonString() is not ("0" or "0.0"),
            _ => true,
        },
        _ => true,
    };
}
