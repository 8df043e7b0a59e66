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
    public static MerchantResult Classify(HttpStatusCode status, string? body, TimeSpan? retryAfterHeader)
    {
        var (rpcStatus, reason, message, retryDelay) = Parse(body);
        var code = (int)status;
        var kind = code switch
        {
            404 => ResultKind.NotFound,
            409 => ResultKind.Stale,
            400 or 422 => ResultKind.DataError,
            401 or 403 => ResultKind.ConfigurationError,
            429 => ResultKind.RateLimited,
            >= 500 => ResultKind.Transient,
            408 => ResultKind.Transient,
            _ => ResultKind.DataError,
        };
        return new MerchantResult(kind, code, reason ?? rpcStatus ?? status.ToString(), message ?? $"HTTP {code}", retryDelay ?? retryAfterHeader);
    }

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
