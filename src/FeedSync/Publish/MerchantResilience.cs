using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace FeedSync.Publish;

/// <summary>What the resilience pipeline needs to know about the outcome of one call or one batch round.</summary>
internal interface IResilienceOutcome
{
    bool RetryInCall { get; }

    bool CountsAgainstCircuit { get; }

    TimeSpan? RetryAfter { get; }
}

/// <summary>
/// The one owner of Merchant API retries (Polly v8): transient faults (500/502/503/504, timeouts, connection
/// failures) are retried a few times with exponential, jittered backoff, honouring a short Retry-After;
/// everything longer (429, daily quota, an open circuit) goes back to the pending queue with its own delay, and
/// Hangfire does not retry the drain job. A circuit breaker stops calls when most of them fail (Google down, or
/// 401/403 for every call) and lets one trial call through after the break to resume by itself. A 401/403 needs no
/// majority: with batching a few failed batches are thousands of refused products, so the first call or batch that
/// Google refuses for credentials pauses all calls (the circuit is isolated) for <see cref="MerchantCenterOptions.CircuitBreakDuration"/>.
/// </summary>
internal sealed partial class MerchantResilience : IDisposable
{
    private readonly MerchantCenterOptions _options;
    private readonly ILogger<MerchantResilience> _logger;
    private readonly CircuitBreakerManualControl _credentialPause = new();
    private readonly Lock _gate = new();
    private DateTimeOffset? _pausedUntil;
    private ITimer? _resumeTimer;

