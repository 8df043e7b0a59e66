using FeedSync.Catalog;
using Microsoft.Extensions.Options;

namespace FeedSync.Capture;

/// <summary>Checks <c>FeedSync:Capture</c> at start; each message names the key and the fix.</summary>
internal sealed class CaptureOptionsValidator : IValidateOptions<CaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, CaptureOptions options)
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(options.Mode))
        {
            problems.Add($"{CaptureOptions.Section}:Mode must be LogicalReplication or Trigger.");
        }

        if (options.Mode == CaptureMode.LogicalReplication)
        {
            if (!SqlIdentifier.IsValidColumn(options.SlotName) || options.SlotName.Any(char.IsUpper))
            {
                problems.Add($"{CaptureOptions.Section}:SlotName '{options.SlotName}' must be lower-case letters, digits and _ (a PostgreSQL slot name).");
            }

            if (!SqlIdentifier.IsValidColumn(options.PublicationName))
            {
                problems.Add($"{CaptureOptions.Section}:PublicationName '{options.PublicationName}' must be letters, digits and _.");
            }
        }

        Positive(problems, nameof(options.StatusInterval), options.StatusInterval);
        Positive(problems, nameof(options.ReconnectDelay), options.ReconnectDelay);
        Positive(problems, nameof(options.LeaderRetryInterval), options.LeaderRetryInterval);
        Positive(problems, nameof(options.HeartbeatInterval), options.HeartbeatInterval);
        Positive(problems, nameof(options.HealthInterval), options.HealthInterval);
        Positive(problems, nameof(options.PollInterval), options.PollInterval);
        Positive(problems, nameof(options.DdlLockTimeout), options.DdlLockTimeout);
        if (options.PollBatchSize is < 1 or > 1_000_000)
        {
            problems.Add($"{CaptureOptions.Section}:PollBatchSize must be between 1 and 1000000 (got {options.PollBatchSize}).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Positive(List<string> problems, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            problems.Add($"{CaptureOptions.Section}:{key} must be a positive duration such as 00:00:01 (got {value}).");
        }
    }
}
