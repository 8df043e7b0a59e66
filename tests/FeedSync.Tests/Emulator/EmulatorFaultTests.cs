using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FeedSync.MerchantEmulator;

namespace FeedSync.Tests.Emulator;

/// <summary>Fault injection, the admin endpoint that adjusts it at run time, the bearer check and the batch endpoint.</summary>
public sealed class EmulatorFaultTests
{
    [Fact]
    public async Task FaultsEndpoint_PostGetDelete_AdjustsInjectionAtRunTime()
    {
        using var c = new EmulatorClient();

        var posted = await c.Http.PostAsync("emulator/faults", new StringContent("""{"share429":1,"retryDelayMs":2500}""", Encoding.UTF8, "application/json"));
        var (status, error) = await c.Insert(EmulatorClient.Product("a"));
        var read = JsonNode.Parse(await c.Http.GetStringAsync("emulator/faults"))!;
        await c.Http.DeleteAsync("emulator/faults");
        var (after, _) = await c.Insert(EmulatorClient.Product("a"));

        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        var details = error["error"]!["details"]!.AsArray();
        Assert.Contains(details, d => d!["@type"]!.GetValue<string>().EndsWith("RetryInfo", StringComparison.Ordinal) && d["retryDelay"]!.GetValue<string>() == "2.5s");
        Assert.Contains(details, d => d!["metadata"]?["REASON"]?.GetValue<string>() == "quota/request_rate_too_high");
        Assert.Equal(1.0, read["share429"]!.GetValue<double>());
        Assert.Equal(HttpStatusCode.OK, after);
        Assert.Single(c.Emulator.Products); // the faulted call stored nothing
    }

    [Fact]
    public async Task FaultsEndpoint_SharesAboveOne_Rejected()
    {
        using var c = new EmulatorClient();

        var posted = await c.Http.PostAsync("emulator/faults", new StringContent("""{"share500":0.7,"share503":0.7}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.Equal(FaultSettings.None, c.Emulator.Faults);
    }

    [Fact]
    public async Task Share503_AboutThatShareOfCallsFail()
    {
        using var c = new EmulatorClient();
        c.Emulator.Faults = new FaultSettings { Share503 = 0.5 };

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 200; i++)
        {
            statuses.Add((await c.Insert(EmulatorClient.Product($"p{i}"))).Status);
        }

        Assert.InRange(statuses.Count(s => s == HttpStatusCode.ServiceUnavailable), 50, 150);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable));
    }

    [Fact]
    public async Task LatencyMethodAndCount_DelayOnlyTheNextRequestOfThatMethod()
    {
        using var c = new EmulatorClient();
        c.Emulator.Faults = new FaultSettings { LatencyMs = 5000, LatencyMethod = "POST", LatencyCount = 1 };

        // Each request gets 2 s: a delayed one is cancelled.
        using var other = await WithinAsync(HttpMethod.Get, "products/v1/accounts/123/products/ZW5-VVN-YQ", null);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WithinAsync(HttpMethod.Post, InsertUrl, EmulatorClient.Product("a")));
        using var second = await WithinAsync(HttpMethod.Post, InsertUrl, EmulatorClient.Product("b"));

        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        async Task<HttpResponseMessage> WithinAsync(HttpMethod method, string url, string? body)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
            return await c.Http.SendAsync(request, limit.Token);
        }
    }

    private const string InsertUrl = $"products/v1/accounts/123/productInputs:insert?dataSource={EmulatorClient.DataSource}";

    [Fact]
    public async Task RequireBearerToken_NoAuthorizationHeader_401Unauthenticated()
    {
        using var c = new EmulatorClient();
        c.Emulator.RequireBearerToken = true;

        var (without, error) = await c.Insert(EmulatorClient.Product("a"));
        c.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "token");
        var (with, _) = await c.Insert(EmulatorClient.Product("a"));

        Assert.Equal(HttpStatusCode.Unauthorized, without);
        Assert.Equal("UNAUTHENTICATED", error["error"]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, with);
    }

    [Fact]
    public async Task Batch_InvalidPart_AnsweredInItsOwnPartAndRecordedAsAViolation()
    {
        using var c = new EmulatorClient();
        var body =
            "--b\r\nContent-Type: application/http\r\nContent-ID: <one>\r\n\r\n" +
            $"POST /products/v1/accounts/123/productInputs:insert?dataSource={EmulatorClient.DataSource} HTTP/1.1\r\nContent-Type: application/json\r\n\r\n" +
            EmulatorClient.Product("one").ReplaceLineEndings(" ") + "\r\n" +
            "--b\r\nContent-Type: application/http\r\nContent-ID: <two>\r\n\r\n" +
            $"POST /products/v1/accounts/123/productInputs:insert?dataSource={EmulatorClient.DataSource} HTTP/1.1\r\nContent-Type: application/json\r\n\r\n" +
            EmulatorClient.Product("two", ""","colour":"red" """).ReplaceLineEndings(" ") + "\r\n" +
            "--b--\r\n";
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/mixed; boundary=b");

        using var response = await c.Http.PostAsync("batch/products/v1", content);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("multipart/mixed", response.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        Assert.Contains("Content-ID: <response-one>\r\n\r\nHTTP/1.1 200", text, StringComparison.Ordinal);
        Assert.Contains("Content-ID: <response-two>\r\n\r\nHTTP/1.1 400", text, StringComparison.Ordinal);
        Assert.Equal(2, c.Emulator.CallCount);
        Assert.Single(c.Emulator.Products);
        Assert.Single(c.Emulator.ContractViolations);
    }
}
