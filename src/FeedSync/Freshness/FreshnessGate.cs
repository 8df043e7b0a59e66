using FeedSync.Catalog;
using FeedSync.Diff;
using FeedSync.Jobs;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Freshness;

/// <summary>What one push step learned about boundaries and the update budget, recorded with its results.</summary>
internal sealed class FreshnessPlan
{
    public required IReadOnlyCollection<string> ProductKeys { get; init; }

    public required DateTimeOffset Now { get; init; }

    public List<Boundary> Boundaries { get; } = [];

    public Dictionary<string, (DateTimeOffset Until, string Changes)> Deferred { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Cosmetic { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Sits between the diff and the calls of a push step: learns each product's upcoming boundaries from the rows
/// just read, and holds back cosmetic changes that the product's update budget does not allow yet (they are
/// coalesced: the budget boundary re-reads the product and sends its latest content).
/// </summary>
internal sealed class FreshnessGate(BoundaryScheduler scheduler, IOptions<FreshnessOptions> options)
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    public async Task<FreshnessPlan> PlanAsync(
        NpgsqlConnection connection,
        IReadOnlyCollection<string> productKeys,
        Dictionary<string, List<FeedRow>> rows,
        Dictionary<string, List<LastPushed>> lastPushed,
        List<(string ProductKey, PushDecision Decision)> decisions,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var plan = new FreshnessPlan { ProductKeys = productKeys, Now = now };
        plan.Boundaries.AddRange(rows.Values.SelectMany(list => list).SelectMany(row => SaleWindow.UpcomingBoundaries(row, now)));

        if (options.Value.CosmeticPushesPerDay == 0)
        {
            return plan;
        }

        // A product's change is cosmetic only if every call it needs is cosmetic; one critical call takes everything along.
        var cosmeticKeys = decisions
            .Where(d => d.Decision.Action is PushAction.Insert or PushAction.Patch)
            .GroupBy(d => d.ProductKey, StringComparer.Ordinal)
            .Where(g => g.All(d => ChangeClassifier.Classify(d.Decision, Last(lastPushed, d.ProductKey, d.Decision)) == ChangeClass.Cosmetic))
            .Select(g => g.Key)
            .ToList();
        if (cosmeticKeys.Count == 0)
        {
            return plan;
        }

        var history = await LoadCosmeticPushesAsync(connection, cosmeticKeys, now, cancellationToken);
        for (var i = 0; i < decisions.Count; i++)
        {
            var (key, decision) = decisions[i];
            if (!cosmeticKeys.Contains(key) || decision.Action is PushAction.None or PushAction.Delete)
            {
                continue;
            }

            var slot = NextSlot(history.GetValueOrDefault(key) ?? [], now);
            if (slot <= now)
            {
                plan.Cosmetic.Add(key);
                continue;
            }

            var changes = ChangeClassifier.Describe(decision, Last(lastPushed, key, decision)!);
            plan.Deferred[key] = (slot, plan.Deferred.TryGetValue(key, out var earlier) ? earlier.Changes + "; " + changes : changes);
            decisions[i] = (key, decision with { Action = PushAction.None, Reason = $"cosmetic change ({changes}) deferred by the update budget until {slot:O}" });
        }

        foreach (var (key, (until, _)) in plan.Deferred)
        {
            plan.Boundaries.Add(new Boundary(key, until, BoundaryKind.Budget));
        }

        return plan;
    }

    /// <summary>Stores learned boundaries, deferrals and budget use, in the push step's transaction.</summary>
    public async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, FreshnessPlan plan, IReadOnlyCollection<DestinationOutcome> outcomes, CancellationToken cancellationToken)
    {
        await BoundaryStore.ReplaceLearnedAsync(connection, transaction, plan.ProductKeys, plan.Boundaries, cancellationToken);

        var pushed = outcomes.Where(o => o.Result.IsSuccess).Select(o => o.ProductKey).ToHashSet(StringComparer.Ordinal);
        var cosmetic = pushed.Where(plan.Cosmetic.Contains).ToArray();
        var critical = pushed.Where(k => !plan.Cosmetic.Contains(k) && !plan.Deferred.ContainsKey(k)).ToArray();
        var deferred = plan.Deferred.ToList();

        await using var batch = new NpgsqlBatch(connection, transaction);
        var cosmeticCommand = new NpgsqlBatchCommand("""
            INSERT INTO feedsync.update_budget AS b (product_key, cosmetic_pushes) SELECT k, ARRAY[@now::timestamptz] FROM unnest(@keys::text[]) AS k
            ON CONFLICT (product_key) DO UPDATE
               SET cosmetic_pushes = ARRAY(SELECT t FROM unnest(b.cosmetic_pushes) AS t WHERE t > @now - interval '1 day' ORDER BY t) || @now::timestamptz,
                   deferred_since = NULL, deferred_until = NULL, deferred_changes = NULL
            """);
        cosmeticCommand.Parameters.AddWithValue("keys", cosmetic);
        cosmeticCommand.Parameters.AddWithValue("now", plan.Now);
        batch.BatchCommands.Add(cosmeticCommand);

        // A critical push sends the full current content, so whatever cosmetic change was waiting went along.
        var criticalCommand = new NpgsqlBatchCommand("""
            INSERT INTO feedsync.update_budget AS b (product_key, critical_pushes, last_critical_at) SELECT k, 1, @now FROM unnest(@keys::text[]) AS k
            ON CONFLICT (product_key) DO UPDATE
               SET critical_pushes = b.critical_pushes + 1, last_critical_at = @now,
                   deferred_since = NULL, deferred_until = NULL, deferred_changes = NULL
            """);
        criticalCommand.Parameters.AddWithValue("keys", critical);
        criticalCommand.Parameters.AddWithValue("now", plan.Now);
        batch.BatchCommands.Add(criticalCommand);

        var deferCommand = new NpgsqlBatchCommand("""
            INSERT INTO feedsync.update_budget AS b (product_key, deferred_since, deferred_until, deferred_changes)
            SELECT k, @now, u, c FROM unnest(@keys::text[], @untils::timestamptz[], @changes::text[]) AS r(k, u, c)
            ON CONFLICT (product_key) DO UPDATE
               SET deferred_since = coalesce(b.deferred_since, excluded.deferred_since), deferred_until = excluded.deferred_until,
                   deferred_changes = excluded.deferred_changes
            """);
        deferCommand.Parameters.AddWithValue("keys", deferred.Select(d => d.Key).ToArray());
        deferCommand.Parameters.AddWithValue("untils", deferred.Select(d => d.Value.Until).ToArray());
        deferCommand.Parameters.AddWithValue("changes", deferred.Select(d => d.Value.Changes).ToArray());
        deferCommand.Parameters.AddWithValue("now", plan.Now);
        batch.BatchCommands.Add(deferCommand);

        await batch.ExecuteNonQueryAsync(cancellationToken);
        if (plan.Boundaries.Count > 0)
        {
            scheduler.Signal();
        }
    }

    /// <summary>
    /// When the next cosmetic push may go: at most N in any rolling 24 h, and spaced 24 h / N apart so the budget is
    /// spent evenly over the day instead of twice in the first minutes.
    /// </summary>
    internal DateTimeOffset NextSlot(IReadOnlyList<DateTimeOffset> recentPushes, DateTimeOffset now)
    {
        var perDay = options.Value.CosmeticPushesPerDay;
        var recent = recentPushes.Where(t => t > now - Day).Order().ToList();
        if (recent.Count == 0)
        {
            return now;
        }

        var spaced = recent[^1] + options.Value.CosmeticSpacing;
        var windowOpens = recent.Count >= perDay ? recent[^perDay] + Day : now;
        var slot = spaced > windowOpens ? spaced : windowOpens;
        return slot > now ? slot : now;
    }

    private static LastPushed? Last(Dictionary<string, List<LastPushed>> lastPushed, string key, PushDecision decision) =>
        lastPushed.GetValueOrDefault(key)?.FirstOrDefault(l => l.Identity == decision.Identity);

    private static async Task<Dictionary<string, List<DateTimeOffset>>> LoadCosmeticPushesAsync(NpgsqlConnection connection, List<string> keys, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT product_key, t FROM feedsync.update_budget, unnest(cosmetic_pushes) AS t
            WHERE product_key = ANY(@keys) AND t > @since
            """, connection);
        command.Parameters.AddWithValue("keys", keys.ToArray());
        command.Parameters.AddWithValue("since", now - Day);
        var result = new Dictionary<string, List<DateTimeOffset>>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = reader.GetString(0);
            if (!result.TryGetValue(key, out var list))
            {
                result[key] = list = [];
            }

            list.Add(reader.GetFieldValue<DateTimeOffset>(1));
        }

        return result;
    }
}
