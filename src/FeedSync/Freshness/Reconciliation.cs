using System.Diagnostics;
using FeedSync.Catalog;
using FeedSync.Hosting;
using FeedSync.Jobs;
using FeedSync.Publish;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Freshness;

/// <summary>Counts from one reconciliation run (also its running totals, reported as progress after each page).</summary>
/// <param name="RowsMapped">Rows read in full and mapped because their fingerprint did not prove them unchanged.</param>
internal readonly record struct ReconciliationResult(long RowsRead, long ProductsDiffering, long ProductsGone, TimeSpan Elapsed, long RowsMapped = 0)
{
    /// <summary>Where the wall time went (view pages not yet read, what Google holds, mapping, writes, the final anti-join).</summary>
    public string Phases { get; init; } = "";

    /// <summary>Another reconciliation held the run lock: this one read and marked nothing.</summary>
    public bool AlreadyRunning { get; init; }
}

/// <summary>Stopwatch sections of one run, so a slow reconciliation says which side is slow.</summary>
internal sealed class ReconciliationPhases
{
    public TimeSpan WaitingForView;
    public TimeSpan LoadingHeld;
    public TimeSpan Mapping;
    public TimeSpan Writing;
    public TimeSpan Gone;

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"waiting for view pages {WaitingForView.TotalSeconds:0.0} s, loading last_pushed {LoadingHeld.TotalSeconds:0.0} s, reading and mapping suspects {Mapping.TotalSeconds:0.0} s, writing {Writing.TotalSeconds:0.0} s, left the view {Gone.TotalSeconds:0.0} s");
}

/// <summary>How a reconciliation runs: <paramref name="DryRun"/> counts what differs and writes nothing.</summary>
internal sealed record ReconciliationRun(bool DryRun = false, Action<ReconciliationResult>? Progress = null);

