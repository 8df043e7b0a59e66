namespace FeedSync.Publish;

/// <summary>Checks of the batching, rate-limit and resilience settings (kept apart from the shared validator file).</summary>
internal static class MerchantCenterOptionsValidation
{
    private const string Prefix = MerchantCenterOptions.Section + ":";

    public static void Resilience(MerchantCenterOptions options, List<string> problems)
    {
        if (options.BatchSize is < 1 or > MerchantCenterOptions.MaxBatchSize)
        {
            problems.Add($"{Prefix}BatchSize {options.BatchSize} must be between 1 and {MerchantCenterOptions.MaxBatchSize} (Google's limit per batch request); 100 is the default.");
        }

        if (!Enum.IsDefined(options.Transport))
        {
            problems.Add($"{Prefix}Transport must be Batch or Concurrent.");
        }

        if (options.CallsPerMinute < 1)
        {
            problems.Add($"{Prefix}CallsPerMinute {options.CallsPerMinute} must be at least 1; set it at or below the account's per-minute quota.");
        }

        if (options.MaxRetryAttempts is < 0 or > 10)
        {
            problems.Add($"{Prefix}MaxRetryAttempts {options.MaxRetryAttempts} must be between 0 and 10.");
        }

        Positive(options.RetryBaseDelay, "RetryBaseDelay", problems);
        Positive(options.MaxRetryDelay, "MaxRetryDelay", problems);
        Positive(options.RateLimitBackoff, "RateLimitBackoff", problems);
        Positive(options.RateLimitCooldown, "RateLimitCooldown", problems);
        Positive(options.CircuitBreakDuration, "CircuitBreakDuration", problems);
        if (options.CircuitSamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            problems.Add($"{Prefix}CircuitSamplingDuration {options.CircuitSamplingDuration} must be at least 00:00:00.5.");
        }

        if (options.CircuitFailureRatio is <= 0 or > 1)
        {
            problems.Add($"{Prefix}CircuitFailureRatio {options.CircuitFailureRatio} must be greater than 0 and at most 1.");
        }

        if (options.CircuitMinimumThroughput < 2)
        {
            problems.Add($"{Prefix}CircuitMinimumThroughput {options.CircuitMinimumThroughput} must be at least 2.");
        }
    }

    private static void Positive(TimeSpan value, string key, List<string> problems)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add($"{Prefix}{key} {value} must be a positive duration such as 00:00:05.");
        }
    }
}
