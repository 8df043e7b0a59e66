using System.Text.Json.Nodes;
using FeedSync.Diff;
using FeedSync.Publish;
using Npgsql;

namespace FeedSync.Jobs;

/// <summary>The result of one destination in a push: what was decided, what was actually called, and Google's answer.</summary>
internal sealed record DestinationOutcome(string ProductKey, PushDecision Decision, PushAction CalledAction, MerchantResult Result, string Why, string? Request);

/// <summary>A product destination FeedSync will not send, with the reason shown to operators.</summary>
internal sealed record LocalProblem(string ProductKey, ProductIdentity Identity, IReadOnlyList<string> Problems);

/// <summary>
/// Reads and writes what FeedSync knows Google holds (<c>last_pushed</c>), the problems per product and the
/// audit log. Everything a push learns is written in one batch (one transaction), before its claims are released.
/// </summary>
internal static class PushRecorder
{
    public static async Task<Dictionary<string, List<LastPushed>>> LoadAsync(NpgsqlConnection connection, IReadOnlyCollection<string> productKeys, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT product_key, offer_id, content_language, feed_label, content_hash, payload::text, pushed_at, last_insert_at, force_reason, forced_at,
                   CASE WHEN lease_until > now() THEN lease_until - now() END
            FROM feedsync.last_pushed WHERE product_key = ANY(@keys)
            """, connection);
        command.Parameters.AddWithValue("keys", productKeys.ToArray());
        var result = new Dictionary<string, List<LastPushed>>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var last = new LastPushed(
                new ProductIdentity(reader.GetString(2), reader.GetString(3), reader.GetString(1)),
                reader.GetString(0),
                (byte[])reader[4],
                JsonNode.Parse(reader.GetString(5))!.AsObject(),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<TimeSpan>(10));
            if (!result.TryGetValue(last.ProductKey, out var list))
            {
                result[last.ProductKey] = list = [];
            }

            list.Add(last);
        }

        return result;
    }

    /// <summary>
    /// Before any call (insert, patch or delete), mark the destination in doubt (<see cref="ForceReason.InDoubt"/>)
    /// under a write lease, in its own committed transaction. If the process dies between Google's answer and
    /// <see cref="RecordAsync"/>, the next push of that destination then does a full insert (or a delete if it left
    /// the view) instead of diffing against a state Google may no longer hold. The last accepted content stays recorded. A destination never
    /// pushed gets a marker row (empty hash and payload), so it is deleted if it leaves the view meanwhile.
    /// </summary>
    public static async Task RecordIntentAsync(
        NpgsqlConnection connection, IReadOnlyCollection<(string ProductKey, ProductIdentity Identity)> writes, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (writes.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand("""
            INSERT INTO feedsync.last_pushed AS lp (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at, force_reason, forced_at, lease_until)
            SELECT o, l, f, k, '\x'::bytea, '{}'::jsonb, 'epoch', 'epoch', 'in_doubt', now(), now() + @lease
            FROM unnest(@offers::text[], @languages::text[], @labels::text[], @keys::text[]) AS r(o, l, f, k)
            ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE
               SET force_reason = excluded.force_reason, forced_at = excluded.forced_at, lease_until = excluded.lease_until
            """, connection);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("keys", writes.Select(w => w.ProductKey).ToArray());
        command.Parameters.AddIdentities(writes.Select(w => w.Identity));

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Takes back the in-doubt mark of writes Google certainly did not apply (rejected, stale, refused, over quota,
    /// circuit open): the destination gets the force reason it had before, if any. A write that timed out or hit a
    /// 5xx stays in doubt. A mark an operator or the expiry refresh set meanwhile is left alone.
    /// </summary>
    public static NpgsqlBatchCommand RestoreCommand(IReadOnlyCollection<LastPushed> previous)
    {
        var list = previous.ToList();
        return Command("""
            UPDATE feedsync.last_pushed lp SET force_reason = nullif(r.fr, ''), forced_at = CASE WHEN r.fr = '' THEN NULL ELSE r.fa END
            FROM unnest(@offers::text[], @languages::text[], @labels::text[], @reasons::text[], @forcedAts::timestamptz[]) AS r(o, l, f, fr, fa)
            WHERE lp.offer_id = r.o AND lp.content_language = r.l AND lp.feed_label = r.f AND lp.force_reason = 'in_doubt'
            """, list.Select(l => (l.ProductKey, l.Identity)), withKeys: false,
            ("reasons", list.Select(l => l.ForceReason ?? "").ToArray()),
            ("forcedAts", list.Select(l => l.ForcedAt ?? DateTimeOffset.UnixEpoch).ToArray()));
    }

    /// <summary>The statements that record a push step's answers and problems, for the step's one record batch.</summary>
    public static List<NpgsqlBatchCommand> RecordCommands(
        IReadOnlyCollection<DestinationOutcome> outcomes,
        IReadOnlyCollection<LocalProblem> localProblems,
        IReadOnlyCollection<(string ProductKey, ProductIdentity Identity)> healthy,
        IReadOnlyCollection<LastPushed>? restore = null)
    {
        var commands = new List<NpgsqlBatchCommand>();

        // Statements with nothing to write are left out: each still costs PostgreSQL a parse, plan and execute.
        void Add(int rows, Func<NpgsqlBatchCommand> command)
        {
            if (rows > 0)
            {
                commands.Add(command());
            }
        }

        // This push holds its claims: the lease of each call Google answered ends; an unanswered call's runs out (see
        // WriteLease). A successful write ends its lease in the statement that records it, unless an earlier attempt
        // of it went unanswered and may still land.
        var leaseOver = outcomes.Where(o => WriteLease.IsOver(o.Result) && !o.Result.IsSuccess).Select(o => (o.ProductKey, o.Decision.Identity)).ToList();
        Add(leaseOver.Count, () => EndLeaseCommand(leaseOver));
        Add(restore?.Count ?? 0, () => RestoreCommand(restore!));

        // A successful write with an unanswered earlier attempt keeps its lease: that attempt may still land.
        foreach (var leaseEnds in new[] { true, false })
        {
            var lease = leaseEnds ? "NULL" : "lp.lease_until";
            var inserted = outcomes.Where(o => o.Result.IsSuccess && o.CalledAction == PushAction.Insert && WriteLease.IsOver(o.Result) == leaseEnds).ToList();
            Add(inserted.Count, () => Command($"""
                INSERT INTO feedsync.last_pushed AS lp (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at)
                SELECT o, l, f, k, h, p::jsonb, now(), now()
                FROM unnest(@offers::text[], @languages::text[], @labels::text[], @keys::text[], @hashes::bytea[], @payloads::text[]) AS r(o, l, f, k, h, p)
                ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE
                   SET product_key = excluded.product_key, content_hash = excluded.content_hash, payload = excluded.payload,
                       pushed_at = excluded.pushed_at, last_insert_at = excluded.last_insert_at, lease_until = {lease},
                       force_reason = CASE WHEN lp.force_reason = 'in_doubt' THEN NULL ELSE lp.force_reason END,
                       forced_at = CASE WHEN lp.force_reason = 'in_doubt' THEN NULL ELSE lp.forced_at END
                """, inserted.Select(o => (o.ProductKey, o.Decision.Identity)), withKeys: true,
                ("hashes", inserted.Select(o => o.Decision.Input!.ContentHash()).ToArray()),
                ("payloads", inserted.Select(o => o.Decision.Input!.ToCanonicalJson()).ToArray())));

            // A patch leaves the 30-day expiry clock (last_insert_at) alone; only a full insert refreshes it.
            var patched = outcomes.Where(o => o.Result.IsSuccess && o.CalledAction == PushAction.Patch && WriteLease.IsOver(o.Result) == leaseEnds).ToList();
            Add(patched.Count, () => Command($"""
                UPDATE feedsync.last_pushed lp SET content_hash = r.h, payload = r.p::jsonb, pushed_at = now(), lease_until = {lease},
                       force_reason = CASE WHEN lp.force_reason = 'in_doubt' THEN NULL ELSE lp.force_reason END,
                       forced_at = CASE WHEN lp.force_reason = 'in_doubt' THEN NULL ELSE lp.forced_at END
                FROM unnest(@offers::text[], @languages::text[], @labels::text[], @hashes::bytea[], @payloads::text[]) AS r(o, l, f, h, p)
                WHERE lp.offer_id = r.o AND lp.content_language = r.l AND lp.feed_label = r.f
                """, patched.Select(o => (o.ProductKey, o.Decision.Identity)), withKeys: false,
                ("hashes", patched.Select(o => o.Decision.Input!.ContentHash()).ToArray()),
                ("payloads", patched.Select(o => o.Decision.Input!.ToCanonicalJson()).ToArray())));
        }

        // A delete that Google answers 404 is also done: the product is gone either way, and so is its update budget.
        // Unless an earlier attempt of it may still land: its row then stays in doubt under the lease.
        var deleted = outcomes.Where(o => o.CalledAction == PushAction.Delete && (o.Result.IsSuccess || o.Result.Kind == ResultKind.NotFound)
            && !WriteLease.DeleteMayLandLate(o)).ToList();
        Add(deleted.Count, () => Command("""
            DELETE FROM feedsync.last_pushed lp USING unnest(@offers::text[], @languages::text[], @labels::text[]) AS r(o, l, f)
            WHERE lp.offer_id = r.o AND lp.content_language = r.l AND lp.feed_label = r.f
            """, deleted.Select(o => (o.ProductKey, o.Decision.Identity)), withKeys: false));
        Add(deleted.Count, () => Command("""
            DELETE FROM feedsync.update_budget b USING unnest(@offers::text[], @languages::text[], @labels::text[]) AS r(o, l, f)
            WHERE b.offer_id = r.o AND b.content_language = r.l AND b.feed_label = r.f
            """, deleted.Select(o => (o.ProductKey, o.Decision.Identity)), withKeys: false));

        // Google refused a first insert: it holds nothing, so the marker row can go (unless an earlier write is in doubt).
        var hadRow = restore?.Select(r => r.Identity).ToHashSet() ?? [];
        var refused = outcomes.Where(o => o.CalledAction == PushAction.Insert && o.Result.Kind == ResultKind.DataError && !o.Result.Unanswered && !hadRow.Contains(o.Decision.Identity)).ToList();
        Add(refused.Count, () => Command("""
            DELETE FROM feedsync.last_pushed lp USING unnest(@offers::text[], @languages::text[], @labels::text[]) AS r(o, l, f)
            WHERE lp.offer_id = r.o AND lp.content_language = r.l AND lp.feed_label = r.f AND lp.payload = '{}'::jsonb AND lp.force_reason = 'in_doubt'
            """, refused.Select(o => (o.ProductKey, o.Decision.Identity)), withKeys: false));

        // Problems that no longer apply: the destination is now valid and in step, or it is gone.
        var cleared = healthy.Concat(deleted.Select(o => (o.ProductKey, o.Decision.Identity))).ToList();
        Add(cleared.Count, () => Command("""
            DELETE FROM feedsync.product_problems pp USING unnest(@keys::text[], @offers::text[], @languages::text[], @labels::text[]) AS r(k, o, l, f)
            WHERE pp.product_key = r.k AND pp.offer_id = r.o AND pp.content_language = r.l AND pp.feed_label = r.f
            """, cleared, withKeys: true));

        var problems = localProblems.Select(p => (p.ProductKey, p.Identity, Source: "local", Reason: p.Problems[0], Detail: string.Join("; ", p.Problems)))
            .Concat(outcomes.Where(o => o.Result.Kind == ResultKind.DataError)
                .Select(o => (o.ProductKey, o.Decision.Identity, Source: "google", Reason: o.Result.Reason ?? "INVALID_ARGUMENT", Detail: o.Result.Message ?? "")))
            .ToList();
        Add(problems.Count, () => Command("""
            INSERT INTO feedsync.product_problems AS pp (product_key, offer_id, content_language, feed_label, source, reason, detail, occurred_at)
            SELECT k, o, l, f, s, r, d, now()
            FROM unnest(@keys::text[], @offers::text[], @languages::text[], @labels::text[], @sources::text[], @reasons::text[], @details::text[]) AS x(k, o, l, f, s, r, d)
            ON CONFLICT (product_key, offer_id, content_language, feed_label) DO UPDATE
               SET source = excluded.source, reason = excluded.reason, detail = excluded.detail, occurred_at = excluded.occurred_at
            """, problems.Select(p => (p.ProductKey, p.Identity)), withKeys: true,
            ("sources", problems.Select(p => p.Source).ToArray()),
            ("reasons", problems.Select(p => p.Reason).ToArray()),
            ("details", problems.Select(p => p.Detail).ToArray())));

        Add(outcomes.Count, () => Command("""
            INSERT INTO feedsync.push_log (product_key, offer_id, content_language, feed_label, action, update_mask, why, http_status, outcome, reason, request)
            SELECT k, o, l, f, a, nullif(m, ''), w, s, oc, nullif(r, ''), rq::jsonb
            FROM unnest(@keys::text[], @offers::text[], @languages::text[], @labels::text[], @actions::text[], @masks::text[], @whys::text[],
                        @statuses::int[], @outcomes::text[], @reasons::text[], @requests::text[]) AS x(k, o, l, f, a, m, w, s, oc, r, rq)
            """, outcomes.Select(o => (o.ProductKey, o.Decision.Identity)), withKeys: true,
            ("actions", outcomes.Select(o => o.CalledAction.ToString().ToLowerInvariant()).ToArray()),
            ("masks", outcomes.Select(o => o.CalledAction == PushAction.Patch ? string.Join(',', o.Decision.UpdateMask) : "").ToArray()),
            ("whys", outcomes.Select(o => o.Why).ToArray()),
            ("statuses", outcomes.Select(o => o.Result.HttpStatus).ToArray()),
            ("outcomes", outcomes.Select(o => o.Result.Kind.ToString()).ToArray()),
            ("reasons", outcomes.Select(o => o.Result.IsSuccess ? "" : $"{o.Result.Reason}: {o.Result.Message}").ToArray()),
            ("requests", outcomes.Select(o => o.Request ?? "null").ToArray())));

        return commands;
    }

    /// <summary>Ends the write lease of destinations whose calls are over while this pusher still holds their claims.</summary>
    public static async Task EndLeaseAsync(NpgsqlConnection connection, IReadOnlyCollection<(string ProductKey, ProductIdentity Identity)> destinations, CancellationToken cancellationToken)
    {
        if (destinations.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection) { BatchCommands = { EndLeaseCommand(destinations) } };
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static NpgsqlBatchCommand EndLeaseCommand(IEnumerable<(string ProductKey, ProductIdentity Identity)> destinations) => Command("""
        UPDATE feedsync.last_pushed lp SET lease_until = NULL
        FROM unnest(@offers::text[], @languages::text[], @labels::text[]) AS r(o, l, f)
        WHERE lp.offer_id = r.o AND lp.content_language = r.l AND lp.feed_label = r.f AND lp.lease_until IS NOT NULL
        """, destinations, withKeys: false);

    /// <summary>A statement over destinations: <c>@offers</c>, <c>@languages</c>, <c>@labels</c> (and <c>@keys</c>), plus more arrays.</summary>
    private static NpgsqlBatchCommand Command(
        string sql, IEnumerable<(string ProductKey, ProductIdentity Identity)> rows, bool withKeys, params (string Name, object Value)[] more)
    {
        var list = rows.ToList();
        var command = new NpgsqlBatchCommand(sql);
        if (withKeys)
        {
            command.Parameters.AddWithValue("keys", list.Select(r => r.ProductKey).ToArray());
        }

        command.Parameters.AddIdentities(list.Select(r => r.Identity));
        foreach (var (name, value) in more)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
