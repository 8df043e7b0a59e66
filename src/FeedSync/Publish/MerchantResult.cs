namespace FeedSync.Publish;

/// <summary>How a Merchant API answer is handled; one row per case of the error table in the README.</summary>
internal enum ResultKind
{
    Success,

    /// <summary>404: the product input is not there (patch falls back to insert; delete counts as done).</summary>
    NotFound,

    /// <summary>409 ABORTED: a newer write already won; drop this one.</summary>
    Stale,

    /// <summary>400: Google rejected the data; recorded with Google's reason, not retried until the data changes.</summary>
    DataError,

    /// <summary>401/403: credentials or registration are wrong; nothing can succeed until an operator fixes it.</summary>
    ConfigurationError,

    /// <summary>429: over quota; retry later, slower.</summary>
    RateLimited,

    /// <summary>429 quota/daily_limit_exceeded: nothing gets through until the daily reset at 12:00 UTC.</summary>
    DailyQuotaExhausted,

    /// <summary>5xx, timeouts, connection failures: retried a few times within the call, then later.</summary>
    Transient,

    /// <summary>The circuit breaker is open: no call was made; retry after it closes.</summary>
    CircuitOpen,
}

internal sealed record MerchantResult(ResultKind Kind, int HttpStatus, string? Reason = null, string? Message = null, TimeSpan? RetryAfter = null) : IResilienceOutcome
{
    public bool IsSuccess => Kind == ResultKind.Success;

    /// <summary>
    /// Some attempt of this call got no answer from Google (timed out, connection cut, abandoned, part missing from a
    /// batch answer): it may have been applied, or may still be applied later, even when a retry was answered.
    /// </summary>
    public bool Unanswered { get; init; }

    public bool ShouldRetryLater => Kind is ResultKind.RateLimited or ResultKind.DailyQuotaExhausted or ResultKind.Transient
        or ResultKind.ConfigurationError or ResultKind.CircuitOpen;

    /// <summary>Only transient faults are worth retrying inside the call (a few times, short jittered backoff).</summary>
    public bool RetryInCall => Kind == ResultKind.Transient;

    /// <summary>Answers that say the API is failing (not the product): they count toward opening the circuit.</summary>
    public bool CountsAgainstCircuit => Kind is ResultKind.Transient or ResultKind.ConfigurationError;

    public static MerchantResult Ok(int status) => new(ResultKind.Success, status);

    public override string ToString() => Kind == ResultKind.Success ? $"{HttpStatus}" : $"{HttpStatus} {Reason}: {Message}";
}
