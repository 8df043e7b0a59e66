using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace FeedSync.Publish;

/// <summary>Creates the primary API data source FeedSync writes products to (Data sources sub-API v1).</summary>
internal sealed class DataSourceSetup(IHttpClientFactory httpClients, IOptions<MerchantCenterOptions> options)
{
    /// <summary>Creates a primary product data source with API input and returns its numeric id.</summary>
    public async Task<string> CreatePrimaryAsync(string displayName, CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(MerchantCenterOptions.AdminHttpClient);
        // No contentLanguage or feedLabel: the source then accepts every destination FeedSync's feed view names.
        var body = new JsonObject { ["displayName"] = displayName, ["primaryProductDataSource"] = new JsonObject() };
        using var response = await http.PostAsJsonAsync($"datasources/v1/{options.Value.AccountName}/dataSources", body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = GoogleError.Classify(response.StatusCode, text, null);
            throw new InvalidOperationException($"Merchant Center refused to create the data source: {error}");
        }

        return JsonNode.Parse(text)?["dataSourceId"]?.GetValue<string>()
            ?? throw new InvalidOperationException("Merchant Center created a data source but did not say its id.");
    }

    /// <summary><c>dataSources.get</c> on the configured data source: its configuration, or null when Merchant Center has no such data source.</summary>
    public async Task<JsonObject?> GetConfiguredAsync(CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(MerchantCenterOptions.AdminHttpClient);
        using var response = await http.GetAsync($"datasources/v1/{options.Value.DataSourceName}", cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Merchant Center refused to read the data source: {GoogleError.Classify(response.StatusCode, text, null)}");
        }

        return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException("Merchant Center answered dataSources.get without a data source.");
    }
}
