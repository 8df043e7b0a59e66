using System.Text.Json.Nodes;
using FeedSync.Diff;

namespace FeedSync.Freshness;

internal enum ChangeClass
{
    /// <summary>The ad is wrong until this goes out (stock, price, sale, link, deletion, first insert, expiry refresh): push at once.</summary>
    Critical,

    /// <summary>Title, description, images, labels, other attributes: within the update budget, deferred and coalesced.</summary>
    Cosmetic,
}

/// <summary>Sorts a push decision by whether it may wait for the update budget.</summary>
internal static class ChangeClassifier
{
    /// <summary>Attributes whose change makes a live ad wrong (price or stock mismatch, broken landing page).</summary>
    public static readonly IReadOnlySet<string> CriticalAttributes = new HashSet<string>(StringComparer.Ordinal)
    {
        "price", "salePrice", "salePriceEffectiveDate", "availability", "availabilityDate", "link", "mobileLink",
    };

    public static ChangeClass Classify(PushDecision decision, LastPushed? last)
    {
        if (decision.Action is PushAction.Delete or PushAction.None || last is null || last.ForceReason is not null || decision.Input is null)
        {
            return ChangeClass.Critical;
        }

        var changed = ProductDiff.ChangedAttributes(last.Payload["productAttributes"] as JsonObject ?? [], decision.Input.ProductAttributes);
        return changed.Any(CriticalAttributes.Contains) ? ChangeClass.Critical : ChangeClass.Cosmetic;
    }

    /// <summary>The attribute names that changed, for the deferral record shown to operators.</summary>
    public static string Describe(PushDecision decision, LastPushed last)
    {
        var changed = ProductDiff.ChangedAttributes(last.Payload["productAttributes"] as JsonObject ?? [], decision.Input!.ProductAttributes).ToList();
        if (!JsonNode.DeepEquals(last.Payload["customAttributes"], decision.Input.CustomAttributesJson()))
        {
            changed.Add("customAttributes");
        }

        return string.Join(", ", changed);
    }
}
