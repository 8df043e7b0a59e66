using FeedSync.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Jobs;

/// <summary>A claimed pending product: the generation seen at claim time decides whether the push may release it.</summary>
internal readonly record struct Claim(string ProductKey, long DirtyGen, int Attempts);

/// <summary>How a claimed product leaves the push: done, done after a call (start the coalescing window), or retry later.</summary>
internal readonly record struct Release(Claim Claim, bool Called, TimeSpan? RetryAfter, string? Error);

/// <summary>
/// <c>feedsync.pending</c>: the set of product keys that must be re-read and pushed. Capture marks keys dirty;
/// push jobs claim them. Claims are session advisory locks on the claiming connection, so a crashed pusher
/// releases its claims the moment its connection drops, and capture never waits on a push.
/// </summary>
internal sealed class PendingQueue(Databases databases, IOptions<PushOptions> options)
{
    /// <summary>Advisory-lock namespace for product claims (first key of the two-key form).</summary>
    private const int ClaimLockSpace = 0x4653; // "FS"

    private readonly PushOptions _options = options.Value;

    /// <summary>
    /// Marks keys dirty. A key pushed within the coalescing window waits for the window's end, so a burst of
    /// edits becomes one trailing push; an isolated change is due at once.
    /// </summary>
    public async Task MarkDirtyAsync(IReadOnlyCollection<string> productKeys, NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        if (productKeys.Count == 0)
        {
            return;
        }

        // Sorted and distinct: ON CONFLICT cannot touch a row twice, and a fixed order avoids deadlocks between writers.
        var keys = productKeys.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        await using var command = new NpgsqlCommand("""
            INSERT INTO feedsync.pending AS p (product_key, dirty_gen, first_dirty_at, last_dirty_at, not_before)
            SELECT k, nextval('feedsync.dirty_gen_seq'), now(), now(),
                   greatest(now(), (SELECT max(lp.pushed_at) FROM feedsync.last_pushed lp WHERE lp.product_key = k) + @window)
            FROM unnest(@keys::text[]) AS k ORDER BY k
            ON CONFLICT (product_key) DO UPDATE
               SET dirty_gen = excluded.dirty_gen, last_dirty_at = excluded.last_dirty_at
            """, connection, transaction);
        command.Parameters.AddWithValue("keys", keys);
        command.Parameters.AddWithValue("window", _options.CoalesceWindow);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task MarkDirtyAsync(IReadOnlyCollection<string> productKeys, CancellationToken cancellationToken)
    {
        await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
        await MarkDirtyAsync(productKeys, connection, null, cancellationToken);
    }

    /// <summary>Claims up to <paramref name="limit"/> due keys for the lifetime of <paramref name="connection"/> (or until released).</summary>
    public static async Task<List<Claim>> ClaimAsync(NpgsqlConnection connection, int limit, CancellationToken cancellationToken)
    {
        // The inner LIMIT bounds how many rows are looked at; the outer one stops taking locks once enough are held.
        await using var command = new NpgsqlCommand($"""
            SELECT product_key, dirty_gen, attempts FROM (
                SELECT product_key, dirty_gen, attempts FROM feedsync.pending
                WHERE not_before <= now() ORDER BY not_before LIMIT @scan) AS due
            WHERE pg_try_advisory_lock({ClaimLockSpace}, hashtext(product_key))
            LIMIT @limit
            """, connection);
        command.Parameters.AddWithValue("scan", limit * 4);
        command.Parameters.AddWithValue("limit", limit);
        var claims = new List<Claim>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            claims.Add(new Claim(reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2)));
        }

