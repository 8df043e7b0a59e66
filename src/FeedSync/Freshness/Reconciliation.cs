using System.Diagnostics;
using FeedSync.Catalog;
using FeedSync.Hosting;
using FeedSync.Jobs;
using FeedSync.Publish;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Freshness;

/// <summary>Counts from one reconciliation run.</summary>
internal readonly record struct ReconciliationResult(long RowsRead, long ProductsDiffering, long ProductsGone, TimeSpan Elapsed);

/// <summary>
/// Repairs drift: streams the whole feed view in keyset pages, diffs every valid row by content hash against
/// <c>last_pushed</c>, and marks only the products that differ (or lost a destination) pending, so the push
/// pipeline sends exactly those. A second pass over <c>last_pushed</c> finds products that left the view, which
/// the push then deletes. Memory holds one page at a time, whatever the catalog size.
/// </summary>
internal sealed partial class Reconciliation(
    Databases databases,
    FeedView feedView,
    PendingQueue queue,
    PushDispatcher dispatcher,
    TimeProvider time,
    IOptions<FreshnessOptions> options,
    ILogger<Reconciliation> logger)
{
    public async Task<ReconciliationResult> RunAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var pageSize = options.Value.ReconciliationPageSize;
        long rowsRead = 0, differing = 0;

        // The keys seen in the view go to a session temp table, so finding products that left the view is one
        // anti-join in the state database instead of a second walk over the view.
        await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS pg_temp.reconcile_seen; CREATE TEMP TABLE reconcile_seen (product_key text NOT NULL)", cancellationToken);

        var page = await feedView.ReadPageAsync(null, pageSize, cancellationToken);
        while (page.Count > 0)
        {
            var (rows, after, more) = await CompletePageAsync(page, pageSize, cancellationToken);

            // Read the next page while this one is diffed.
            var next = more ? feedView.ReadPageAsync(after, pageSize, cancellationToken) : Task.FromResult(new List<FeedRow>());
            rowsRead += rows.Count;
            differing += await DiffPageAsync(connection, rows, cancellationToken);
            page = await next;
        }

        var gone = await MarkGoneAsync(connection, cancellationToken);
        await ExecuteAsync(connection, "DROP TABLE pg_temp.reconcile_seen", cancellationToken);
        var result = new ReconciliationResult(rowsRead, differing, gone, watch.Elapsed);
        LogDone(result.RowsRead, result.ProductsDiffering, result.ProductsGone, (long)result.Elapsed.TotalMilliseconds);
        return result;
    }

    /// <summary>
    /// A full page may end in the middle of a key's rows: that key is left for the next page. A page holding a
    /// single key is completed by reading that key on its own.
    /// </summary>
    private async Task<(List<FeedRow> Rows, string? After, bool More)> CompletePageAsync(List<FeedRow> page, int pageSize, CancellationToken cancellationToken)
    {
        if (page.Count < pageSize)
        {
            return (page, null, false);
        }

        var lastKey = page[^1].ProductKey;
        var cut = page.FindIndex(r => r.ProductKey == lastKey);
        if (cut > 0)
        {
            return (page[..cut], page[cut - 1].ProductKey, true);
        }

        var all = await feedView.ReadAsync([lastKey], cancellationToken);
        return (all.GetValueOrDefault(lastKey) ?? [], lastKey, true);
    }

    private async Task<int> DiffPageAsync(NpgsqlConnection connection, List<FeedRow> rows, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var keys = rows.Select(r => r.ProductKey).Distinct(StringComparer.Ordinal).ToArray();

        // What Google holds is read while the rows are mapped and hashed on the other cores.
        var loading = LoadHashesAsync(connection, keys, cancellationToken);
        var mapped = new (ProductIdentity? Identity, byte[]? Hash)[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var result = ProductMapper.Map(rows[i], now);
            mapped[i] = (result.Identity, result.IsValid ? result.Input!.ContentHash() : null);
        });
        var held = await loading;

        var dirty = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<(string, ProductIdentity)>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (identity, hash) = mapped[i];
            if (identity is not { } id)
            {
                continue;
            }

            seen.Add((rows[i].ProductKey, id));

            // An invalid row keeps Google's last valid version (the push records the problem when the row changes).
            if (hash is not null && (!held.TryGetValue((rows[i].ProductKey, id), out var heldHash) || !heldHash.AsSpan().SequenceEqual(hash)))
            {
                dirty.Add(rows[i].ProductKey);
            }
        }

        // A destination Google holds that the view no longer has (the product itself is still in the view).
        dirty.UnionWith(held.Keys.Where(k => !seen.Contains(k)).Select(k => k.Item1));

        var boundaries = rows.SelectMany(r => SaleWindow.UpcomingBoundaries(r, now)).Where(b => b.Kind != BoundaryKind.Recheck).ToList();
        await using (var copy = await connection.BeginBinaryImportAsync("COPY pg_temp.reconcile_seen (product_key) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var key in keys)
            {
                await copy.WriteRowAsync(cancellationToken, key);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await BoundaryStore.AddAsync(connection, transaction, boundaries, cancellationToken);
        await queue.MarkDirtyAsync(dirty, connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (dirty.Count > 0)
        {
            dispatcher.Signal();
        }

        return dirty.Count;
    }

    /// <summary>Products Google holds whose key is no longer in the view at all: marked pending, the push deletes them.</summary>
    private async Task<long> MarkGoneAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "CREATE INDEX ON pg_temp.reconcile_seen (product_key); ANALYZE pg_temp.reconcile_seen", cancellationToken);
        long gone = 0;
        var chunk = new List<string>(5000);
        await using (var command = new NpgsqlCommand("""
            SELECT DISTINCT lp.product_key FROM feedsync.last_pushed lp
            WHERE NOT EXISTS (SELECT 1 FROM pg_temp.reconcile_seen s WHERE s.product_key = lp.product_key)
            """, connection) { CommandTimeout = 0 })
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                chunk.Add(reader.GetString(0));
                if (chunk.Count == 5000)
                {
                    gone += await MarkAsync(chunk, cancellationToken);
                }
            }
        }

        return gone + await MarkAsync(chunk, cancellationToken);
    }

    /// <summary>Marks a chunk pending on its own connection (the reconciliation connection may be mid-read).</summary>
    private async Task<int> MarkAsync(List<string> chunk, CancellationToken cancellationToken)
    {
        var count = chunk.Count;
        if (count > 0)
        {
            await queue.MarkDirtyAsync(chunk, cancellationToken);
            dispatcher.Signal();
            chunk.Clear();
        }

        return count;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<Dictionary<(string, ProductIdentity), byte[]>> LoadHashesAsync(NpgsqlConnection connection, string[] keys, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT product_key, offer_id, content_language, feed_label, content_hash FROM feedsync.last_pushed WHERE product_key = ANY(@keys)
            """, connection);
        command.Parameters.AddWithValue("keys", keys);
        var held = new Dictionary<(string, ProductIdentity), byte[]>(keys.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            held[(reader.GetString(0), new ProductIdentity(reader.GetString(2), reader.GetString(3), reader.GetString(1)))] = (byte[])reader[4];
        }

        return held;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation: {Rows} feed rows read, {Differing} products differ, {Gone} left the view; {ElapsedMs} ms")]
    private partial void LogDone(long rows, long differing, long gone, long elapsedMs);
}
