namespace FeedSync.MerchantEmulator;

/// <summary>One API request the emulator received, with the status it answered.</summary>
/// <param name="Path">The URL path as sent (still percent-encoded), with its leading slash.</param>
/// <param name="Query">The raw query string without the leading <c>?</c>.</param>
public sealed record RecordedRequest(DateTimeOffset ReceivedAt, string Method, string Path, string Query, string? Body, int Status);
