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

    // Isolate and close run one at a time, so a close can never land after a newer pause's isolate.
    private readonly SemaphoreSlim _switching = new(1, 1);
    private DateTimeOffset? _pausedUntil;
    private long _pauseGeneration;
    private TrialState _trial;
    private ITimer? _resumeTimer;
    private bool _disposed;

    private enum TrialState
    {
        None,
        Waiting,
        InFlight,
    }

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
        if (!TryEnterTrial(out var isTrial))
        {
            // After a credential pause only the trial call goes; the others wait for its answer, not for a whole break.
            return whenOpen(new MerchantResult(ResultKind.CircuitOpen, 0, "circuit_open",
                $"Merchant API calls wait for the trial call after a credential pause; retry in {_options.MaxRetryDelay:g}", _options.MaxRetryDelay));
        }

        var trialAnswered = false;
        try
        {
            var result = await Pipeline.ExecuteAsync(attempt, cancellationToken);
            trialAnswered = true;
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
        finally
        {
            if (isTrial)
            {
                EndTrial(trialAnswered);
            }
        }
    }

    private bool TryEnterTrial(out bool isTrial)
    {
        lock (_gate)
        {
            isTrial = _trial == TrialState.Waiting;
            if (isTrial)
            {
                _trial = TrialState.InFlight;
            }

            return _trial != TrialState.InFlight || isTrial;
        }
    }

    private void EndTrial(bool answered)
    {
        lock (_gate)
        {
            // Answered: a refusal has started a new pause (which reset the trial), anything else resumes all calls.
            // Not answered (cancelled, circuit open for another reason): the next call is the trial.
            if (_trial == TrialState.InFlight)
            {
                _trial = answered ? TrialState.None : TrialState.Waiting;
            }
        }
    }

    /// <summary>Isolates the circuit at the first 401/403 and closes it again after the break, so one trial call checks the credentials.</summary>
    private async Task PauseForCredentialsAsync(MerchantResult error)
    {
        long generation;
        lock (_gate)
        {
            if (_pausedUntil is not null)
            {
                return;
            }

            _pausedUntil = Time.GetUtcNow() + _options.CircuitBreakDuration;
            _trial = TrialState.None;
            generation = ++_pauseGeneration;
        }

        LogOpenedConfiguration(_options.CircuitBreakDuration, error.HttpStatus, error.Reason, error.Message, _options.AccountId);
        await _switching.WaitAsync();
        try
        {
            await _credentialPause.IsolateAsync();
        }
        finally
        {
            _switching.Release();
        }

        // Armed only after isolating, so a short break can never close the circuit before it opened.
        ArmResume(generation, _options.CircuitBreakDuration);
    }

    private void ArmResume(long generation, TimeSpan after)
    {
        lock (_gate)
        {
            if (generation != _pauseGeneration || _disposed)
            {
                return;
            }

            _resumeTimer?.Dispose();
            _resumeTimer = Time.CreateTimer(_ => _ = ResumeObservedAsync(generation), null, after, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task ResumeObservedAsync(long generation)
    {
        try
        {
            await ResumeAsync(generation);
        }
        catch (Exception ex)
        {
            // A timer callback has no caller to see this: log it and try again after another break, still paused.
            LogResumeFailed(ex, _options.CircuitBreakDuration);
            lock (_gate)
            {
                if (generation == _pauseGeneration)
                {
                    _pausedUntil = Time.GetUtcNow() + _options.CircuitBreakDuration;
                    _trial = TrialState.None;
                }
            }

            ArmResume(generation, _options.CircuitBreakDuration);
        }
    }

    private async Task ResumeAsync(long generation)
    {
        await _switching.WaitAsync();
        try
        {
            lock (_gate)
            {
                if (generation != _pauseGeneration)
                {
                    return; // a newer pause owns the circuit
                }

                // Unmarked before closing: a 401 answered from here on starts a new pause, whose isolate waits for
                // this close (_switching), so the circuit ends isolated and that pause arms its own resume.
                _pausedUntil = null;
                _trial = TrialState.Waiting;
            }

            await _credentialPause.CloseAsync();
        }
        finally
        {
            _switching.Release();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            // The semaphore stays undisposed (it holds no wait handle): a timer callback already running may still use it.
            _disposed = true;
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Merchant API credential pause could not end; trying again in {BreakDuration}")]
    private partial void LogResumeFailed(Exception exception, TimeSpan breakDuration);

    [LoggerMessage(Level = LogLevel.Information, Message = "Merchant API circuit closed: calls flow again")]
    private partial void LogClosed();

    [LoggerMessage(Level = LogLevel.Information, Message = "Merchant API credential pause over: one trial call tries the credentials again, the others wait for its answer")]
    private partial void LogCredentialPauseOver();
}
