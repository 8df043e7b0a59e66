using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace FeedSync.MerchantEmulator;

/// <summary>
/// What Google would report about stored products after processing them: destination statuses and item-level
/// issues, keyed like the store. Tests set them (Google's review has no equivalent in the emulator) and
/// <c>products.get</c>/<c>products.list</c> return them inside <c>productStatus</c>.
/// </summary>
internal sealed class ProductStatuses
{
    private readonly ConcurrentDictionary<string, string> _byKey = new(StringComparer.Ordinal);

    public void Set(string key, JsonArray? destinationStatuses, JsonArray? itemLevelIssues)
    {
        var status = new JsonObject();
        if (destinationStatuses is not null)
        {
            status["destinationStatuses"] = destinationStatuses.DeepClone();
        }

        if (itemLevelIssues is not null)
        {
            status["itemLevelIssues"] = itemLevelIssues.DeepClone();
        }

        _byKey[key] = status.ToJsonString();
    }

    public void Clear() => _byKey.Clear();

    /// <summary>Adds the status set for <paramref name="key"/>, if any, to a product's <c>productStatus</c>.</summary>
    public void ApplyTo(string key, JsonObject product)
    {
        if (_byKey.TryGetValue(key, out var json) && product["productStatus"] is JsonObject status)
        {
            foreach (var (name, value) in JsonNode.Parse(json)!.AsObject())
            {
                status[name] = value?.DeepClone();
            }
        }
    }
}

internal static class ProductStatusesExtensions
{
    /// <summary>The processed product as <c>products.get</c>/<c>list</c> return it, with any status a test set.</summary>
    public static JsonObject WithStatus(this ProductStatuses statuses, StoredProduct stored)
    {
        var product = ProductJson.Product(stored);
        statuses.ApplyTo(stored.Key, product);
        return product;
    }
}
