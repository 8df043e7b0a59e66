using System.Net;
using FeedSync.Diff;
using FeedSync.Jobs;
using FeedSync.Publish;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static FeedSync.Tests.Catalog.FeedRows;

namespace FeedSync.Tests.Publish;

/// <summary>
/// The error classification table, row by row: a WireMock server answers like Google, the real client runs with
/// its retries, rate limiter and circuit breaker, and a fake clock stands in for every backoff (no real sleeping).
/// Only rows that retry in the call move the clock; the others must answer without any time passing.
/// </summary>
public sealed class MerchantErrorTableTests : IDisposable
{
    private static readonly DateTimeOffset Morning = new(2026, 11, 26, 5, 0, 0, TimeSpan.Zero);

    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly HttpClient _http;
    private readonly FakeTimeProvider _time = new(Morning);
    private readonly CapturedLogs _logs = new();
    private MerchantClients? _clients;

    public MerchantErrorTableTests() => _http = new HttpClient { BaseAddress = new Uri(_server.Url! + "/") };

    public void Dispose()
    {
        _clients?.Dispose();
        _http.Dispose();
        _server.Stop();
        _server.Dispose();
    }

    private static string GoogleError(int code, string status, string reason, string message = "failed", string? retryDelay = null)
    {
        var retryInfo = retryDelay is null ? "" : $$""",{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"{{retryDelay}}"}""";
        return $$$"""
            {"error":{"code":{{{code}}},"message":"{{{message}}}","status":"{{{status}}}","details":[
              {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"r","domain":"merchantapi.googleapis.com","metadata":{"REASON":"{{{reason}}}"}}{{{retryInfo}}}]}}
            """;
    }

    private MerchantApiClient Client(Action<MerchantCenterOptions>? configure = null)
    {
        var options = MerchantClients.Options(_http.BaseAddress!.ToString(), retries: 3);
        options.RetryBaseDelay = TimeSpan.FromSeconds(1);
        options.CircuitMinimumThroughput = 4;
        configure?.Invoke(options);
        _clients = new MerchantClients(_http, options, _time, _logs.Factory);
        return _clients.Client;
    }

