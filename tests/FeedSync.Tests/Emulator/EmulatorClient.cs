using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MerchantApiEmulator = FeedSync.MerchantEmulator.MerchantEmulator;

namespace FeedSync.Tests.Emulator;

/// <summary>A started emulator plus a real HttpClient aimed at it, for one test.</summary>
internal sealed class EmulatorClient : IDisposable
{
    public const string DataSource = "accounts/123/dataSources/456";

    public EmulatorClient()
    {
        Emulator = MerchantApiEmulator.Start();
        Http = new HttpClient { BaseAddress = new Uri(Emulator.Url) };
    }

    public MerchantApiEmulator Emulator { get; }

    public HttpClient Http { get; }

    public static string Product(string offerId, string extraAttributes = "") => $$"""
        {"offerId":"{{offerId}}","contentLanguage":"en","feedLabel":"US",
         "productAttributes":{"title":"Shirt {{offerId}}","availability":"IN_STOCK",
           "price":{"amountMicros":"15990000","currencyCode":"USD"}{{extraAttributes}} } }
        """;

    public Task<(HttpStatusCode Status, JsonObject Body)> Insert(string body) =>
        Send(HttpMethod.Post, $"products/v1/accounts/123/productInputs:insert?dataSource={DataSource}", body);

    public async Task<(HttpStatusCode Status, JsonObject Body)> Send(HttpMethod method, string url, string? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text) as JsonObject ?? []);
    }

    public void Dispose()
    {
        Http.Dispose();
        Emulator.Dispose();
    }
}
