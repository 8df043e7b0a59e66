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
    /// <summary>Every product key Google may hold a destination of: one it accepted, or one whose write is in doubt.</summary>
    public const string HeldProductKeysSql = "SELECT product_key FROM feedsync.last_pushed UNION SELECT product_key FROM feedsync.write_intent WHERE in_doubt";

    /// <summary>
    /// What FeedSync knows Google holds for the products' destinations, with the state of their last write
    /// (<c>write_intent</c>): in doubt, and how long its lease has left. A destination whose first write is in doubt
    /// (or leased) has no accepted content yet; it comes back with an empty hash and payload, so the diff resends it
    /// in full, or deletes it if it left the view.
    /// </summary>
    public static async Task<Dictionary<string, List<LastPushed>>> LoadAsync(NpgsqlConnection connection, IReadOnlyCollection<string> productKeys, CancellationToken cancellationToken)
    {
        // Two plain index scans in one round trip, merged here: a join of the two (and a union for the destinations
        // only write_intent has) took twice the time per destination (pg_stat_statements, 100k benchmark).
        var keys = productKeys.ToArray();
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    SELECT product_key, offer_id, content_language, feed_label, content_hash, payload::text, pushed_at, last_insert_at, force_reason, forced_at
                    FROM feedsync.last_pushed WHERE product_key = ANY(@keys)
                    """) { Parameters = { new NpgsqlParameter("keys", keys) } },
                new NpgsqlBatchCommand("""
                    SELECT product_key, offer_id, content_language, feed_label, in_doubt, CASE WHEN lease_until > now() THEN lease_until - now() END
                    FROM feedsync.write_intent WHERE product_key = ANY(@keys)
                    """) { Parameters = { new NpgsqlParameter("keys", keys) } },
            },
        };
        var held = new Dictionary<ProductIdentity, LastPushed>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var identity = new ProductIdentity(reader.GetString(2), reader.GetString(3), reader.GetString(1));
            held[identity] = new LastPushed(
                identity,
                reader.GetString(0),
                (byte[])reader[4],
                JsonNode.Parse(reader.GetString(5))!.AsObject(),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9));
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var identity = new ProductIdentity(reader.GetString(2), reader.GetString(3), reader.GetString(1));
            var (inDoubt, leaseLeft) = (reader.GetBoolean(4), reader.IsDBNull(5) ? (TimeSpan?)null : reader.GetFieldValue<TimeSpan>(5));
            if (held.TryGetValue(identity, out var last))
            {
                held[identity] = last with { InDoubt = inDoubt, LeaseLeft = leaseLeft };
            }
            else if (inDoubt || leaseLeft is not null)
            {
                held[identity] = new LastPushed(identity, reader.GetString(0), [], [], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, LeaseLeft: leaseLeft, InDoubt: inDoubt);
            }
        }

        var result = new Dictionary<string, List<LastPushed>>(StringComparer.Ordinal);
        foreach (var last in held.Values)
        {
            if (!result.TryGetValue(last.ProductKey, out var list))
            {
                result[last.ProductKey] = list = [];
            }

            list.Add(last);
        }

        return result;
    }

    /// <summary>
    /// Before any call (insert, patch or delete), mark the destination's write in doubt under a write lease
    /// (<c>write_intent</c>), in its own committed transaction. If the process dies between Google's answer and the
    /// record, the next push of that destination then does a full insert (or a delete if it left the view) instead of
    /// diffing against a state Google may no longer hold. <c>last_pushed</c> is not touched: it keeps the last
    /// accepted content, and is written once per push (by the record).
    /// </summary>
    public static async Task RecordIntentAsync(
        NpgsqlConnection connection, IReadOnlyCollection<(string ProductKey, ProductIdentity Identity)> writes, TimeSpan lease, CancellationToken cancellationToken)
    {
        if (writes.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand("""
            INSERT INTO feedsync.write_intent AS wi (offer_id, content_language, feed_label, product_key, sent_at, lease_until, in_doubt)
            SELECT o, l, f, k, now(), now() + @lease, true
            FROM unnest(@offers::text[], @languages::text[], @labels::text[], @keys::text[]) AS r(o, l, f, k)
            ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE
               SET product_key = excluded.product_key, sent_at = excluded.sent_at, lease_until = excluded.lease_until, in_doubt = true
            """, connection);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("keys", writes.Select(w => w.ProductKey).ToArray());
        command.Parameters.AddIdentities(writes.Select(w => w.Identity));

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The statements that record a push step's answers and problems, for the step's one record batch.
    /// <paramref name="previous"/>: what <see cref="LoadAsync"/> read before the calls, by destination.
    /// </summary>
    public static List<NpgsqlBatchCommand> RecordCommands(
        IReadOnlyCollection<DestinationOutcome> outcomes,
        IReadOnlyCollection<LocalProblem> localProblems,
        IReadOnlyCollection<(string ProductKey, ProductIdentity Identity)> healthy,
        IReadOnlyDictionary<ProductIdentity, LastPushed> previous)
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

        // A successful full insert is what a force reason (operator resync, expiry refresh) asked for, so it ends the
        // mark, unless the mark was set after this push read it (its forced_at differs): then the next push is a
        // full insert too. The forced_at read is carried in the excluded row, the only input ON CONFLICT can see.
        var inserted = outcomes.Where(o => o.Result.IsSuccess && o.CalledAction == PushAction.Insert).ToList();
        Add(inserted.Count, () => Command("""
            INSERT INTO feedsync.last_pushed AS lp (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at, forced_at)
            SELECT o, l, f, k, h, p::jsonb, now(), now(), nullif(fa, 'epoch')
            FROM unnest(@offers::text[], @languages::text[], @labels::text[], @keys::text[], @hashes::bytea[], @payloads::text[], @forcedAts::timestamptz[])
                 AS r(o, l, f, k, h, p, fa)
            ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE
               SET product_key = excluded.product_key, content_hash = excluded.content_hash, payload = excluded.payload,
                   pushed_at = excluded.pushed_at, last_insert_at = excluded.last_insert_at,
                   force_reason = CASE WHEN lp.forced_at IS NOT DISTINCT FROM excluded.forced_at THEN NULL ELSE lp.force_reason END,
                   forced_at = CASE WHEN lp.forced_at IS NOT DISTINCT FROM excluded.forced_at THEN NULL ELSE lp.forced_at END
            """, inserted.Select(o => (o.ProductKey, o.Decision.Identity)), withKeys: true,
            ("hashes", inserted.Select(o => o.Decision.Input!.ContentHash()).ToArray()),
            ("payloads", inserted.Select(o => o.Decision.Input!.ToCanonicalJson()).ToArray()),
            ("forcedAts", inserted.Select(o => previous.GetValueOrDefault(o.Decision.Identity)?.ForcedAt ?? DateTimeOffset.UnixEpoch).ToArray())));

        // A patch leaves the 30-day expiry clock (last_insert_at) alone; only a full insert refreshes it. (A destination
        // with a force reason is never patched.)
        var patched = outcomes.Where(o => o.Result.IsSuccess && o.CalledAction == PushAction.Patch).ToList();
        Add(patched.Count, () => Command("""
            UPDATE feedsync.last_pushed lp SET content_hash = r.h, payload = r.p::jsonb, pushed_at = now()
            FROM unnest(@offers::text[], @languages::text[], @labels::text[], @hashes::bytea[], @payloads::text[]) AS r(o, l, f, h, p)
            WHERE lp.offer_id = r.o AND lp.content_language = r.l AND lp.feed_label = r.f
            """, patched.Select(o => (o.ProductKey, o.Decision.Identity)), withKeys: false,
            ("hashes", patched.Select(o => o.Decision.Input!.ContentHash()).ToArray()),
            ("payloads", patched.Select(o => o.Decision.Input!.ToCanonicalJson()).ToArray())));

        // A delete that Google answers 404 is also done: the product is gone either way, and so is its update budget.
        var deleted = outcomes.Where(o => o.CalledAction == PushAction.Delete && (o.Result.IsSuccess || o.Result.Kind == ResultKind.NotFound)).ToList();
        Add(deleted.Count, () => Command("""
            DELETE FROM feedsync.last_pushed lp USING unnest(@offers::text[], @languages::text[], @labels::text[]) AS r(o, l, f)
            WHERE lp.offer_id = r.o AND lp.content_language = r.l AND lp.feed_label = r.f
            """, deleted.Select(o => (o.ProductKey, o.Decision.Identity)), withKeys: false));
        Add(deleted.Count, () => Command("""
            DELETE FROM feedsync.update_budget b USING unnest(@offers::text[], @languages::text[], @labels::text[]) AS r(o, l, f)
            WHERE b.offer_id = r.o AND b.content_language = r.l AND b.feed_label = r.f
            """, deleted.Select(o => (o.ProductKey, o.Decision.Identity)), withKeys: false));

        // What each write leaves of its intent (see IntentAfter).
        var deletedSet = deleted.Select(o => o.Decision.Identity).ToHashSet();
        commands.AddRange(IntentCommands(outcomes.Select(o => (o.ProductKey, o.Decision.Identity,
            deletedSet.Contains(o.Decision.Identity) ? IntentEnd.Remove : IntentAfter(o.Result, previous.GetValueOrDefault(o.Decision.Identity)?.InDoubt ?? false)))));

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

    /// <summary>
    /// Takes back the intent of writes that were never sent (the push failed or was cancelled before its calls, its
    /// claims held throughout): a destination whose earlier write was in doubt stays in doubt, without a lease.
    /// </summary>
    public static async Task WithdrawIntentAsync(
        NpgsqlConnection connection, IReadOnlyCollection<(string ProductKey, ProductIdentity Identity, bool WasInDoubt)> writes, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var command in IntentCommands(writes.Select(w => (w.ProductKey, w.Identity, w.WasInDoubt ? IntentEnd.EndLease : IntentEnd.Remove))))
        {
            batch.BatchCommands.Add(command);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>What a write leaves in <c>write_intent</c> once its push records the answer.</summary>
    private enum IntentEnd
    {
        /// <summary>Nothing: Google answered it, or certainly did not apply it and no earlier write is in doubt.</summary>
        Remove,

        /// <summary>The lease: it succeeded, but an unanswered earlier attempt of it may still land after a newer write.</summary>
        KeepLease,

        /// <summary>The doubt without the lease: Google answered, but whether it applied the write is unknown (a 5xx).</summary>
        EndLease,

        /// <summary>Doubt and lease: no answer (abandoned, timed out, cut off); it may still be applied (see WriteLease).</summary>
        Keep,
    }

    private static IntentEnd IntentAfter(MerchantResult result, bool wasInDoubt) =>
        (result.IsSuccess, WriteLease.IsOver(result)) switch
        {
            (true, true) => IntentEnd.Remove,
            (true, false) => IntentEnd.KeepLease,
            (false, false) => IntentEnd.Keep,
            _ => NotApplied(result) && !wasInDoubt ? IntentEnd.Remove : IntentEnd.EndLease,
        };

    /// <summary>Answers after which Google certainly did not apply the write (unlike a timeout or a 5xx).</summary>
    private static bool NotApplied(MerchantResult result) =>
        result.Kind is ResultKind.DataError or ResultKind.Stale or ResultKind.ConfigurationError or ResultKind.RateLimited or ResultKind.CircuitOpen;

    private static IEnumerable<NpgsqlBatchCommand> IntentCommands(IEnumerable<(string ProductKey, ProductIdentity Identity, IntentEnd End)> writes)
    {
        var byEnd = writes.ToLookup(w => w.End, w => (w.ProductKey, w.Identity));
        if (byEnd[IntentEnd.Remove].Any())
        {
            yield return Command("""
                DELETE FROM feedsync.write_intent wi USING unnest(@offers::text[], @languages::text[], @labels::text[]) AS r(o, l, f)
                WHERE wi.offer_id = r.o AND wi.content_language = r.l AND wi.feed_label = r.f
                """, byEnd[IntentEnd.Remove], withKeys: false);
        }

        foreach (var (end, set) in new[] { (IntentEnd.KeepLease, "in_doubt = false"), (IntentEnd.EndLease, "lease_until = NULL") })
        {
            if (byEnd[end].Any())
            {
                yield return Command($"""
                    UPDATE feedsync.write_intent wi SET {set} FROM unnest(@offers::text[], @languages::text[], @labels::text[]) AS r(o, l, f)
                    WHERE wi.offer_id = r.o AND wi.content_language = r.l AND wi.feed_label = r.f
                    """, byEnd[end], withKeys: false);
            }
        }
    }

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
