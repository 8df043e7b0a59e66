using FeedSync.Diff;
using FeedSync.Publish;

namespace FeedSync.Jobs;

/// <summary>Turns a step's push decisions into Merchant API calls and their outcomes, including the patch → insert fallback.</summary>
internal static class PushCalls
{
    public static async Task<List<DestinationOutcome>> ExecuteAsync(
        IMerchantCenter merchant, IReadOnlyList<(string ProductKey, PushDecision Decision)> decisions, CancellationToken cancellationToken)
    {
        var calls = decisions.Select(d => d.Decision.Action switch
        {
            PushAction.Insert => MerchantCall.Insert(d.Decision.Input!),
            PushAction.Patch => MerchantCall.Patch(d.Decision.Input!, d.Decision.UpdateMask),
            PushAction.Delete => MerchantCall.Delete(d.Decision.Identity),
            var action => throw new InvalidOperationException($"No call for {action}"),
        }).ToList();
        var results = calls.Count == 0 ? [] : await merchant.ExecuteAsync(calls, cancellationToken);

        var outcomes = new List<DestinationOutcome>(decisions.Count);
        var missing = new List<(string ProductKey, PushDecision Decision)>();
        for (var i = 0; i < decisions.Count; i++)
        {
            var (key, decision) = decisions[i];
            if (decision.Action == PushAction.Patch && results[i].Kind == ResultKind.NotFound)
            {
                // Google does not have the product (deleted by hand, or expired): only a full insert can restore it.
                missing.Add((key, decision));
                continue;
            }

            // The request as text for push_log: an insert's is the body just sent (cached), not a fresh copy of the tree.
            var request = decision.Action switch
            {
                PushAction.Insert => decision.Input!.ToCanonicalJson(),
                PushAction.Patch => decision.Input!.ToJson(decision.MaskedAttributes).ToJsonString(ProductInput.JsonOptions),
                _ => null,
            };
            outcomes.Add(new DestinationOutcome(key, decision, decision.Action, results[i], decision.Reason, request));
        }

        if (missing.Count > 0)
        {
            var inserts = await merchant.ExecuteAsync(missing.Select(m => MerchantCall.Insert(m.Decision.Input!)).ToList(), cancellationToken);
            outcomes.AddRange(missing.Select((m, i) => new DestinationOutcome(
                m.ProductKey, m.Decision, PushAction.Insert, inserts[i], m.Decision.Reason + "; patch found no product, inserted", m.Decision.Input!.ToCanonicalJson())));
        }

        return outcomes;
    }
}
