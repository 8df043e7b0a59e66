using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace FeedSync.Publish;

/// <summary>One processed product as Google reports it: its destinations' approval and its item-level issues.</summary>
internal sealed record ProductStatus(ProductIdentity Identity, bool Disapproved, JsonArray DestinationStatuses, JsonArray ItemIssues);

/// <summary>
/// Reads <c>products.list</c> page by page. Only one page is held at a time, so memory stays flat in catalog size.
/// </summary>
internal sealed class ProductStatusReader(HttpClient http, IOptions<MerchantCenterOptions> options)
{
    public const int PageSize = 250;

    public async IAsyncEnumerable<IReadOnlyList<ProductStatus>> ReadPagesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? pageToken = null;
        do
        {
            var url = $"products/v1/{options.Value.AccountName}/products?pageSize={PageSize}" + (pageToken is null ? "" : "&pageToken=" + Uri.EscapeDataString(pageToken));
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                var error = GoogleError.Classify(response.StatusCode, body, response.Headers.RetryAfter?.Delta);
                throw new MerchantApiException($"products.list failed: {error}", error);
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var page = await JsonNode.ParseAsync(stream, cancellationToken: cancellationToken) as JsonObject ?? [];
            pageToken = page["nextPageToken"]?.GetValue<string>() is { Length: > 0 } next ? next : null;
            yield return (page["products"] as JsonArray ?? []).OfType<JsonObject>().Select(Parse).ToList();
        }
        while (pageToken is not null);
    }

    internal static ProductStatus Parse(JsonObject product)
    {
        var identity = new ProductIdentity(
            product["contentLanguage"]?.GetValue<string>() ?? "",
            product["feedLabel"]?.GetValue<string>() ?? "",
            product["offerId"]?.GetValue<string>() ?? "");
        var status = product["productStatus"] as JsonObject;
        var destinations = status?["destinationStatuses"]?.DeepClone() as JsonArray ?? [];
        var issues = status?["itemLevelIssues"]?.DeepClone() as JsonArray ?? [];
        var disapproved = destinations.Any(d => d?["disapprovedCountries"] is JsonArray { Count: > 0 })
                          || issues.Any(i => i?["severity"]?.GetValueKind() == JsonValueKind.String && i["severity"]!.GetValue<string>() == "DISAPPROVED");
        return new ProductStatus(identity, disapproved, destinations, issues);
    }
}

/// <summary>A Merchant API call outside the push path failed; carries Google's classified answer.</summary>
internal sealed class MerchantApiException(string message, MerchantResult result) : Exception(message)
{
    public MerchantResult Result { get; } = result;
}
