using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace FeedSync.Publish;

/// <summary>
/// Merchant API v1 products sub-API over plain <see cref="HttpClient"/> (no Google client library is available).
/// Every attempt first takes rate-limiter tokens; retries and the circuit breaker come from <see cref="MerchantResilience"/>.
/// </summary>
internal sealed partial class MerchantApiClient(HttpClient http, IOptions<MerchantCenterOptions> options, MerchantResilience resilience, ILogger<MerchantApiClient> logger) : IMerchantCenter
{
    private const string BatchPath = "batch/products/v1";

    /// <summary>The reason of a request that was sent but timed out here (no answer from Google; its status is a local 408).</summary>
    public const string TimeoutReason = "timeout";

    private readonly MerchantCenterOptions _options = options.Value;
    private long _dailyQuotaLoggedUntilTicks;

    public Task<MerchantResult> InsertAsync(ProductInput input, CancellationToken cancellationToken) =>
        RunOneAsync(MerchantCall.Insert(input), cancellationToken);

    public Task<MerchantResult> PatchAsync(ProductInput input, IReadOnlyList<string> updateMask, CancellationToken cancellationToken) =>
        RunOneAsync(MerchantCall.Patch(input, updateMask), cancellationToken);

    public Task<MerchantResult> DeleteAsync(ProductIdentity identity, CancellationToken cancellationToken) =>
        RunOneAsync(MerchantCall.Delete(identity), cancellationToken);

