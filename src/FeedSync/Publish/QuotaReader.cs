using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace FeedSync.Publish;

/// <summary>
/// Reads the account's product-write quota from the Quota sub-API (<c>quota/v1/accounts/{a}/quotas</c>) and keeps
/// the client-side limiter at or below its per-minute limit: at start and then hourly, only when real credentials
/// are configured (Google adjusts these quotas to the account's usage, so they change over time).
/// </summary>
internal sealed partial class QuotaReader(
    IHttpClientFactory httpClients, IOptions<MerchantCenterOptions> options, MerchantRateLimiter limiter, TimeProvider time, ILogger<QuotaReader> logger)
    : BackgroundService
{
    public const string HttpClientName = MerchantCenterOptions.AdminHttpClient;

    /// <summary>The method whose quota group bounds FeedSync's writes.</summary>
    private const string InsertMethod = "productInputs.insert";

    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>The per-minute limit of the quota group covering product input writes, or null if none is listed.</summary>
    public async Task<long?> ReadMinuteLimitAsync(CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(HttpClientName);
        string? pageToken = null;
        do
        {
            var url = $"quota/v1/{options.Value.AccountName}/quotas?pageSize=1000" + (pageToken is null ? "" : "&pageToken=" + Uri.EscapeDataString(pageToken));
            using var response = await http.GetAsync(url, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var error = GoogleError.Classify(response.StatusCode, body, null);
                LogReadFailed(error.HttpStatus, error.Reason, error.Message);
                return null;
            }

            (var limit, pageToken) = Parse(body);
            if (limit is not null)
            {
                return limit;
            }
        }
        while (pageToken is not null);

        return null;
    }

    /// <summary>Parses one page: the minute limit of the group listing <c>productInputs.insert</c>, and the next page token.</summary>
    internal static (long? MinuteLimit, string? NextPageToken) Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var next = root.TryGetProperty("nextPageToken", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } token ? token : null;
        if (!root.TryGetProperty("quotaGroups", out var groups) || groups.ValueKind != JsonValueKind.Array)
        {
            return (null, next);
        }

        foreach (var group in groups.EnumerateArray())
        {
            var coversWrites = group.TryGetProperty("methodDetails", out var methods) && methods.ValueKind == JsonValueKind.Array
                && methods.EnumerateArray().Any(m => Text(m, "method")?.Contains(InsertMethod, StringComparison.Ordinal) == true
                    || Text(m, "path")?.Contains(InsertMethod, StringComparison.Ordinal) == true);
            // int64 values are JSON strings in Google's APIs.
            if (coversWrites && long.TryParse(Text(group, "quotaMinuteLimit"), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > 0)
            {
                return (limit, next);
            }
        }

        return (null, next);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var configured = options.Value.CallsPerMinute;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await ReadMinuteLimitAsync(stoppingToken) is { } minuteLimit)
                {
                    var adopted = (int)Math.Min(configured, minuteLimit);
                    limiter.SetCallsPerMinute(adopted);
                    LogQuota(minuteLimit, adopted);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                LogReadFailed(0, ex.GetType().Name, ex.Message);
            }

            await Task.Delay(Interval, time, stoppingToken);
        }
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Merchant API quota for product writes: {MinuteLimit} calls per minute; FeedSync sends at most {Adopted}")]
    private partial void LogQuota(long minuteLimit, int adopted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the Merchant API quotas ({Status} {Reason}: {Detail}); keeping FeedSync:MerchantCenter:CallsPerMinute")]
    private partial void LogReadFailed(int status, string? reason, string? detail);
}
