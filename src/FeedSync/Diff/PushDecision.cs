using FeedSync.Publish;

namespace FeedSync.Diff;

internal enum PushAction
{
    /// <summary>Google already holds exactly this content: no call.</summary>
    None,

    /// <summary>Full replace through <c>productInputs.insert</c>.</summary>
    Insert,

    /// <summary><c>productInputs.patch</c> with an explicit update mask.</summary>
    Patch,

    /// <summary>The destination row left the feed view: <c>productInputs.delete</c>.</summary>
    Delete,
}

/// <summary>What to send for one product destination and why (the reason goes to the audit log).</summary>
internal sealed record PushDecision(PushAction Action, ProductIdentity Identity, ProductInput? Input, IReadOnlyList<string> UpdateMask, string Reason)
{
    /// <summary>Top-level attribute names the mask covers (without the <c>productAttributes.</c> prefix).</summary>
    public IReadOnlyList<string> MaskedAttributes => UpdateMask.Select(m => m[(ProductDiff.MaskPrefix.Length)..]).ToList();
}
