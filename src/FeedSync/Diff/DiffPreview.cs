using FeedSync.Catalog;
using FeedSync.Hosting;
using FeedSync.Jobs;
using FeedSync.Publish;

namespace FeedSync.Diff;

/// <summary>One line of <c>feedsync diff</c>: what a push would do for one destination, and why.</summary>
internal sealed record PreviewLine(string ProductKey, string OfferId, string Destination, string Action, string Reason, IReadOnlyList<string> UpdateMask);

/// <summary>
/// What a push would send for a set of product keys, computed exactly as a push decides (map, validate, diff
/// against <c>last_pushed</c>) but without claiming, calling or recording anything.
/// </summary>
internal sealed class DiffPreview(Databases databases, FeedView feedView, TimeProvider time)
{
    public async Task<List<PreviewLine>> PreviewAsync(IReadOnlyCollection<string> productKeys, bool onlyGoneFromView, CancellationToken cancellationToken)
    {
        var rows = await feedView.ReadAsync(productKeys, cancellationToken);
        await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
        var lastPushed = await PushRecorder.LoadAsync(connection, productKeys, cancellationToken);
        var lines = new List<PreviewLine>();
        var now = time.GetUtcNow();
        foreach (var key in productKeys)
        {
            var current = rows.GetValueOrDefault(key) ?? [];
            if (onlyGoneFromView && current.Count > 0)
            {
                continue;
            }

            var last = lastPushed.GetValueOrDefault(key) ?? [];
            var seen = new HashSet<ProductIdentity>();
            foreach (var row in current)
            {
                // As the push maps it: a sale counts only while it is in effect on FeedSync's clock.
                var mapped = ProductMapper.Map(row, now);
                var identity = mapped.Identity ?? new ProductIdentity(row.Text("content_language") ?? "", row.Text("feed_label") ?? "", row.Text("offer_id") ?? "");
                if (!seen.Add(identity))
                {
                    lines.Add(Line(key, identity, "reject", $"the feed view has more than one row for {identity}", []));
                }
                else if (!mapped.IsValid)
                {
                    lines.Add(Line(key, identity, "reject", string.Join("; ", mapped.Problems), []));
                }
                else
                {
                    var decision = ProductDiff.Decide(identity, mapped.Input, last.FirstOrDefault(l => l.Identity == identity));
                    lines.Add(Line(key, identity, decision.Action.ToString().ToLowerInvariant(), decision.Reason, decision.UpdateMask));
                }
            }

            foreach (var gone in last.Where(l => !seen.Contains(l.Identity)))
            {
                var decision = ProductDiff.Decide(gone.Identity, null, gone);
                lines.Add(Line(key, gone.Identity, decision.Action.ToString().ToLowerInvariant(), decision.Reason, decision.UpdateMask));
            }
        }

        return lines;
    }

    private static PreviewLine Line(string key, ProductIdentity identity, string action, string reason, IReadOnlyList<string> mask) =>
        new(key, identity.OfferId, $"{identity.ContentLanguage}~{identity.FeedLabel}", action, reason, mask);
}
