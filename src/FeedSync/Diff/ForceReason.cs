namespace FeedSync.Diff;

/// <summary>
/// Why a destination's next push must be a full insert whatever the diff says (<c>last_pushed.force_reason</c>).
/// One marker for every cause, so the audit log and the dashboard say the true reason.
/// </summary>
internal static class ForceReason
{
    /// <summary>An operator asked for a resync with <c>--force</c> (CLI or dashboard).</summary>
    public const string OperatorResync = "operator_resync";

    /// <summary>The last full insert is old enough that Google would soon expire the product.</summary>
    public const string ExpiryRefresh = "expiry_refresh";

    /// <summary>
    /// A write was sent and its outcome is unknown (the process died, the call timed out or hit a 5xx), so what
    /// Google holds may be neither the old nor the new content.
    /// </summary>
    public const string InDoubt = "in_doubt";

    /// <summary>The audit-log wording of a reason.</summary>
    public static string Describe(string reason) => reason switch
    {
        OperatorResync => "resync requested by an operator",
        ExpiryRefresh => "expiry refresh: the last full insert is getting old",
        InDoubt => "the outcome of an earlier push is unknown",
        _ => $"full insert forced ({reason})",
    };
}