/// <summary>
/// Repairs drift: streams the whole feed view in keyset pages and marks only the products that differ from
/// <c>last_pushed</c> (or lost a destination) pending, so the push pipeline sends exactly those; a final anti-join
/// finds products that left the view, which the push then deletes. Memory holds one page at a time.
/// Pages carry only each row's fingerprint and the columns naming its destination and sale window. A row whose
/// <see cref="SourceCheck"/> matches the one stored beside what Google holds is unchanged and costs no mapping; the
/// rest (changed rows, never pushed, pushed since, marked with a force_reason, sale window opened or closed, new
/// mapper version) are read in full, mapped and hashed as the push would, and the ones found in step get their check stored.
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
    /// <summary>
    /// Session advisory lock held while a reconciliation writes: the nightly job, the dashboard's "Resync all" and
    /// <c>resync --all</c>, on any instance, never walk the whole view at the same time (one run does all the work).
    /// </summary>
    private const long RunLock = 0x46_53_52_45_43_4F_4E; // "FSRECON"

    public Task<ReconciliationResult> RunAsync(CancellationToken cancellationToken) => RunAsync(new ReconciliationRun(), cancellationToken);

    /// <summary>Runs one reconciliation, or none if another one is running (a dry run writes nothing, so it always runs).</summary>
    public async Task<ReconciliationResult> RunAsync(ReconciliationRun run, CancellationToken cancellationToken)
    {
        await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
        if (!run.DryRun && !await ScalarAsync<bool>(connection, $"SELECT pg_try_advisory_lock({RunLock})", cancellationToken))
        {
            LogAlreadyRunning();
            return new ReconciliationResult(0, 0, 0, TimeSpan.Zero) { AlreadyRunning = true };
        }

        try
        {
            return await RunLockedAsync(connection, run, cancellationToken);
        }
        finally
        {
            if (!run.DryRun && connection.State == System.Data.ConnectionState.Open)
            {
                // A pooled connection is reset only when it is next used: unlock now, not whenever that is.
                await ScalarAsync<bool>(connection, $"SELECT pg_advisory_unlock({RunLock})", CancellationToken.None);
            }
        }
    }

    private async Task<ReconciliationResult> RunLockedAsync(NpgsqlConnection connection, ReconciliationRun run, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var pageSize = options.Value.ReconciliationPageSize;
        long rowsRead = 0, rowsMapped = 0, differing = 0;
        var phases = new ReconciliationPhases();

        // The keys seen in the view go to a session temp table, so finding products that left the view is one
        // anti-join in the state database instead of a second walk over the view.
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS pg_temp.reconcile_seen; CREATE TEMP TABLE reconcile_seen (product_key text NOT NULL)", cancellationToken);

        var section = Stopwatch.StartNew();
        var page = await feedView.ReadSourcePageAsync(null, pageSize, cancellationToken);
        phases.WaitingForView += section.Elapsed;
        string? pageStart = null;
        while (page.Count > 0)
        {
            var (rows, after, more) = await CompletePageAsync(page, pageSize, cancellationToken);
            if (rows.Count == 0)
            {
                // The one key of a single-key page left the view meanwhile; the anti-join at the end sees to it.
                pageStart = after;
                page = await feedView.ReadSourcePageAsync(after, pageSize, cancellationToken);
                continue;
            }

            var bounds = new PageBounds(pageStart, rows[^1].Row.ProductKey, rows.Count);
            pageStart = after;

            // Read the next page while this one is compared.
            var next = more ? feedView.ReadSourcePageAsync(after, pageSize, cancellationToken) : Task.FromResult(new List<SourcedRow>());
            var (mapped, dirty) = await ComparePageAsync(connection, rows, bounds, run.DryRun, phases, cancellationToken);
            rowsRead += rows.Count;
            rowsMapped += mapped;
            differing += dirty;
            run.Progress?.Invoke(new ReconciliationResult(rowsRead, differing, 0, watch.Elapsed, rowsMapped));
            section.Restart();
            page = await next;
            phases.WaitingForView += section.Elapsed;
        }

        section.Restart();
        var gone = await MarkGoneAsync(connection, run.DryRun, cancellationToken);
        await ExecuteAsync(connection, "DROP TABLE pg_temp.reconcile_seen", cancellationToken);
        phases.Gone += section.Elapsed;
        var result = new ReconciliationResult(rowsRead, differing, gone, watch.Elapsed, rowsMapped) { Phases = phases.ToString() };
        LogDone(result.RowsRead, result.RowsMapped, result.ProductsDiffering, result.ProductsGone, (long)result.Elapsed.TotalMilliseconds, run.DryRun ? " (dry run)" : "");
        LogPhases(result.Phases);
        return result;
    }

    /// <summary>
    /// A full page may end in the middle of a key's rows: that key is left for the next page. A page holding a
    /// single key is completed by reading that key on its own.
    /// </summary>
    private async Task<(List<SourcedRow> Rows, string? After, bool More)> CompletePageAsync(List<SourcedRow> page, int pageSize, CancellationToken cancellationToken)
    {
        if (page.Count < pageSize)
        {
            return (page, null, false);
        }

        var lastKey = page[^1].Row.ProductKey;
        var cut = page.FindIndex(r => r.Row.ProductKey == lastKey);
        if (cut > 0)
        {
            return (page[..cut], page[cut - 1].Row.ProductKey, true);
        }

        return (await feedView.ReadSourcedAsync([lastKey], cancellationToken), lastKey, true);
    }

    /// <summary>Compares one page; returns how many rows had to be mapped and how many products differ.</summary>
    private async Task<(int Mapped, int Dirty)> ComparePageAsync(NpgsqlConnection connection, List<SourcedRow> rows, PageBounds bounds, bool dryRun, ReconciliationPhases phases, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var section = Stopwatch.StartNew();
        var keys = rows.Select(r => r.Row.ProductKey).Distinct(StringComparer.Ordinal).ToArray();
        var held = await LoadHeldAsync(connection, keys, cancellationToken);
        phases.LoadingHeld += section.Elapsed;

        var suspects = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<(string, ProductIdentity)>();
        foreach (var (row, source) in rows)
        {
            // A row without a complete identity cannot be sent; a destination it used to be is found below as gone.
            if (ProductMapper.Identity(row) is not { } id)
            {
                continue;
            }

            seen.Add((row.ProductKey, id));
            if (!held.TryGetValue((row.ProductKey, id), out var state) || state.Forced || state.Reconciled is null
                || !state.Reconciled.AsSpan().SequenceEqual(SourceCheck.Compute(source, SourceCheck.SaleInEffect(row, now), state.ContentHash)))
            {
                suspects.Add(row.ProductKey);
            }
        }

        // A destination Google holds that the view no longer has (the product itself is still in the view).
        var dirty = held.Keys.Where(k => !seen.Contains(k)).Select(k => k.Item1).ToHashSet(StringComparer.Ordinal);
        section.Restart();
        var (mapped, verified) = await MapSuspectsAsync(suspects, keys.Length, bounds, held, dirty, now, cancellationToken);
        phases.Mapping += section.Elapsed;
        section.Restart();

        await using (var copy = await connection.BeginBinaryImportAsync("COPY pg_temp.reconcile_seen (product_key) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var key in keys)
            {
                await copy.WriteRowAsync(cancellationToken, key);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        if (dryRun)
        {
            phases.Writing += section.Elapsed;
            return (mapped, dirty.Count);
        }

        // Boundaries come from the narrow rows too (they carry the sale and availability columns), so every product's are repaired.
        var boundaries = rows.SelectMany(r => SaleWindow.UpcomingBoundaries(r.Row, now)).Where(b => b.Kind != BoundaryKind.Recheck).ToList();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await BoundaryStore.AddAsync(connection, transaction, boundaries, cancellationToken);
        await queue.MarkDirtyAsync(dirty, connection, transaction, cancellationToken);
        await StoreChecksAsync(connection, transaction, verified, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        phases.Writing += section.Elapsed;
        if (dirty.Count > 0)
        {
            dispatcher.Signal();
        }

        return (mapped, dirty.Count);
    }

    /// <summary>
    /// Reads the suspects' whole rows (fingerprint and values from one snapshot), maps and hashes them as the push
    /// would, adds the differing ones to <paramref name="dirty"/> and returns the destinations found in step.
    /// </summary>
    private async Task<(int Mapped, List<Verified> Verified)> MapSuspectsAsync(
        HashSet<string> suspects, int pageKeys, PageBounds bounds, Dictionary<(string, ProductIdentity), HeldState> held, HashSet<string> dirty, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var verified = new List<Verified>();
        if (suspects.Count == 0)
        {
            return (0, verified);
        }

        // Few suspects: look them up by key. Many (the first run after an upgrade, a new mapper version): re-reading
        // the page's key range is far cheaper than a long key list.
        var rows = suspects.Count * 4 < pageKeys
            ? await feedView.ReadSourcedAsync(suspects, cancellationToken)
            : (await feedView.ReadSourcedRangeAsync(bounds.After, bounds.Last, bounds.Rows, cancellationToken)).Where(r => suspects.Contains(r.Row.ProductKey)).ToList();
        var mapped = new (ProductIdentity? Identity, byte[]? Hash)[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var result = ProductMapper.Map(rows[i].Row, now);
            mapped[i] = (result.Identity, result.IsValid ? result.Input!.ContentHash() : null);
        });

        var seen = new HashSet<(string, ProductIdentity)>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (row, source) = rows[i];
            if (mapped[i] is not ({ } id, var hash))
            {
                continue;
            }

            seen.Add((row.ProductKey, id));

            // An invalid row keeps Google's last valid version (the push records the problem when the row changes).
            if (hash is null)
            {
                continue;
            }

            // A destination marked for a full insert (in doubt, operator resync) differs whatever its hash; one waiting for
            // its expiry refresh is left to that spread refresh.
            if (held.TryGetValue((row.ProductKey, id), out var state) && !state.Forced && state.ContentHash.AsSpan().SequenceEqual(hash))
            {
                verified.Add(new Verified(id, hash, SourceCheck.Compute(source, SourceCheck.SaleInEffect(row, now), hash)));
            }
            else
            {
                dirty.Add(row.ProductKey);
            }
        }

        // The row may have changed since the page was read: a destination held for a suspect but gone now differs too.
        dirty.UnionWith(held.Keys.Where(k => suspects.Contains(k.Item1) && !seen.Contains(k)).Select(k => k.Item1));
        return (rows.Count, verified);
    }

    /// <summary>Stores the checks of destinations found in step, only where the content hash is still the one verified against.</summary>
    private static async Task StoreChecksAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<Verified> verified, CancellationToken cancellationToken)
    {
        if (verified.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand("""
            UPDATE feedsync.last_pushed lp SET reconciled_source = r.c
            FROM unnest(@offers::text[], @languages::text[], @labels::text[], @hashes::bytea[], @checks::bytea[]) AS r(o, l, f, h, c)
            WHERE lp.offer_id = r.o AND lp.content_language = r.l AND lp.feed_label = r.f AND lp.content_hash = r.h
            """, connection, transaction);
        command.Parameters.AddIdentities(verified.Select(v => v.Identity));
        command.Parameters.AddWithValue("hashes", verified.Select(v => v.ContentHash).ToArray());
        command.Parameters.AddWithValue("checks", verified.Select(v => v.Check).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Products Google holds whose key is no longer in the view at all: marked pending (unless a dry run), the push deletes them.</summary>
    private async Task<long> MarkGoneAsync(NpgsqlConnection connection, bool dryRun, CancellationToken cancellationToken)
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
                    gone += await MarkAsync(chunk, dryRun, cancellationToken);
                }
            }
        }

        return gone + await MarkAsync(chunk, dryRun, cancellationToken);
    }

    /// <summary>Marks a chunk pending on its own connection (the reconciliation connection may be mid-read).</summary>
    private async Task<int> MarkAsync(List<string> chunk, bool dryRun, CancellationToken cancellationToken)
    {
        var count = chunk.Count;
        if (count > 0 && !dryRun)
        {
            await queue.MarkDirtyAsync(chunk, cancellationToken);
            dispatcher.Signal();
        }

        chunk.Clear();
        return count;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<Dictionary<(string, ProductIdentity), HeldState>> LoadHeldAsync(NpgsqlConnection connection, string[] keys, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT product_key, offer_id, content_language, feed_label, content_hash, reconciled_source,
                   -- An expiry refresh is already scheduled, spread over the day: forcing it now would undo the spread.
                   force_reason IS NOT NULL AND force_reason <> 'expiry_refresh'
            FROM feedsync.last_pushed WHERE product_key = ANY(@keys)
            """, connection);
        command.Parameters.AddWithValue("keys", keys);
        var held = new Dictionary<(string, ProductIdentity), HeldState>(keys.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            held[(reader.GetString(0), new ProductIdentity(reader.GetString(2), reader.GetString(3), reader.GetString(1)))] =
                new HeldState((byte[])reader[4], reader.IsDBNull(5) ? null : (byte[])reader[5], reader.GetBoolean(6));
        }

        return held;
    }

    /// <summary>A page's key range: after <paramref name="After"/> (null: from the start) up to <paramref name="Last"/>.</summary>
    private readonly record struct PageBounds(string? After, string Last, int Rows);

    /// <summary>What last_pushed says Google holds for one destination, and the check stored when it was last verified.</summary>
    private sealed record HeldState(byte[] ContentHash, byte[]? Reconciled, bool Forced);

    private sealed record Verified(ProductIdentity Identity, byte[] ContentHash, byte[] Check);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation not started: another one is running (the nightly job, a dashboard \"Resync all\" or resync --all, on this or another instance); it does the same work")]
    private partial void LogAlreadyRunning();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reconciliation time: {Phases}")]
    private partial void LogPhases(string phases);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation{DryRunNote}: {Rows} feed rows read ({Mapped} mapped), {Differing} products differ, {Gone} left the view; {ElapsedMs} ms")]
    private partial void LogDone(long rows, long mapped, long differing, long gone, long elapsedMs, string dryRunNote);
}
