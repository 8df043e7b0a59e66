using FeedSync.Catalog;
using FeedSync.Diff;
using FeedSync.Jobs;
using FeedSync.Publish;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Freshness;

/// <summary>What one push step learned about boundaries and the update budget, recorded with its results.</summary>
internal sealed class FreshnessPlan
{
    public required IReadOnlyCollection<string> ProductKeys { get; init; }

    public required DateTimeOffset Now { get; init; }

    public List<Boundary> Boundaries { get; } = [];

    /// <summary>Destinations whose cosmetic change waits for their budget slot.</summary>
    public Dictionary<ProductIdentity, (string ProductKey, DateTimeOffset Until, string Changes)> Deferred { get; } = [];

    /// <summary>Destinations whose change is cosmetic and goes out now, spending one of their budgeted pushes.</summary>
    public HashSet<ProductIdentity> Cosmetic { get; } = [];
}

/// <summary>
/// Sits between the diff and the calls of a push step: learns each product's upcoming boundaries from the rows
/// just read, and holds back cosmetic changes that the destination's update budget does not allow yet (they are
/// coalesced: the budget boundary re-reads the product and sends its latest content). The budget is per
/// destination (content language × feed label), because each is a separate product at Google.
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

        // A call is cosmetic only if every attribute it changes is; one critical attribute takes the whole destination along.
        var cosmetic = decisions
            .Where(d => d.Decision.Action is PushAction.Insert or PushAction.Patch
                && ChangeClassifier.Classify(d.Decision, Last(lastPushed, d.ProductKey, d.Decision)) == ChangeClass.Cosmetic)
            .Select(d => d.Decision.Identity)
            .ToHashSet();
        if (cosmetic.Count == 0)
        {
            return plan;
        }

        var history = await LoadCosmeticPushesAsync(connection, cosmetic, now, cancellationToken);
        for (var i = 0; i < decisions.Count; i++)
        {
            var (key, decision) = decisions[i];
            if (!cosmetic.Contains(decision.Identity))
            {
                continue;
            }

            var slot = NextSlot(history.GetValueOrDefault(decision.Identity) ?? [], now);
            if (slot <= now)
            {
                plan.Cosmetic.Add(decision.Identity);
                continue;
            }

            var changes = ChangeClassifier.Describe(decision, Last(lastPushed, key, decision)!);
            plan.Deferred[decision.Identity] = (key, slot, changes);
            plan.Boundaries.Add(new Boundary(key, slot, BoundaryKind.Budget));
            decisions[i] = (key, decision with { Action = PushAction.None, Reason = $"cosmetic change ({changes}) deferred by the update budget until {slot:O}" });
        }

        return plan;
    }

    /// <summary>The statements that store learned boundaries, deferrals and budget use, run in the push step's record batch.</summary>
    public static List<NpgsqlBatchCommand> RecordCommands(FreshnessPlan plan, IReadOnlyCollection<DestinationOutcome> outcomes)
    {
        var commands = BoundaryStore.ReplaceLearnedCommands(plan.ProductKeys, plan.Boundaries).ToList();

        // A deleted destination no longer exists at Google: nothing to budget.
        var pushed = outcomes.Where(o => o.Result.IsSuccess && o.CalledAction != PushAction.Delete).Select(o => (o.ProductKey, o.Decision.Identity)).Distinct().ToList();
        var cosmetic = pushed.Where(p => plan.Cosmetic.Contains(p.Identity)).ToList();
        var critical = pushed.Where(p => !plan.Cosmetic.Contains(p.Identity) && !plan.Deferred.ContainsKey(p.Identity)).ToList();
        var deferred = plan.Deferred.ToList();

        if (cosmetic.Count > 0)
        {
            commands.Add(BudgetCommand("""
                INSERT INTO feedsync.update_budget AS b (product_key, offer_id, content_language, feed_label, cosmetic_pushes)
                SELECT k, o, l, f, ARRAY[@now::timestamptz] FROM unnest(@keys::text[], @offers::text[], @languages::text[], @labels::text[]) AS r(k, o, l, f)
                ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE
                   SET product_key = excluded.product_key,
                       cosmetic_pushes = ARRAY(SELECT t FROM unnest(b.cosmetic_pushes) AS t WHERE t > @now - interval '1 day' ORDER BY t) || @now::timestamptz,
                       deferred_since = NULL, deferred_until = NULL, deferred_changes = NULL
                """, cosmetic, plan.Now));
        }

        // A critical push sends the full current content, so whatever cosmetic change was waiting went along.
        if (critical.Count > 0)
        {
            commands.Add(BudgetCommand("""
                INSERT INTO feedsync.update_budget AS b (product_key, offer_id, content_language, feed_label, critical_pushes, last_critical_at)
                SELECT k, o, l, f, 1, @now FROM unnest(@keys::text[], @offers::text[], @languages::text[], @labels::text[]) AS r(k, o, l, f)
                ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE
                   SET product_key = excluded.product_key, critical_pushes = b.critical_pushes + 1, last_critical_at = @now,
                       deferred_since = NULL, deferred_until = NULL, deferred_changes = NULL
                """, critical, plan.Now));
        }

        if (deferred.Count == 0)
        {
            return commands;
        }

        var deferCommand = BudgetCommand("""
            INSERT INTO feedsync.update_budget AS b (product_key, offer_id, content_language, feed_label, deferred_since, deferred_until, deferred_changes)
            SELECT k, o, l, f, @now, u, c
            FROM unnest(@keys::text[], @offers::text[], @languages::text[], @labels::text[], @untils::timestamptz[], @changes::text[]) AS r(k, o, l, f, u, c)
            ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE
               SET product_key = excluded.product_key, deferred_since = coalesce(b.deferred_since, excluded.deferred_since),
                   deferred_until = excluded.deferred_until, deferred_changes = excluded.deferred_changes
            """, deferred.Select(d => (d.Value.ProductKey, d.Key)).ToList(), plan.Now);
        deferCommand.Parameters.AddWithValue("untils", deferred.Select(d => d.Value.Until).ToArray());
        deferCommand.Parameters.AddWithValue("changes", deferred.Select(d => d.Value.Changes).ToArray());
        commands.Add(deferCommand);
        return commands;
    }

    /// <summary>After the record committed: the boundary scheduler learns of new boundaries at once.</summary>
    public void Recorded(FreshnessPlan plan)
    {
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

    private static NpgsqlBatchCommand BudgetCommand(string sql, IReadOnlyCollection<(string ProductKey, ProductIdentity Identity)> destinations, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddWithValue("keys", destinations.Select(d => d.ProductKey).ToArray());
        command.Parameters.AddIdentities(destinations.Select(d => d.Identity));
        command.Parameters.AddWithValue("now", now);
        return command;
    }

    private static async Task<Dictionary<ProductIdentity, List<DateTimeOffset>>> LoadCosmeticPushesAsync(
        NpgsqlConnection connection, IReadOnlyCollection<ProductIdentity> destinations, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT b.offer_id, b.content_language, b.feed_label, t
            FROM unnest(@offers::text[], @languages::text[], @labels::text[]) AS r(o, l, f)
            JOIN feedsync.update_budget b ON b.offer_id = r.o AND b.content_language = r.l AND b.feed_label = r.f,
                 unnest(b.cosmetic_pushes) AS t
            WHERE t > @since
            """, connection);
        command.Parameters.AddIdentities(destinations);
        command.Parameters.AddWithValue("since", now - Day);
        var result = new Dictionary<ProductIdentity, List<DateTimeOffset>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var identity = new ProductIdentity(reader.GetString(1), reader.GetString(2), reader.GetString(0));
            if (!result.TryGetValue(identity, out var list))
            {
                result[identity] = list = [];
            }

            list.Add(reader.GetFieldValue<DateTimeOffset>(3));
        }

        return result;
    }
}
