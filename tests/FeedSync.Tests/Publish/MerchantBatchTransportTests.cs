using System.Text.Json.Nodes;
using FeedSync.MerchantEmulator;
using FeedSync.Publish;
using static FeedSync.Tests.Catalog.FeedRows;
using MerchantEmulatorServer = FeedSync.MerchantEmulator.MerchantEmulator;

namespace FeedSync.Tests.Publish;

/// <summary>The batch transport end to end against the emulator: each product gets its own result, every part fits the contract.</summary>
public sealed class MerchantBatchTransportTests : IDisposable
{
    private readonly MerchantEmulatorServer _emulator = MerchantEmulatorServer.Start();
    private readonly HttpClient _http;

    public MerchantBatchTransportTests() => _http = new HttpClient { BaseAddress = new Uri(_emulator.Url) };

    public void Dispose()
    {
        _http.Dispose();
        _emulator.Dispose();
    }

    private MerchantClients Clients(Action<MerchantCenterOptions>? configure = null)
    {
        var options = MerchantClients.Options(_emulator.Url);
        options.Transport = MerchantTransport.Batch;
        options.BatchSize = 4;
        configure?.Invoke(options);
        return new MerchantClients(_http, options);
    }

    [Fact]
    public async Task ExecuteAsync_MixedBatch_EachProductGetsItsOwnResult()
    {
        using var clients = Clients();
        await clients.Client.InsertAsync(Input(("offer_id", "kept")), CancellationToken.None);
        var calls = new List<MerchantCall>
        {
            MerchantCall.Insert(Input(("offer_id", "a"))),
            MerchantCall.Patch(Input(("offer_id", "never-inserted")), ["productAttributes.price"]),
            MerchantCall.Insert(Input(("offer_id", "b"))),
            MerchantCall.Patch(Input(("offer_id", "kept"), ("price", 20m)), ["productAttributes.price"]),
            MerchantCall.Delete(Input(("offer_id", "kept-too")).Identity),
            MerchantCall.Insert(Input(("offer_id", "c"))),
        };

        var results = await clients.Client.ExecuteAsync(calls, CancellationToken.None);

        Assert.Equal([ResultKind.Success, ResultKind.NotFound, ResultKind.Success, ResultKind.Success, ResultKind.NotFound, ResultKind.Success],
            results.Select(r => r.Kind));
        Assert.Equal(["a", "b", "c", "kept"], _emulator.Products.Values.Select(p => p["offerId"]!.GetValue<string>()).Order());
        Assert.Equal("20000000", _emulator.Products["accounts/123/productInputs/en~US~kept"]["productAttributes"]!["price"]!["amountMicros"]!.GetValue<string>());
        Assert.Empty(_emulator.ContractViolations);
        Assert.Equal(1 + calls.Count, _emulator.CallCount); // each part counts as one call
    }

    /// <summary>Times out the first request (as HttpClient's timeout does: no answer), then passes requests on.</summary>
    private sealed class FirstRequestTimesOut : DelegatingHandler
    {
        private int _requests;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _requests) == 1
                ? throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout")
                : base.SendAsync(request, cancellationToken);
    }

    [Fact]
    public async Task ExecuteAsync_BatchRetriedAfterATimeout_SucceedsButSaysAnAttemptWentUnanswered()
    {
        using var http = new HttpClient(new FirstRequestTimesOut { InnerHandler = new HttpClientHandler() }) { BaseAddress = new Uri(_emulator.Url) };
        var options = MerchantClients.Options(_emulator.Url, retries: 1);
        options.Transport = MerchantTransport.Batch;
        options.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        using var clients = new MerchantClients(http, options);

        var results = await clients.Client.ExecuteAsync([MerchantCall.Insert(Input(("offer_id", "a"))), MerchantCall.Insert(Input(("offer_id", "b")))], CancellationToken.None);

        Assert.All(results, r => Assert.Equal(ResultKind.Success, r.Kind));
        Assert.All(results, r => Assert.True(r.Unanswered, "the timed-out first attempt may still land"));
        Assert.Equal(2, _emulator.Products.Count);
    }

    [Fact]
    public async Task ExecuteAsync_BatchAnsweredAtOnce_IsNotUnanswered()
    {
        using var clients = Clients();

        var results = await clients.Client.ExecuteAsync([MerchantCall.Insert(Input(("offer_id", "a")))], CancellationToken.None);

        Assert.False(Assert.Single(results).Unanswered);
    }

    [Fact]
    public async Task ExecuteAsync_BatchWithAnInvalidPartInTheMiddle_OthersStillSucceed()
    {
        using var clients = Clients();
        var calls = new List<MerchantCall>
        {
            MerchantCall.Insert(Input(("offer_id", "a"))),
            // Passes the discovery contract, but Google refuses offer ids over 50 characters.
            MerchantCall.Insert(new ProductInput(new ProductIdentity("en", "US", new string('x', 51)), (JsonObject)Input().ProductAttributes.DeepClone(), [])),
            MerchantCall.Insert(Input(("offer_id", "b"))),
        };

        var results = await clients.Client.ExecuteAsync(calls, CancellationToken.None);

        Assert.Equal([ResultKind.Success, ResultKind.DataError, ResultKind.Success], results.Select(r => r.Kind));
        Assert.Equal("INVALID_OFFER_ID", results[1].Reason);
    }

    [Fact]
    public async Task ExecuteAsync_TransientPartFailures_OnlyFailedPartsAreResent()
    {
        using var clients = Clients(o => { o.MaxRetryAttempts = 10; o.RetryBaseDelay = TimeSpan.FromMilliseconds(1); o.MaxRetryDelay = TimeSpan.FromMilliseconds(5); });
        _emulator.Faults = new FaultSettings { Share503 = 0.3 };
        var calls = Enumerable.Range(0, 40).Select(i => MerchantCall.Insert(Input(("offer_id", $"p{i}")))).ToList();

        var results = await clients.Client.ExecuteAsync(calls, CancellationToken.None);

        Assert.All(results, r => Assert.Equal(ResultKind.Success, r.Kind));
        Assert.Equal(40, _emulator.Products.Count);
        // Every product was stored by exactly one successful call, however many 503s came before it.
        Assert.Equal(40, _emulator.Requests.Count(r => r.Status == 200));
    }
}
