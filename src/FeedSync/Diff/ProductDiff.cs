using System.Text.Json.Nodes;
using FeedSync.Publish;

namespace FeedSync.Diff;

/// <summary>
/// What FeedSync last sent successfully for one product destination, and whether (and why) its next push must be a
/// full insert (<see cref="Diff.ForceReason"/>). An empty <see cref="Payload"/> means Google never accepted one.
/// <see cref="LeaseLeft"/>: how long a write of another pusher may still be in flight (see <c>Jobs.WriteLease</c>).
/// </summary>
internal sealed record LastPushed(
    ProductIdentity Identity,
    string ProductKey,
    byte[] ContentHash,
    JsonObject Payload,
    DateTimeOffset PushedAt,
    DateTimeOffset LastInsertAt,
    string? ForceReason = null,
    DateTimeOffset? ForcedAt = null,
    TimeSpan? LeaseLeft = null);

/// <summary>
/// Decides the cheapest call that makes Google hold the current content: nothing when the hash matches, a
/// masked patch when only fast-moving commercial fields changed, otherwise a full insert.
/// </summary>
internal static class ProductDiff
{
    public const string MaskPrefix = "productAttributes.";

    /// <summary>
    /// Fields that change often and that a patch may carry. Anything else changing (title, images, custom
    /// attributes) goes as an insert, which also refreshes Google's 30-day expiry.
    /// </summary>
    public static readonly IReadOnlySet<string> PatchableAttributes = new HashSet<string>(StringComparer.Ordinal)
    {
        "price", "salePrice", "salePriceEffectiveDate", "availability", "availabilityDate", "sellOnGoogleQuantity",
    };

    public static PushDecision Decide(ProductIdentity identity, ProductInput? current, LastPushed? last)
    {
        if (current is null)
        {
            return last is null
                ? new PushDecision(PushAction.None, identity, null, [], "not in the feed and never pushed")
                : new PushDecision(PushAction.Delete, identity, null, [], "removed from the feed view");
        }

        if (last is null)
        {
            return new PushDecision(PushAction.Insert, identity, current, [], "not pushed before");
        }

        if (last.ForceReason is { } reason)
        {
            // Operator resync, expiry refresh or a write in doubt: a full insert (it also restarts Google's 30-day expiry clock).
            return new PushDecision(PushAction.Insert, identity, current, [], ForceReason.Describe(reason));
        }

        if (current.ContentHash().AsSpan().SequenceEqual(last.ContentHash))
        {
            return new PushDecision(PushAction.None, identity, current, [], "unchanged");
        }

        var previous = last.Payload;
        if (!JsonNode.DeepEquals(previous["customAttributes"], current.CustomAttributesJson()))
        {
            return new PushDecision(PushAction.Insert, identity, current, [], "custom attributes changed");
        }

        var changed = ChangedAttributes(previous["productAttributes"] as JsonObject ?? [], current.ProductAttributes);
        if (changed.Count == 0)
        {
            // Same attributes but a different hash: the canonical form changed (e.g. an upgrade); resend in full.
            return new PushDecision(PushAction.Insert, identity, current, [], "canonical form changed");
        }

        if (changed.All(PatchableAttributes.Contains))
        {
            return new PushDecision(PushAction.Patch, identity, current, changed.Select(c => MaskPrefix + c).ToList(), string.Join(", ", changed) + " changed");
        }

        return new PushDecision(PushAction.Insert, identity, current, [], string.Join(", ", changed) + " changed");
    }

    /// <summary>Attribute names whose value differs, including ones removed (a masked patch with no value clears them).</summary>
    public static IReadOnlyList<string> ChangedAttributes(JsonObject previous, JsonObject current) =>
        previous.Select(p => p.Key).Union(current.Select(c => c.Key))
            .Where(name => !JsonNode.DeepEquals(previous[name], current[name]))
            .OrderBy(name => name, StringComparer.Ordinal)
            .ToList();
}