    public MerchantResilience(IOptions<MerchantCenterOptions> options, MerchantRateLimiter limiter, TimeProvider time, ILogger<MerchantResilience> logger)
    {
        _options = options.Value;
        _logger = logger;
        Limiter = limiter;
        Time = time;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (_options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is IResilienceOutcome r && r.RetryInCall
                    && (r.RetryAfter is null || r.RetryAfter <= _options.MaxRetryDelay)),
                MaxRetryAttempts = _options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryBaseDelay,
                MaxDelay = _options.MaxRetryDelay,
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is IResilienceOutcome { RetryAfter: { } hint } ? hint : (TimeSpan?)null),
                OnRetry = args =>
                {
                    LogRetry(args.AttemptNumber + 1, args.RetryDelay, Describe(args.Outcome.Result));
                    return ValueTask.CompletedTask;
                },
            });
        }

        Pipeline = builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is IResilienceOutcome { CountsAgainstCircuit: true }),
                FailureRatio = _options.CircuitFailureRatio,
                MinimumThroughput = _options.CircuitMinimumThroughput,
                SamplingDuration = _options.CircuitSamplingDuration,
                BreakDuration = _options.CircuitBreakDuration,
                ManualControl = _credentialPause,
                OnOpened = args =>
                {
                    if (args.IsManual)
                    {
                        // The credential pause: PauseForCredentialsAsync has already said why.
                        return ValueTask.CompletedTask;
                    }

                    if (ConfigurationErrorOf(args.Outcome.Result) is { } error)
                    {
                        LogOpenedConfiguration(args.BreakDuration, error.HttpStatus, error.Reason, error.Message, _options.AccountId);
                    }
                    else
                    {
                        LogOpened(args.BreakDuration, Describe(args.Outcome.Result));
                    }

                    return ValueTask.CompletedTask;
                },
                OnClosed = args =>
                {
                    if (args.IsManual)
                    {
                        LogCredentialPauseOver();
                    }
                    else
                    {
                        LogClosed();
                    }

                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public ResiliencePipeline Pipeline { get; }

    public MerchantRateLimiter Limiter { get; }

    public TimeProvider Time { get; }

    /// <summary>Until when this instance makes no calls because Google refused its credentials; null when not paused.</summary>
    public DateTimeOffset? CredentialPauseUntil
    {
        get
        {
            lock (_gate)
            {
                return _pausedUntil;
            }
        }
    }

    /// <summary>Runs <paramref name="attempt"/> under retry and circuit breaker; an open circuit becomes <paramref name="whenOpen"/>.</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, ValueTask<T>> attempt, Func<MerchantResult, T> whenOpen, CancellationToken cancellationToken)
        where T : IResilienceOutcome
    {
        try
        {
            var result = await Pipeline.ExecuteAsync(attempt, cancellationToken);
            if (ConfigurationErrorOf(result) is { } error)
            {
                await PauseForCredentialsAsync(error);
            }

            return result;
        }
        catch (BrokenCircuitException ex)
        {
            var retryAfter = ex.RetryAfter ?? (CredentialPauseUntil - Time.GetUtcNow()) ?? _options.CircuitBreakDuration;
            retryAfter = retryAfter > TimeSpan.Zero ? retryAfter : _options.CircuitBreakDuration;
            return whenOpen(new MerchantResult(ResultKind.CircuitOpen, 0, "circuit_open",
                $"Merchant API calls are paused for {retryAfter:g} after repeated failures", retryAfter));
        }
    }

    /// <summary>Isolates the circuit at the first 401/403 and closes it again after the break, so one trial call checks the credentials.</summary>
    private async Task PauseForCredentialsAsync(MerchantResult error)
    {
        lock (_gate)
        {
            if (_pausedUntil is not null)
            {
                return;
            }

            _pausedUntil = Time.GetUtcNow() + _options.CircuitBreakDuration;
        }

        LogOpenedConfiguration(_options.CircuitBreakDuration, error.HttpStatus, error.Reason, error.Message, _options.AccountId);
        await _credentialPause.IsolateAsync();

        // Armed only after isolating, so a short break can never close the circuit before it opened.
        lock (_gate)
        {
            _resumeTimer?.Dispose();
            _resumeTimer = Time.CreateTimer(_ => _ = ResumeAsync(), null, _options.CircuitBreakDuration, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task ResumeAsync()
    {
        // Unmarked first: a 401 answered in between pauses again rather than being lost.
        lock (_gate)
        {
            _pausedUntil = null;
        }

        await _credentialPause.CloseAsync();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _resumeTimer?.Dispose();
        }
    }

    private static MerchantResult? ConfigurationErrorOf(object? outcome) => outcome switch
    {
        MerchantResult { Kind: ResultKind.ConfigurationError } r => r,
        BatchOutcome b => b.Results.FirstOrDefault(r => r?.Kind == ResultKind.ConfigurationError),
        _ => null,
    };

    private static string Describe(object? outcome) => outcome switch
    {
        MerchantResult r => r.ToString(),
        BatchOutcome b => b.ToString(),
        _ => outcome?.ToString() ?? "no result",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Merchant API retry {Attempt} in {Delay} after {Outcome}")]
    private partial void LogRetry(int attempt, TimeSpan delay, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Merchant API circuit opened for {BreakDuration}: most calls fail ({Outcome}). Changes stay pending; calls resume by themselves after the break.")]
    private partial void LogOpened(TimeSpan breakDuration, string outcome);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Merchant API circuit opened for {BreakDuration}: Google refuses FeedSync's credentials ({Status} {Reason}: {Detail}). Changes stay pending. Operator: check that FeedSync:MerchantCenter:CredentialsFile (or GOOGLE_APPLICATION_CREDENTIALS) points at the right service-account key, that the service account is a user of Merchant Center account {AccountId} with standard or admin access, and that the Cloud project is registered once with developerRegistration:registerGcp (a 401 'GCP project ... is not registered' says exactly this). FeedSync retries by itself after the break.")]
    private partial void LogOpenedConfiguration(TimeSpan breakDuration, int status, string? reason, string? detail, string accountId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Merchant API circuit closed: calls flow again")]
    private partial void LogClosed();

    [LoggerMessage(Level = LogLevel.Information, Message = "Merchant API credential pause over: the next call tries the credentials again")]
    private partial void LogCredentialPauseOver();
}