        return claims;
    }

    /// <summary>
    /// Releases claimed keys in one short transaction, after the push results are recorded: a key is deleted
    /// only if no newer change arrived; a newer change stays pending behind the coalescing window; a failed key
    /// is retried after an exponential backoff.
    /// </summary>
    public async Task ReleaseAsync(IReadOnlyList<Release> releases, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var done = releases.Where(r => r.RetryAfter is null).ToList();
        var retry = releases.Where(r => r.RetryAfter is not null).ToList();
        // One batch runs as one implicit transaction.
        var batch = new NpgsqlBatch(connection);

        // Capture upserts pending rows in key order; taking these rows' locks in the same order first means the
        // two can wait on each other but never deadlock (a deadlock here would fail a step whose calls were made).
        var lockInKeyOrder = new NpgsqlBatchCommand("""
            SELECT 1 FROM feedsync.pending WHERE product_key = ANY(@keys) ORDER BY product_key FOR UPDATE
            """);
        lockInKeyOrder.Parameters.AddWithValue("keys", releases.Select(r => r.Claim.ProductKey).ToArray());
        batch.BatchCommands.Add(lockInKeyOrder);

        var delete = new NpgsqlBatchCommand("""
            DELETE FROM feedsync.pending p USING unnest(@keys::text[], @gens::bigint[]) AS r(k, gen)
            WHERE p.product_key = r.k AND p.dirty_gen = r.gen
            """);
        delete.Parameters.AddWithValue("keys", done.Select(r => r.Claim.ProductKey).ToArray());
        delete.Parameters.AddWithValue("gens", done.Select(r => r.Claim.DirtyGen).ToArray());
        batch.BatchCommands.Add(delete);

        var coalesce = new NpgsqlBatchCommand("""
            UPDATE feedsync.pending p SET not_before = greatest(p.not_before, now() + @window), attempts = 0, last_error = NULL
            FROM unnest(@keys::text[], @gens::bigint[]) AS r(k, gen)
            WHERE p.product_key = r.k AND p.dirty_gen <> r.gen
            """);
        var called = done.Where(r => r.Called).ToList();
        coalesce.Parameters.AddWithValue("keys", called.Select(r => r.Claim.ProductKey).ToArray());
        coalesce.Parameters.AddWithValue("gens", called.Select(r => r.Claim.DirtyGen).ToArray());
        coalesce.Parameters.AddWithValue("window", _options.CoalesceWindow);
        batch.BatchCommands.Add(coalesce);

        var backoff = new NpgsqlBatchCommand("""
            UPDATE feedsync.pending p SET attempts = p.attempts + 1, not_before = now() + r.delay, last_error = r.error
            FROM unnest(@keys::text[], @delays::interval[], @errors::text[]) AS r(k, delay, error)
            WHERE p.product_key = r.k
            """);
        backoff.Parameters.AddWithValue("keys", retry.Select(r => r.Claim.ProductKey).ToArray());
        backoff.Parameters.AddWithValue("delays", retry.Select(r => r.RetryAfter!.Value).ToArray());
        backoff.Parameters.AddWithValue("errors", retry.Select(r => r.Error ?? "").ToArray());
        batch.BatchCommands.Add(backoff);

        await using (batch)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Drops every claim this connection holds (claims are per connection, not per transaction).</summary>
    public static async Task UnlockAllAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Backoff for the n-th failed attempt: doubles from RetryBackoff up to MaxRetryBackoff, or Google's RetryInfo if longer.</summary>
    public TimeSpan BackoffFor(int attempts, TimeSpan? serverHint)
    {
        var exponential = TimeSpan.FromTicks(Math.Min(_options.MaxRetryBackoff.Ticks, _options.RetryBackoff.Ticks * (1L << Math.Min(attempts, 20))));
        return serverHint is { } hint && hint > exponential ? hint : exponential;
    }

    /// <summary>Pending keys that are due now, and when the next not-yet-due key becomes due.</summary>
    public async Task<(long Due, DateTimeOffset? NextDueAt)> DueAsync(CancellationToken cancellationToken)
    {
        await using var command = databases.State.CreateCommand("""
            SELECT (SELECT count(*) FROM (SELECT 1 FROM feedsync.pending WHERE not_before <= now() LIMIT 1000) d),
                   (SELECT min(not_before) FROM feedsync.pending WHERE not_before > now())
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero));
    }
}
