using System.Net;
using System.Text;
using FeedSync.Publish;
using static FeedSync.Tests.Catalog.FeedRows;

namespace FeedSync.Tests.Publish;

/// <summary>How <see cref="MerchantApiClient"/> turns failed HTTP exchanges into results (a stub handler, no network).</summary>
public sealed class MerchantApiClientErrorTests
{
    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(request));
    }

    private sealed class FailingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Connection refused");
    }

    private static MerchantApiClient Client(HttpMessageHandler handler) => new MerchantClients(
        new HttpClient(handler) { BaseAddress = new Uri("http://merchant.test/") },
        MerchantClients.Options("http://merchant.test/")).Client;

    private static MerchantApiClient Answering(HttpStatusCode status, string body, TimeSpan? retryAfter = null) => Client(new StubHandler(_ =>
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(delay);
        }

        return response;
    }));

    [Fact]
    public async Task InsertAsync_RetryAnsweredAfterATimeout_SucceedsButSaysAnAttemptWentUnanswered()
    {
        var attempts = 0;
        var options = MerchantClients.Options("http://merchant.test/", retries: 1);
        options.Transport = MerchantTransport.Concurrent;
        options.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        var client = new MerchantClients(
            new HttpClient(new StubHandler(_ => ++attempts == 1
                ? throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout")
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}", Encoding.UTF8, "application/json") }))
            { BaseAddress = new Uri("http://merchant.test/") },
            options).Client;

        var result = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.Success, result.Kind);
        Assert.True(result.Unanswered);
        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task InsertAsync_ConnectionRefused_TransientAndUnanswered()
    {
        var result = await Client(new FailingHandler()).InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.Transient, result.Kind);
        Assert.True(result.Unanswered);
    }

    [Fact]
    public async Task InsertAsync_429WithRetryInfo_RateLimitedWithDelay()
    {
        var client = Answering(HttpStatusCode.TooManyRequests,
            """{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"30s"}]}}""");

        var result = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.RateLimited, result.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), result.RetryAfter);
    }

    [Fact]
    public async Task InsertAsync_503WithRetryAfterHeader_TransientWithHeaderDelay()
    {
        var client = Answering(HttpStatusCode.ServiceUnavailable, "<html>busy</html>", TimeSpan.FromSeconds(7));

        var result = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.Transient, result.Kind);
        Assert.Equal(TimeSpan.FromSeconds(7), result.RetryAfter);
    }

    [Fact]
    public async Task InsertAsync_400WithReason_DataErrorWithReason()
    {
        var client = Answering(HttpStatusCode.BadRequest,
            """{"error":{"code":400,"message":"[gtins] bad","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"INVALID_ARGUMENT","metadata":{"REASON":"INVALID_GTIN"}}]}}""");

        var result = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.DataError, result.Kind);
        Assert.Equal("INVALID_GTIN", result.Reason);
    }

    [Fact]
    public async Task DeleteAsync_ConnectionRefused_Transient()
    {
        var client = Client(new FailingHandler());

        var result = await client.DeleteAsync(Input().Identity, CancellationToken.None);

        Assert.Equal(ResultKind.Transient, result.Kind);
    }

    [Fact]
    public async Task InsertAsync_ErrorBodyIsJsonArray_ReturnsClassifiedResult()
    {
        var client = Answering(HttpStatusCode.ServiceUnavailable, """[{"error":{"code":503,"message":"unavailable","status":"UNAVAILABLE"}}]""");

        var result = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.Transient, result.Kind);
    }

    [Fact]
    public async Task PatchAsync_Mask_SentAsCommaSeparatedUpdateMask()
    {
        string? query = null;
        var client = Client(new StubHandler(request =>
        {
            query = request.RequestUri!.Query;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") };
        }));

        await client.PatchAsync(Input(), ["productAttributes.availability", "productAttributes.price"], CancellationToken.None);

        Assert.EndsWith("&updateMask=productAttributes.availability,productAttributes.price", query, StringComparison.Ordinal);
    }
}
