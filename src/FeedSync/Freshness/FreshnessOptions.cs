using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace FeedSync.Freshness;

/// <summary><c>FeedSync:Freshness</c>: sale boundaries, the update budget, expiry refresh and reconciliation.</summary>
internal sealed class FreshnessOptions
{
    public const string Section = "FeedSync:Freshness";

    /// <summary>
    /// Cosmetic pushes (title, description, images, labels, …) a product may get per rolling 24 h; 0 turns the
    /// budget off (every change goes at once), which the integration tests of other behaviour use.
    /// </summary>
    public int CosmeticPushesPerDay { get; set; } = 2;

    /// <summary>A product not fully inserted for this long is re-inserted (Google expires products after 30 days).</summary>
    public TimeSpan ExpiryRefreshAge { get; set; } = TimeSpan.FromDays(25);

    /// <summary>The re-inserts of one expiry-refresh run are spread evenly over this span.</summary>
    public TimeSpan ExpiryRefreshSpread { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Feed-view rows read per reconciliation page (keyset pagination on product_key).</summary>
    public int ReconciliationPageSize { get; set; } = 5000;

    /// <summary>
    /// Real-time safety poll of the boundary scheduler: picks up boundaries another instance learned and is the
    /// backstop if a timer was armed late. Boundaries learned by this instance wake the scheduler at once.
    /// </summary>
    public TimeSpan BoundaryPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Cron expressions of the recurring jobs, read in <see cref="TimeZone"/>.</summary>
    public string ReconciliationCron { get; set; } = "15 3 * * *";

    public string ExpiryRefreshCron { get; set; } = "45 2 * * *";

    /// <summary>Backstop for the boundary timer (the timer is what makes boundaries precise).</summary>
    public string BoundarySweepCron { get; set; } = "*/5 * * * *";

    public string TimeZone { get; set; } = "UTC";

    /// <summary>Even spacing of cosmetic pushes: at most one per this span.</summary>
    public TimeSpan CosmeticSpacing => TimeSpan.FromTicks(TimeSpan.FromDays(1).Ticks / Math.Max(1, CosmeticPushesPerDay));

    public TimeZoneInfo ResolveTimeZone() => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}

internal sealed partial class FreshnessOptionsValidator : IValidateOptions<FreshnessOptions>
{
    [GeneratedRegex(@"^\S+(\s+\S+){4,5}$")]
    private static partial Regex CronShape();

    [GeneratedRegex(@"^[0-9A-Za-z*/,\-?#]+$")]
    private static partial Regex CronField();

    public ValidateOptionsResult Validate(string? name, FreshnessOptions options)
    {
        var problems = new List<string>();
        const string key = FreshnessOptions.Section;
        if (options.CosmeticPushesPerDay is < 0 or > 48)
        {
            problems.Add($"{key}:CosmeticPushesPerDay {options.CosmeticPushesPerDay} must be between 0 (no budget) and 48 (Google asks for about 2 updates per product per day).");
        }

        if (options.ExpiryRefreshAge < TimeSpan.FromDays(1) || options.ExpiryRefreshAge > TimeSpan.FromDays(29))
        {
            problems.Add($"{key}:ExpiryRefreshAge {options.ExpiryRefreshAge} must be between 1.00:00:00 and 29.00:00:00 (Google expires products 30 days after their last insert).");
        }

        if (options.ExpiryRefreshSpread < TimeSpan.Zero || options.ExpiryRefreshSpread > TimeSpan.FromDays(2))
        {
            problems.Add($"{key}:ExpiryRefreshSpread {options.ExpiryRefreshSpread} must be between 00:00:00 and 2.00:00:00.");
        }

        if (options.ReconciliationPageSize is < 100 or > 50_000)
        {
            problems.Add($"{key}:ReconciliationPageSize {options.ReconciliationPageSize} must be between 100 and 50000.");
        }

        if (options.BoundaryPollInterval < TimeSpan.FromMilliseconds(50) || options.BoundaryPollInterval > TimeSpan.FromMinutes(5))
        {
            problems.Add($"{key}:BoundaryPollInterval {options.BoundaryPollInterval} must be between 00:00:00.050 and 00:05:00.");
        }

        foreach (var (setting, cron) in new[] { ("ReconciliationCron", options.ReconciliationCron), ("ExpiryRefreshCron", options.ExpiryRefreshCron), ("BoundarySweepCron", options.BoundarySweepCron) })
        {
            var trimmed = cron?.Trim() ?? "";
            if (!CronShape().IsMatch(trimmed) || !trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries).All(f => CronField().IsMatch(f)))
            {
                problems.Add($"{key}:{setting} '{cron}' is not a cron expression; use five fields such as '15 3 * * *' (03:15 every day).");
            }
        }

        try
        {
            options.ResolveTimeZone();
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            problems.Add($"{key}:TimeZone '{options.TimeZone}' is not a known time zone; use an IANA id such as 'UTC' or 'Europe/Berlin'.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
