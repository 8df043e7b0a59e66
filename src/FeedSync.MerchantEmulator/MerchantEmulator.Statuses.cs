using System.Text.Json.Nodes;

namespace FeedSync.MerchantEmulator;

public sealed partial class MerchantEmulator
{
    /// <summary>
    /// Sets what Google reports for a product after processing it (as in <c>productStatus</c>):
    /// <paramref name="destinationStatuses"/> and <paramref name="itemLevelIssues"/> are arrays of Google's
    /// DestinationStatus and ItemLevelIssue objects. Applies whether or not the product is stored yet.
    /// </summary>
    public void SetProductStatus(string account, string contentLanguage, string feedLabel, string offerId, JsonArray? destinationStatuses, JsonArray? itemLevelIssues) =>
        _store.Statuses.Set(ProductStore.Key(account, $"{contentLanguage}~{feedLabel}~{offerId}"), destinationStatuses, itemLevelIssues);

    /// <summary>Admin route <c>POST /emulator/status/{lang}~{label}~{offerId}?account=N</c> with body <c>{destinationStatuses, itemLevelIssues}</c>.</summary>
    private JsonObject SetStatusFromAdmin(string plainId, string query, string? body)
    {
        var account = query.Split('&').Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0] == "account" && p.Length == 2)?[1];
        var json = JsonNode.Parse(body ?? "{}") as JsonObject ?? [];
        _store.Statuses.Set(ProductStore.Key(account ?? "", Uri.UnescapeDataString(plainId)), json["destinationStatuses"] as JsonArray, json["itemLevelIssues"] as JsonArray);
        return [];
    }
}
