using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace FeedSync.Jobs;

/// <summary><c>FeedSync:Retention</c>: how long the audit log and the per-minute call counters are kept.</summary>
internal sealed class RetentionOptions
{
    public const string Section = "FeedSync:Retention";

    /// <summary>Rows of <c>feedsync.push_log</c> (what was sent, why, Google's answer) older than this are deleted.</summary>
    public TimeSpan PushLogRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Rows of <c>feedsync.push_stats</c> (calls per minute) older than this are deleted.</summary>
    public TimeSpan PushStatsRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Rows deleted per statement; each statement commits on its own, so no lock is held for long.</summary>
    public int BatchSize { get; set; } = 5000;

    /// <summary>Hangfire cron expression (UTC) of the clean-up job.</summary>
    public string Cron { get; set; } = "40 * * * *";
}

internal sealed partial class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    /// <summary>The Overview and the Product page count calls of the last day, so a day is the least that can be kept.</summary>
    private static readonly TimeSpan Minimum = TimeSpan.FromDays(1);

    [GeneratedRegex(@"^[0-9A-Za-z*/,\-?#]+(\s+[0-9A-Za-z*/,\-?#]+){4,5}$")]
    private static partial Regex CronShape();

    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        const string key = RetentionOptions.Section;
        var problems = new List<string>();
        foreach (var (setting, value) in new[] { ("PushLogRetention", options.PushLogRetention), ("PushStatsRetention", options.PushStatsRetention) })
        {
            if (value < Minimum || value > TimeSpan.FromDays(3650))
            {
                problems.Add($"{key}:{setting} {value} must be between 1.00:00:00 (the dashboard counts the last day) and 3650.00:00:00.");
            }
        }

        if (options.BatchSize is < 1 or > 50_000)
        {
            problems.Add($"{key}:BatchSize {options.BatchSize} must be between 1 and 50000 (rows deleted per statement).");
        }

        if (!CronShape().IsMatch(options.Cron?.Trim() ?? ""))
        {
            problems.Add($"{key}:Cron '{options.Cron}' is not a cron expression; use five fields such as '40 * * * *' (hourly at :40).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
