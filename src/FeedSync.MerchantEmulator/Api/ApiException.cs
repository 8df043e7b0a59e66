using System.Text.Json.Nodes;

namespace FeedSync.MerchantEmulator;

/// <summary>
/// A failed call, rendered in Google's <c>google.rpc.Status</c> JSON shape with an
/// <c>ErrorInfo</c> detail whose <c>metadata.REASON</c> is what clients are told to branch on.
/// The REASON values are the emulator's own where Google's exact ones are not documented.
/// </summary>
internal sealed class ApiException(int code, string status, string reason, string message, string? field = null)
    : Exception(message)
{
    public int Code { get; } = code;

    /// <summary>When set, a <c>google.rpc.RetryInfo</c> detail tells the client how long to wait.</summary>
    public TimeSpan? RetryDelay { get; init; }

    public static ApiException Invalid(string reason, string message, string? field = null) =>
        new(400, "INVALID_ARGUMENT", reason, message, field);

    public static ApiException NotFound(string reason, string message) => new(404, "NOT_FOUND", reason, message);

    public static ApiException Aborted(string reason, string message) => new(409, "ABORTED", reason, message);

    public JsonObject ToJson()
    {
        var metadata = new JsonObject { ["REASON"] = reason };
        if (field is not null)
        {
            metadata["FIELD_LOCATION"] = field;
        }

        var errorInfo = new JsonObject
        {
            ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo",
            ["reason"] = Code switch { 401 => "unauthorized", 404 => "notFound", 409 => "aborted", 429 => "rateLimitExceeded", >= 500 => "backendError", _ => "invalid" },
            ["domain"] = "merchantapi.googleapis.com",
            ["metadata"] = metadata,
        };
        return new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = Code,
                ["message"] = Message,
                ["status"] = status,
                ["details"] = RetryDelay is { } delay
                    ? new JsonArray(errorInfo, new JsonObject
                    {
                        ["@type"] = "type.googleapis.com/google.rpc.RetryInfo",
                        ["retryDelay"] = delay.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "s",
                    })
                    : new JsonArray(errorInfo),
            },
        };
    }
}
