using System.Globalization;
using System.Net;
using System.Text.Json;

namespace FeedSync.Publish;

/// <summary>
/// Reads Google's error body (<c>google.rpc.Status</c> with an optional <c>ErrorInfo</c>) and classifies it.
/// Older sub-APIs send legacy shapes without ErrorInfo, so every part is optional.
/// </summary>
internal static class GoogleError
{
    /// <summary>Google's daily quotas reset at midday UTC.</summary>
    public static readonly TimeSpan DailyQuotaReset = TimeSpan.FromHours(12);

    public static MerchantResult Classify(HttpStatusCode status, string? body, TimeSpan? retryAfterHeader) =>
        Classify(status, body, retryAfterHeader, DateTimeOffset.UtcNow);

    /// <summary>
    /// The classification table: one row per answer. What each kind then does (retry in the call, back off in the
    /// pending queue, record, drop, pause) is decided by <see cref="MerchantResult"/> and the push; nowhere else.
    /// </summary>
    public static MerchantResult Classify(HttpStatusCode status, string? body, TimeSpan? retryAfterHeader, DateTimeOffset now)
    {
        var (rpcStatus, reason, message, retryDelay) = Parse(body);
        var code = (int)status;
        var kind = code switch
        {
            404 => ResultKind.NotFound,
            409 => ResultKind.Stale,
            400 or 422 => ResultKind.DataError,
            401 or 403 => ResultKind.ConfigurationError,
            429 when Mentions(reason, message, "daily_limit_exceeded") => ResultKind.DailyQuotaExhausted,
            429 => ResultKind.RateLimited,
            >= 500 => ResultKind.Transient,
            408 => ResultKind.Transient,
            _ => ResultKind.DataError,
        };
        var delay = kind == ResultKind.DailyQuotaExhausted ? UntilDailyReset(now) : retryDelay ?? retryAfterHeader;
        return new MerchantResult(kind, code, reason ?? rpcStatus ?? status.ToString(), message ?? $"HTTP {code}", delay);
    }

    /// <summary>Time from <paramref name="now"/> to the next 12:00 UTC, when Google resets daily quotas.</summary>
    public static TimeSpan UntilDailyReset(DateTimeOffset now)
    {
        var utc = now.ToUniversalTime();
        var reset = new DateTimeOffset(utc.Date, TimeSpan.Zero) + DailyQuotaReset;
        return (reset > utc ? reset : reset.AddDays(1)) - utc;
    }

    // Google names the quota in ErrorInfo (quota/daily_limit_exceeded) or, in legacy shapes, only in the message.
    private static bool Mentions(string? reason, string? message, string quota) =>
        reason?.Contains(quota, StringComparison.OrdinalIgnoreCase) == true || message?.Contains(quota, StringComparison.OrdinalIgnoreCase) == true;

    private static (string? Status, string? Reason, string? Message, TimeSpan? RetryDelay) Parse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return default;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return default;
            }

            string? status = error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            string? message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            string? reason = null;
            TimeSpan? retryDelay = null;
            if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
            {
                foreach (var detail in details.EnumerateArray())
                {
                    var type = detail.TryGetProperty("@type", out var t) ? t.GetString() : null;
                    if (type?.EndsWith("google.rpc.ErrorInfo", StringComparison.Ordinal) == true)
                    {
                        reason = ReadReason(detail) ?? reason;
                    }
                    else if (type?.EndsWith("google.rpc.RetryInfo", StringComparison.Ordinal) == true
                             && detail.TryGetProperty("retryDelay", out var delay) && delay.ValueKind == JsonValueKind.String)
                    {
                        retryDelay = ParseDuration(delay.GetString());
                    }
                }
            }

            // Legacy shape: {"error":{"errors":[{"reason":"..."}]}}.
            if (reason is null && error.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                reason = errors.EnumerateArray().Select(e => e.TryGetProperty("reason", out var r) ? r.GetString() : null).FirstOrDefault(r => r is not null);
            }

            return (status, reason, message, retryDelay);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not Google's shape (a proxy's page, an array, a wrong-typed field): classify by HTTP status alone.
            return default;
        }
    }

    private static string? ReadReason(JsonElement errorInfo)
    {
        if (errorInfo.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("REASON", out var r) && r.ValueKind == JsonValueKind.String)
        {
            return r.GetString();
        }

        return errorInfo.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null;
    }

    /// <summary>Protobuf JSON duration, e.g. "30s" or "1.5s".</summary>
    private static TimeSpan? ParseDuration(string? text) =>
        text is not null && text.EndsWith('s') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
