using Npgsql;

namespace FeedSync.Freshness;

/// <summary>
/// <c>feedsync.boundaries</c>: the instants at which products must be re-evaluated. Stored in the state database,
/// so they survive restarts and every instance sees them; the scheduler takes due ones with SKIP LOCKED.
/// </summary>
internal static class BoundaryStore
{
    /// <summary>Kinds the push re-learns from the feed view each time it reads a product (the others have their own owners).</summary>
    private static readonly string[] LearnedKinds = [Name(BoundaryKind.Sale), Name(BoundaryKind.Availability), Name(BoundaryKind.Recheck)];

    public static string Name(BoundaryKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Replaces the view-learned boundaries of <paramref name="productKeys"/> with <paramref name="boundaries"/>.</summary>
    public static IEnumerable<NpgsqlBatchCommand> ReplaceLearnedCommands(IReadOnlyCollection<string> productKeys, IReadOnlyCollection<Boundary> boundaries)
    {
        var delete = new NpgsqlBatchCommand("DELETE FROM feedsync.boundaries WHERE product_key = ANY(@keys) AND kind = ANY(@kinds)");
        delete.Parameters.AddWithValue("keys", productKeys.ToArray());
        delete.Parameters.AddWithValue("kinds", LearnedKinds);
        yield return delete;
        if (boundaries.Count > 0)
        {
            yield return Insert(boundaries);
        }
    }

    /// <summary>Adds boundaries; one already stored for the same product and instant is kept (one evaluation covers both).</summary>
    public static async Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyCollection<Boundary> boundaries, CancellationToken cancellationToken)
    {
        if (boundaries.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(Insert(boundaries));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Removes up to <paramref name="limit"/> boundaries due at <paramref name="now"/> and returns their product keys.</summary>
    public static async Task<List<string>> TakeDueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            WITH due AS (
                SELECT product_key, at FROM feedsync.boundaries WHERE at <= @now ORDER BY at LIMIT @limit FOR UPDATE SKIP LOCKED)
            DELETE FROM feedsync.boundaries b USING due
            WHERE b.product_key = due.product_key AND b.at = due.at
            RETURNING b.product_key
            """, connection, transaction);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("limit", limit);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <summary>
    /// Deletes boundaries that can never matter again, and returns how many: those of products FeedSync neither
    /// holds at Google nor has a problem or a pending change for (a push found them gone from the view and deleted
    /// them), and those more than <paramref name="handledAfter"/> past whose every destination was pushed after the
    /// instant (that push already saw the boundary). A pending product keeps its boundaries: its push decides.
    /// </summary>
    public static async Task<int> PruneAsync(NpgsqlConnection connection, DateTimeOffset now, TimeSpan handledAfter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            DELETE FROM feedsync.boundaries b
            WHERE NOT EXISTS (SELECT 1 FROM feedsync.pending p WHERE p.product_key = b.product_key)
              AND CASE WHEN EXISTS (SELECT 1 FROM feedsync.last_pushed lp WHERE lp.product_key = b.product_key)
                       THEN b.at < @handledBefore
                            AND NOT EXISTS (SELECT 1 FROM feedsync.last_pushed lp WHERE lp.product_key = b.product_key AND lp.pushed_at <= b.at)
                       ELSE NOT EXISTS (SELECT 1 FROM feedsync.product_problems pp WHERE pp.product_key = b.product_key)
                  END
            """, connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("handledBefore", now - handledAfter);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<DateTimeOffset?> NextAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT min(at) FROM feedsync.boundaries", connection);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DateTime at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }

    private static NpgsqlBatchCommand Insert(IReadOnlyCollection<Boundary> boundaries)
    {
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO feedsync.boundaries (product_key, at, kind)
            SELECT DISTINCT ON (k, a) k, a, kd FROM unnest(@keys::text[], @ats::timestamptz[], @kinds::text[]) AS r(k, a, kd)
            ON CONFLICT (product_key, at) DO NOTHING
            """);
        insert.Parameters.AddWithValue("keys", boundaries.Select(b => b.ProductKey).ToArray());
        insert.Parameters.AddWithValue("ats", boundaries.Select(b => b.At).ToArray());
        insert.Parameters.AddWithValue("kinds", boundaries.Select(b => Name(b.Kind)).ToArray());
        return insert;
    }
}