    private void AnswerAlways(int status, string body) =>
        _server.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(status).WithBody(body));

    /// <summary>First <paramref name="failures"/> answers fail with <paramref name="status"/>, then 200.</summary>
    private void FailThenSucceed(int status, int failures)
    {
        for (var i = 0; i < failures; i++)
        {
            var step = _server.Given(Request.Create().UsingAnyMethod()).InScenario("flaky");
            (i == 0 ? step : step.WhenStateIs($"failed{i}")).WillSetStateTo($"failed{i + 1}")
                .RespondWith(Response.Create().WithStatusCode(status).WithBody(GoogleError(status, "UNAVAILABLE", "UNAVAILABLE")));
        }

        _server.Given(Request.Create().UsingAnyMethod()).InScenario("flaky").WhenStateIs($"failed{failures}")
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("{}"));
    }

    /// <summary>Runs <paramref name="call"/> while moving the fake clock, so retry delays pass without waiting.</summary>
    private async Task<T> Drive<T>(Task<T> call)
    {
        while (!call.IsCompleted)
        {
            _time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.WhenAny(call, Task.Delay(5));
        }

        return await call;
    }

    private int Calls => _server.LogEntries.Count;

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task TransientStatus_RetriedWithBackoff_ThenSucceeds(int status)
    {
        FailThenSucceed(status, failures: 2);
        var client = Client();

        var result = await Drive(client.InsertAsync(Input(), CancellationToken.None));

        Assert.Equal(ResultKind.Success, result.Kind);
        Assert.Equal(3, Calls);
        // Two jittered exponential delays from a 1 s base, each bounded by MaxRetryDelay.
        var retries = _logs.Lines.Where(l => l.Text.StartsWith("Merchant API retry", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, retries.Count);
        Assert.All(retries, r => Assert.Contains($" {status} ", r.Text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TransientStatus_StillFailingAfterMaxRetries_ReturnedAsTransientForThePendingQueue()
    {
        AnswerAlways(503, GoogleError(503, "UNAVAILABLE", "UNAVAILABLE"));
        var client = Client(o => o.CircuitMinimumThroughput = 100);

        var result = await Drive(client.InsertAsync(Input(), CancellationToken.None));

        Assert.Equal(ResultKind.Transient, result.Kind);
        Assert.True(result.ShouldRetryLater);
        Assert.Equal(1 + 3, Calls);
    }

    [Fact]
    public async Task RateTooHigh429_NotRetriedInCall_HonoursRetryInfoAndSlowsTheLimiter()
    {
        AnswerAlways(429, GoogleError(429, "RESOURCE_EXHAUSTED", "quota/request_rate_too_high", "Quota exceeded", "42s"));
        var client = Client();

        var result = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.RateLimited, result.Kind);
        Assert.Equal(TimeSpan.FromSeconds(42), result.RetryAfter);
        Assert.Equal(1, Calls);
        Assert.Equal(0.5, _clients!.Limiter.Speed);
    }

    [Fact]
    public async Task DailyLimitExceeded429_ParkedUntilNoonUtc_AndLogged()
    {
        AnswerAlways(429, GoogleError(429, "RESOURCE_EXHAUSTED", "quota/daily_limit_exceeded", "Daily quota exceeded"));
        var client = Client();

        // Not retried in the call, so no clock needs to move.
        var result = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.DailyQuotaExhausted, result.Kind);
        Assert.Equal(1, Calls);
        // 05:00 UTC → 12:00 UTC the same day.
        Assert.Equal(TimeSpan.FromHours(7), result.RetryAfter);
        Assert.Contains(_logs.Lines, l => l.Level == LogLevel.Error && l.Text.Contains("12:00 UTC", StringComparison.Ordinal)
            && l.Text.Contains("2026-11-26 12:00:00Z", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Aborted409_Stale_NotRetried()
    {
        AnswerAlways(409, GoogleError(409, "ABORTED", "VERSION_NUMBER_TOO_LOW"));
        var client = Client();

        var result = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.Stale, result.Kind);
        Assert.False(result.ShouldRetryLater);
        Assert.Equal(1, Calls);
    }

    [Fact]
    public async Task BadRequest400_DataErrorWithGoogleReason_NotRetried()
    {
        AnswerAlways(400, GoogleError(400, "INVALID_ARGUMENT", "INVALID_GTIN", "[gtins] invalid"));
        var client = Client();

        var result = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.DataError, result.Kind);
        Assert.Equal("INVALID_GTIN", result.Reason);
        Assert.False(result.ShouldRetryLater);
        Assert.Equal(1, Calls);
    }

    [Fact]
    public async Task NotFound404OnPatch_FallsBackToInsert()
    {
        _server.Given(Request.Create().UsingPatch()).RespondWith(Response.Create().WithStatusCode(404).WithBody(GoogleError(404, "NOT_FOUND", "NOT_FOUND")));
        _server.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{}"));
        var client = Client();
        var input = Input();
        var patch = new PushDecision(PushAction.Patch, input.Identity, input, ["productAttributes.price"], "price changed");

        var outcomes = await PushCalls.ExecuteAsync(client, [("p1", patch)], CancellationToken.None);

        var outcome = Assert.Single(outcomes);
        Assert.Equal(PushAction.Insert, outcome.CalledAction);
        Assert.True(outcome.Result.IsSuccess);
        Assert.Equal(["PATCH", "POST"], _server.LogEntries.OrderBy(e => e.RequestMessage.DateTime).Select(e => e.RequestMessage.Method));
    }

    [Theory]
    [InlineData(401, "UNAUTHENTICATED", "GCP project with id feedsync and number 123 is not registered with the merchant account.")]
    [InlineData(403, "PERMISSION_DENIED", "The caller does not have permission")]
    public async Task AuthErrors_ConfigurationError_OpenTheCircuit_TellTheOperator_ThenResumeByThemselves(int status, string rpcStatus, string message)
    {
        AnswerAlways(status, GoogleError(status, rpcStatus, rpcStatus, message));
        var client = Client(o => o.CircuitBreakDuration = TimeSpan.FromMinutes(5));

        var failed = await client.InsertAsync(Input(), CancellationToken.None);
        Assert.Equal(ResultKind.ConfigurationError, failed.Kind);

        // The first refusal is enough (the ratio breaker would want CircuitMinimumThroughput calls).
        var paused = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.CircuitOpen, paused.Kind);
        Assert.True(paused.ShouldRetryLater);
        Assert.Equal(TimeSpan.FromMinutes(5), paused.RetryAfter);
        Assert.Equal(1, Calls); // the open circuit made no call
        Assert.Equal(Morning + TimeSpan.FromMinutes(5), _clients!.Resilience.CredentialPauseUntil);
        Assert.Contains(_logs.Lines, l => l.Level == LogLevel.Critical && l.Text.Contains("registerGcp", StringComparison.Ordinal)
            && l.Text.Contains("CredentialsFile", StringComparison.Ordinal) && l.Text.Contains(message, StringComparison.Ordinal));

        // The operator fixes the configuration; after the break one trial call goes through and closes the circuit.
        _server.Reset();
        AnswerAlways(200, "{}");
        _time.Advance(TimeSpan.FromMinutes(5));
        var resumed = await client.InsertAsync(Input(), CancellationToken.None);

        Assert.Equal(ResultKind.Success, resumed.Kind);
        Assert.Null(_clients.Resilience.CredentialPauseUntil);
    }

    [Fact]
    public async Task AuthError_OnTheFirstBatch_PausesEveryFurtherBatch_AndTheTrialAfterTheBreakPausesAgainIfStillRefused()
    {
        AnswerAlways(401, GoogleError(401, "UNAUTHENTICATED", "UNAUTHENTICATED", "Request had invalid authentication credentials."));
        var client = Client(o =>
        {
            o.Transport = MerchantTransport.Batch;
            o.BatchSize = 10;
            o.CircuitMinimumThroughput = 20;
            o.CircuitBreakDuration = TimeSpan.FromMinutes(5);
        });
        List<MerchantCall> Batch() => Enumerable.Range(0, 10).Select(i => MerchantCall.Insert(Input(("offer_id", $"p{i}")))).ToList();

        var refused = await client.ExecuteAsync(Batch(), CancellationToken.None);
        Assert.All(refused, r => Assert.Equal(ResultKind.ConfigurationError, r.Kind));
        Assert.Equal(1, Calls);

        for (var i = 0; i < 5; i++)
        {
            var paused = await client.ExecuteAsync(Batch(), CancellationToken.None);
            Assert.All(paused, r => Assert.Equal(ResultKind.CircuitOpen, r.Kind));
        }

        Assert.Equal(1, Calls); // one failed batch, not ~20, and nothing sent while paused
        Assert.Contains(_logs.Lines, l => l.Level == LogLevel.Critical && l.Text.Contains("401", StringComparison.Ordinal));

        // After the break one trial batch goes; still refused, so the pause starts over.
        _time.Advance(TimeSpan.FromMinutes(5));
        var trial = await client.ExecuteAsync(Batch(), CancellationToken.None);
        var again = await client.ExecuteAsync(Batch(), CancellationToken.None);

        Assert.All(trial, r => Assert.Equal(ResultKind.ConfigurationError, r.Kind));
        Assert.All(again, r => Assert.Equal(ResultKind.CircuitOpen, r.Kind));
        Assert.Equal(2, Calls);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(5), _clients!.Resilience.CredentialPauseUntil);
    }

    [Fact]
    public async Task AuthError_AfterTheBreak_OnlyOneTrialBatchGoes_WhileTheOthersWaitForItsAnswer()
    {
        AnswerAlways(401, GoogleError(401, "UNAUTHENTICATED", "UNAUTHENTICATED", "Request had invalid authentication credentials."));
        var client = Client(o =>
        {
            o.Transport = MerchantTransport.Batch;
            o.BatchSize = 10;
            o.MaxConcurrency = 4;
            o.CircuitMinimumThroughput = 20;
            o.CircuitBreakDuration = TimeSpan.FromMinutes(5);
        });
        List<MerchantCall> Batches(int count) => Enumerable.Range(0, count).Select(i => MerchantCall.Insert(Input(("offer_id", $"p{i}")))).ToList();

        Assert.All(await client.ExecuteAsync(Batches(10), CancellationToken.None), r => Assert.Equal(ResultKind.ConfigurationError, r.Kind));
        Assert.Equal(1, Calls);

        // Still refused, and slow enough that the four batches of the next round are in flight together.
        _server.Reset();
        _server.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(401)
            .WithBody(GoogleError(401, "UNAUTHENTICATED", "UNAUTHENTICATED", "Request had invalid authentication credentials."))
            .WithDelay(TimeSpan.FromMilliseconds(300)));
        _time.Advance(TimeSpan.FromMinutes(5));
        var round = await client.ExecuteAsync(Batches(40), CancellationToken.None);

        Assert.Equal(1, Calls); // the trial batch, not four batches (400 products with the default size) refused again
        Assert.Equal(10, round.Count(r => r.Kind == ResultKind.ConfigurationError));
        Assert.Equal(30, round.Count(r => r.Kind == ResultKind.CircuitOpen && r.ShouldRetryLater));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(5), _clients!.Resilience.CredentialPauseUntil);
    }
}