    public async Task<IReadOnlyList<MerchantResult>> ExecuteAsync(IReadOnlyList<MerchantCall> calls, CancellationToken cancellationToken)
    {
        var results = new MerchantResult[calls.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken };
        if (_options.Transport == MerchantTransport.Concurrent || calls.Count == 1)
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, calls.Count), parallel, async (i, ct) => results[i] = await RunOneAsync(calls[i], ct));
            return results;
        }

        await Parallel.ForEachAsync(Enumerable.Range(0, calls.Count).Chunk(_options.BatchSize), parallel, async (chunk, ct) =>
        {
            var answers = await RunBatchAsync(chunk.Select(i => calls[i]).ToList(), ct);
            for (var j = 0; j < chunk.Length; j++)
            {
                results[chunk[j]] = answers[j];
            }
        });
        return results;
    }

    private async Task<MerchantResult> RunOneAsync(MerchantCall call, CancellationToken cancellationToken)
    {
        var unanswered = false;
        var result = await resilience.RunAsync(
            async ct =>
            {
                await resilience.Limiter.AcquireAsync(1, ct);
                var result = await SendOnceAsync(call, ct);
                unanswered |= result.Unanswered;
                AfterRound([result]);
                return result;
            },
            open => open,
            cancellationToken);
        return result with { Unanswered = unanswered };
    }

    /// <summary>One batch request; parts that failed transiently are re-sent (alone) by the retry strategy.</summary>
    private async Task<IReadOnlyList<MerchantResult>> RunBatchAsync(List<MerchantCall> calls, CancellationToken cancellationToken)
    {
        var results = new MerchantResult?[calls.Count];
        var unanswered = new bool[calls.Count];
        var outcome = await resilience.RunAsync(
            async ct =>
            {
                var todo = Enumerable.Range(0, calls.Count).Where(i => results[i] is null || results[i]!.RetryInCall).ToList();
                await resilience.Limiter.AcquireAsync(todo.Count, ct);
                var answers = await SendBatchOnceAsync(todo.Select(i => calls[i]).ToList(), ct);
                for (var k = 0; k < todo.Count; k++)
                {
                    results[todo[k]] = answers[k];
                    unanswered[todo[k]] |= answers[k].Unanswered;
                }

                AfterRound(answers);
                return new BatchOutcome(results.ToArray());
            },
            open => new BatchOutcome(results.Select(r => r is null || r.RetryInCall ? open : r).ToArray()),
            cancellationToken);
        return outcome.Results.Select((r, i) => r! with { Unanswered = unanswered[i] }).ToList();
    }

    private void AfterRound(IReadOnlyList<MerchantResult> answers)
    {
        if (answers.Any(a => a.Kind == ResultKind.RateLimited))
        {
            resilience.Limiter.SlowDown();
        }

        if (answers.FirstOrDefault(a => a.Kind == ResultKind.DailyQuotaExhausted) is { RetryAfter: { } wait })
        {
            // Once per reset: every call until then fails the same way.
            var until = resilience.Time.GetUtcNow() + wait;
            var previous = Interlocked.Read(ref _dailyQuotaLoggedUntilTicks);
            if (until.UtcTicks > previous + TimeSpan.TicksPerMinute && Interlocked.CompareExchange(ref _dailyQuotaLoggedUntilTicks, until.UtcTicks, previous) == previous)
            {
                LogDailyQuota(until);
            }
        }
    }

    private async Task<MerchantResult> SendOnceAsync(MerchantCall call, CancellationToken cancellationToken)
    {
        var http1 = call.ToHttp(_options);
        using var request = new HttpRequestMessage(http1.Method, http1.RelativeUrl);
        if (http1.JsonBody is not null)
        {
            request.Content = new StringContent(http1.JsonBody, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return MerchantResult.Ok((int)response.StatusCode);
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var result = WithDefaults(GoogleError.Classify(response.StatusCode, body, response.Headers.RetryAfter?.Delta, resilience.Time.GetUtcNow()));
            LogCallFailed(http1.Method.Method, call.Identity.Id, result.HttpStatus, result.Reason, result.Message);
            return result;
        }
        catch (Exception ex) when (Unreachable(ex, cancellationToken) is { } failure)
        {
            LogCallError(http1.Method.Method, call.Identity.Id, failure.Message ?? "");
            return failure;
        }
    }

    private async Task<IReadOnlyList<MerchantResult>> SendBatchOnceAsync(List<MerchantCall> calls, CancellationToken cancellationToken)
    {
        var ids = calls.Select((c, i) => $"{i}~{c.Action.ToString().ToLowerInvariant()}~{c.Identity.EncodedId}").ToList();
        var boundary = "batch_" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, BatchPath)
        {
            Content = MerchantBatchCodec.Encode(ids.Zip(calls, (id, c) => (id, c.ToHttp(_options))).ToList(), boundary),
        };
        try
        {
            // The client buffers the whole answer before SendAsync returns (so its timeout covers the body); it is
            // then read from that buffer line by line rather than copied into one large string.
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                // The whole batch failed (auth, quota, outage): every call shares that answer.
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                var whole = WithDefaults(GoogleError.Classify(response.StatusCode, body, response.Headers.RetryAfter?.Delta, resilience.Time.GetUtcNow()));
                LogBatchFailed(calls.Count, whole.HttpStatus, whole.Reason, whole.Message);
                return calls.Select(_ => whole).ToList();
            }

            var parts = new Dictionary<string, BatchResponsePart>(StringComparer.Ordinal);
            if (MerchantBatchCodec.Boundary(response.Content.Headers.ContentType) is { } responseBoundary)
            {
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
                foreach (var part in await MerchantBatchCodec.DecodeAsync(reader, responseBoundary, cancellationToken))
                {
                    parts[part.ContentId] = part;
                }
            }

            return calls.Select((call, i) => PartResult(call, parts.GetValueOrDefault(ids[i]))).ToList();
        }
        catch (Exception ex) when (Unreachable(ex, cancellationToken) is { } failure)
        {
            LogCallError("batch", $"{calls.Count} calls", failure.Message ?? "");
            return calls.Select(_ => failure).ToList();
        }
    }

    private MerchantResult PartResult(MerchantCall call, BatchResponsePart? part)
    {
        if (part is null)
        {
            // Google answers every part; a missing one means a truncated answer, which is worth a retry.
            return new MerchantResult(ResultKind.Transient, 0, "batch_part_missing", "The batch response had no part for this call") { Unanswered = true };
        }

        if (part.Status is >= 200 and < 300)
        {
            return MerchantResult.Ok(part.Status);
        }

        var result = WithDefaults(GoogleError.Classify((HttpStatusCode)part.Status, part.Body, part.RetryAfter, resilience.Time.GetUtcNow()));
        LogCallFailed(call.Action.ToString(), call.Identity.Id, result.HttpStatus, result.Reason, result.Message);
        return result;
    }

    /// <summary>A 429 without RetryInfo still waits at least RateLimitBackoff: the per-minute quota needs time to refill.</summary>
    private MerchantResult WithDefaults(MerchantResult result) =>
        result.Kind == ResultKind.RateLimited && (result.RetryAfter is null || result.RetryAfter < _options.RateLimitBackoff)
            ? result with { RetryAfter = _options.RateLimitBackoff }
            : result;

    /// <summary>A request that got no HTTP answer (connection failure, timeout) as a transient result; caller cancellation propagates.</summary>
    private static MerchantResult? Unreachable(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        HttpRequestException => new MerchantResult(ResultKind.Transient, 0, "connection_failed", ex.Message) { Unanswered = true },
        TaskCanceledException when !cancellationToken.IsCancellationRequested
            => new MerchantResult(ResultKind.Transient, (int)HttpStatusCode.RequestTimeout, TimeoutReason, "timed out") { Unanswered = true },
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Merchant API {Method} {Product} failed with {Status} {Reason}: {Detail}")]
    private partial void LogCallFailed(string method, string product, int status, string? reason, string? detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Merchant API {Method} {Product} did not complete: {Detail}")]
    private partial void LogCallError(string method, string product, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Merchant API batch of {Calls} calls failed with {Status} {Reason}: {Detail}")]
    private partial void LogBatchFailed(int calls, int status, string? reason, string? detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "Merchant API daily quota exhausted (quota/daily_limit_exceeded): changes stay pending until the daily reset at {ResetAt:u} (12:00 UTC). To push sooner, ask Google for a higher daily quota (Merchant API support form).")]
    private partial void LogDailyQuota(DateTimeOffset resetAt);
}
