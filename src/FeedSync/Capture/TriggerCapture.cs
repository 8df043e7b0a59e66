using FeedSync.Catalog;
using FeedSync.Hosting;
using FeedSync.Jobs;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Capture;

/// <summary>
/// Trigger mode: polls the catalog's change log and records the touched product keys. Rows are read in
/// (xid, seq) order and only below the oldest still-running transaction (<c>pg_snapshot_xmin</c>), so a
/// long transaction that commits after a later one is read when it commits instead of being skipped by the
/// cursor. The cursor is stored with the pending rows; rows up to it are pruned afterwards.
/// </summary>
internal sealed partial class TriggerCapture(
    Databases databases,
    TriggerSetup setup,
    CaptureLeader leader,
    CaptureRecorder recorder,
    FullResync fullResync,
    PushDispatcher dispatcher,
    IOptions<CaptureOptions> captureOptions,
    IOptions<CatalogOptions> catalogOptions,
    ILogger<TriggerCapture> logger) : BackgroundService
{
    private readonly CaptureOptions _options = captureOptions.Value;
    private readonly IReadOnlyList<TrackedTable> _tables = TrackedTable.From(catalogOptions.Value);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var leaderLock = await leader.AcquireAsync(stoppingToken);
                var cursor = await PrepareAsync(stoppingToken);
                await PollAsync(leaderLock.Connection, cursor, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (CaptureSetupException ex)
            {
                LogSetupProblem(ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(30), stoppingToken);
            }
            catch (Exception ex)
            {
                LogPollFailed(ex, _options.ReconnectDelay.TotalSeconds);
                await Task.Delay(_options.ReconnectDelay, stoppingToken);
            }
        }
    }

    /// <summary>Installs missing triggers; resyncs everything when a table's past changes were not logged or nothing was ever recorded.</summary>
    private async Task<(long Xid, long Seq)> PrepareAsync(CancellationToken cancellationToken)
    {
        var installed = await setup.EnsureForCaptureAsync(cancellationToken);
        var cursor = await ReadCursorAsync(cancellationToken);
        string? why = null;
        if (cursor is { } recorded && await NextXidAsync(cancellationToken) <= recorded.Xid)
        {
            // The counter is behind the position: a restored or different server. Its xids would sort before the cursor and be skipped.
            why = "the catalog's transaction counter is behind the recorded change-log position (restored or replaced database)";
            cursor = null;
            await using var stale = databases.Catalog.CreateCommand($"DELETE FROM {TriggerSetup.Schema}.change_log WHERE xid >= pg_snapshot_xmax(pg_current_snapshot())");
            await stale.ExecuteNonQueryAsync(cancellationToken);
        }
        else if (cursor is null)
        {
            why = "trigger capture starts without a recorded position";
        }
        else if (installed.Count > 0)
        {
            why = $"capture triggers were missing on {string.Join(", ", installed.Select(t => t.Table))}";
        }

        if (why is not null)
        {
            // Read after the triggers committed: anything the read misses is in the log, so the two overlap and never gap.
            await fullResync.MarkAllDirtyAsync(why, cancellationToken);
            dispatcher.Signal();
        }

        if (cursor is null)
        {
            cursor = (0, 0);
            await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
            await WriteCursorAsync(connection, null, cursor.Value, cancellationToken);
        }

        LogPolling(TriggerSetup.Schema);
        return cursor.Value;
    }

    private async Task PollAsync(NpgsqlConnection leaderLock, (long Xid, long Seq) cursor, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (rows, truncated, last, count) = await ReadBatchAsync(cursor, cancellationToken);
            if (count == 0)
            {
                // Idle: make sure this instance still leads (its lock dies with its connection).
                await using (var ping = new NpgsqlCommand("SELECT 1", leaderLock))
                {
                    await ping.ExecuteScalarAsync(cancellationToken);
                }

                await Task.Delay(_options.PollInterval, cancellationToken);
                continue;
            }

            var next = last;
            await recorder.RecordAsync(rows, truncated, (connection, transaction, ct) => WriteCursorAsync(connection, transaction, next, ct), cancellationToken);
            cursor = next;
            await PruneAsync(cursor, cancellationToken);
            if (count < _options.PollBatchSize)
            {
                await Task.Delay(_options.PollInterval, cancellationToken);
            }
        }
    }

    private async Task<(List<CapturedRow> Rows, List<TrackedTable> Truncated, (long Xid, long Seq) Last, int Count)> ReadBatchAsync((long Xid, long Seq) cursor, CancellationToken cancellationToken)
    {
        // pg_current_snapshot() is the statement's own snapshot: every xid below its xmin has finished, so its rows are all visible now.
        await using var command = databases.Catalog.CreateCommand($"""
            SELECT xid::text::bigint, seq, table_schema, table_name, key_values, truncated
            FROM {TriggerSetup.Schema}.change_log
            WHERE (xid, seq) > (@xid::text::xid8, @seq) AND xid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY xid, seq
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("xid", cursor.Xid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("seq", cursor.Seq);
        command.Parameters.AddWithValue("limit", _options.PollBatchSize);
        var rows = new List<CapturedRow>();
        var truncated = new List<TrackedTable>();
        var last = cursor;
        var count = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            count++;
            last = (reader.GetInt64(0), reader.GetInt64(1));
            var schema = reader.GetString(2);
            var name = reader.GetString(3);
            if (_tables.FirstOrDefault(t => t.Table.SchemaOrPublic == schema && t.Table.Name == name) is not { } table)
            {
                continue;
            }

            if (reader.GetBoolean(5))
            {
                truncated.Add(table);
            }
            else if (!reader.IsDBNull(4))
            {
                rows.Add(new CapturedRow(table, reader.GetFieldValue<string?[]>(4)));
            }
        }

        return (rows, truncated, last, count);
    }

    private async Task<long> NextXidAsync(CancellationToken cancellationToken)
    {
        await using var command = databases.Catalog.CreateCommand("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task PruneAsync((long Xid, long Seq) cursor, CancellationToken cancellationToken)
    {
        await using var command = databases.Catalog.CreateCommand($"DELETE FROM {TriggerSetup.Schema}.change_log WHERE (xid, seq) <= (@xid::text::xid8, @seq)");
        command.Parameters.AddWithValue("xid", cursor.Xid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("seq", cursor.Seq);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<(long Xid, long Seq)?> ReadCursorAsync(CancellationToken cancellationToken)
    {
        await using var command = databases.State.CreateCommand("SELECT xid, seq FROM feedsync.capture_cursor WHERE source = @source");
        command.Parameters.AddWithValue("source", leader.Source);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetInt64(1)) : null;
    }

    private async Task WriteCursorAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, (long Xid, long Seq) cursor, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO feedsync.capture_cursor (source, xid, seq, updated_at) VALUES (@source, @xid, @seq, now())
            ON CONFLICT (source) DO UPDATE SET xid = excluded.xid, seq = excluded.seq, updated_at = excluded.updated_at
            """, connection, transaction);
        command.Parameters.AddWithValue("source", leader.Source);
        command.Parameters.AddWithValue("xid", cursor.Xid);
        command.Parameters.AddWithValue("seq", cursor.Seq);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Polling the trigger change log in schema {Schema}")]
    private partial void LogPolling(string schema);

    [LoggerMessage(Level = LogLevel.Error, Message = "Capture cannot start: {Problem}")]
    private partial void LogSetupProblem(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling the change log failed; retrying in {Seconds} s (unrecorded changes are read again)")]
    private partial void LogPollFailed(Exception exception, double seconds);
}
