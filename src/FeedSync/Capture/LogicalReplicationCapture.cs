using System.Threading.Channels;
using FeedSync.Catalog;
using FeedSync.Hosting;
using FeedSync.Jobs;
using Microsoft.Extensions.Options;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using NpgsqlTypes;

namespace FeedSync.Capture;

/// <summary>
/// Streams the catalog's changes through logical decoding (<c>pgoutput</c>) and records the touched product
/// keys in <c>feedsync.pending</c>. A source transaction's end LSN is acknowledged only after the pending rows
/// for it have committed, so a crash at any point means redelivery, never loss. One reader decodes messages;
/// one writer batches whatever transactions have arrived into a single state-database commit.
/// </summary>
internal sealed partial class LogicalReplicationCapture(
    Databases databases,
    ReplicationSetup setup,
    KeyResolver keyResolver,
    PendingQueue queue,
    FullResync fullResync,
    PushDispatcher dispatcher,
    IOptions<CaptureOptions> captureOptions,
    IOptions<CatalogOptions> catalogOptions,
    ILogger<LogicalReplicationCapture> logger) : BackgroundService
{
    private readonly CaptureOptions _options = captureOptions.Value;
    private readonly IReadOnlyList<TrackedTable> _tables = TrackedTable.From(catalogOptions.Value);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var leaderLock = await AcquireLeadershipAsync(stoppingToken);
                if (await setup.EnsureAsync(stoppingToken))
                {
                    await fullResync.MarkAllDirtyAsync("the replication slot was just created", stoppingToken);
                    dispatcher.Signal();
                }

                await StreamAsync(stoppingToken);
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
                LogStreamFailed(ex, _options.ReconnectDelay.TotalSeconds);
                await Task.Delay(_options.ReconnectDelay, stoppingToken);
            }
        }
    }

    /// <summary>
    /// Only one process may read a slot. The holder of this advisory lock (on a connection kept open while
    /// capturing) is the capture leader; others wait and take over when its connection drops.
    /// </summary>
    private async Task<NpgsqlConnection> AcquireLeadershipAsync(CancellationToken cancellationToken)
    {
        var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        var logged = false;
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtext('feedsync-capture:' || @slot))", connection);
            command.Parameters.AddWithValue("slot", _options.SlotName);
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
            {
                LogLeader(_options.SlotName);
                return connection;
            }

            if (!logged)
            {
                LogStandby(_options.SlotName);
                logged = true;
            }

            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        }
    }

    private async Task StreamAsync(CancellationToken stoppingToken)
    {
        await using var replication = new LogicalReplicationConnection(databases.Catalog.ConnectionString);
        replication.WalReceiverStatusInterval = _options.StatusInterval;
        await replication.Open(stoppingToken);

        using var streamFailed = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var transactions = Channel.CreateBounded<CapturedTransaction>(new BoundedChannelOptions(10_000) { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(
            async () =>
            {
                try
                {
                    await WriteAsync(transactions.Reader, replication, streamFailed.Token);
                }
                catch
                {
                    // A failed write must stop the reader too; the stream restarts from the last acknowledged LSN.
                    await streamFailed.CancelAsync();
                    throw;
                }
            },
            CancellationToken.None);
        try
        {
            await ReadAsync(replication, transactions.Writer, streamFailed.Token);
        }
        catch (OperationCanceledException) when (writer.IsFaulted)
        {
            // Reported below from the writer's own exception.
        }
        finally
        {
            transactions.Writer.TryComplete();
            await streamFailed.CancelAsync();
            try
            {
                await writer;
            }
            catch (OperationCanceledException)
            {
                // The reader's failure (or shutdown) is the one that matters.
            }
        }
    }

    private async Task ReadAsync(LogicalReplicationConnection replication, ChannelWriter<CapturedTransaction> output, CancellationToken cancellationToken)
    {
        var relations = new Dictionary<uint, (TrackedTable Table, int[] Positions)?>();
        var rows = new List<CapturedRow>();
        var truncated = new List<TrackedTable>();
        var slot = new PgOutputReplicationSlot(_options.SlotName);
        var streamOptions = new PgOutputReplicationOptions(_options.PublicationName, PgOutputProtocolVersion.V1);
        LogStreaming(_options.SlotName, _options.PublicationName);

        await foreach (var message in replication.StartReplication(slot, streamOptions, cancellationToken))
        {
            switch (message)
            {
                case BeginMessage:
                    rows = [];
                    truncated = [];
                    break;
                case RelationMessage relation:
                    relations[relation.RelationId] = Describe(relation);
                    break;
                case InsertMessage insert:
                    await AddRowAsync(relations, insert.Relation.RelationId, insert.NewRow, rows, cancellationToken);
                    break;
                case IndexUpdateMessage keyChange:
                    // The key itself changed: both the old and the new key's products are affected.
                    await AddRowAsync(relations, keyChange.Relation.RelationId, keyChange.Key, rows, cancellationToken);
                    await AddRowAsync(relations, keyChange.Relation.RelationId, keyChange.NewRow, rows, cancellationToken);
                    break;
                case FullUpdateMessage fullUpdate:
                    await AddRowAsync(relations, fullUpdate.Relation.RelationId, fullUpdate.OldRow, rows, cancellationToken);
                    await AddRowAsync(relations, fullUpdate.Relation.RelationId, fullUpdate.NewRow, rows, cancellationToken);
                    break;
                case UpdateMessage update:
                    await AddRowAsync(relations, update.Relation.RelationId, update.NewRow, rows, cancellationToken);
                    break;
                case KeyDeleteMessage keyDelete:
                    await AddRowAsync(relations, keyDelete.Relation.RelationId, keyDelete.Key, rows, cancellationToken);
                    break;
                case FullDeleteMessage fullDelete:
                    await AddRowAsync(relations, fullDelete.Relation.RelationId, fullDelete.OldRow, rows, cancellationToken);
                    break;
                case TruncateMessage truncate:
                    truncated.AddRange(truncate.Relations
                        .Select(r => relations.GetValueOrDefault(r.RelationId) ?? Describe(r))
                        .Where(d => d is not null)
                        .Select(d => d!.Value.Table));
                    break;
                case CommitMessage commit:
                    await output.WriteAsync(new CapturedTransaction(rows, truncated, (ulong)commit.TransactionEndLsn), cancellationToken);
                    rows = [];
                    truncated = [];
                    break;
            }
        }
    }

    private (TrackedTable Table, int[] Positions)? Describe(RelationMessage relation)
    {
        var table = _tables.FirstOrDefault(t => t.Table.SchemaOrPublic == relation.Namespace && t.Table.Name == relation.RelationName);
        if (table is null)
        {
            return null;
        }

        var names = relation.Columns.Select(c => c.ColumnName).ToList();
        return (table, table.Columns.Select(c => names.IndexOf(c)).ToArray());
    }

    private static async Task AddRowAsync(
        Dictionary<uint, (TrackedTable Table, int[] Positions)?> relations,
        uint relationId,
        ReplicationTuple tuple,
        List<CapturedRow> rows,
        CancellationToken cancellationToken)
    {
        if (relations.GetValueOrDefault(relationId) is not { } relation)
        {
            return;
        }

        var values = new string?[relation.Positions.Length];
        var column = 0;
        await foreach (var value in tuple.WithCancellation(cancellationToken))
        {
            var slot = Array.IndexOf(relation.Positions, column++);
            if (slot >= 0 && !value.IsDBNull && !value.IsUnchangedToastedValue)
            {
                values[slot] = await value.Get<string>(cancellationToken);
            }
        }

        rows.Add(new CapturedRow(relation.Table, values));
    }

    /// <summary>Records arrived transactions in one state commit, then acknowledges the last end LSN.</summary>
    private async Task WriteAsync(ChannelReader<CapturedTransaction> input, LogicalReplicationConnection replication, CancellationToken cancellationToken)
    {
        var batch = new List<CapturedTransaction>();
        while (await input.WaitToReadAsync(cancellationToken))
        {
            batch.Clear();
            while (batch.Count < 5_000 && input.TryRead(out var transaction))
            {
                batch.Add(transaction);
            }

            var keys = await keyResolver.ResolveAsync(batch.SelectMany(t => t.Rows), cancellationToken);
            foreach (var table in batch.SelectMany(t => t.Truncated).Distinct())
            {
                await fullResync.MarkAllDirtyAsync($"{table.Table} was truncated", cancellationToken);
            }

            var endLsn = batch[^1].EndLsn;
            await using (var connection = await databases.State.OpenConnectionAsync(cancellationToken))
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                await queue.MarkDirtyAsync(keys, connection, transaction, cancellationToken);
                await using var checkpoint = new NpgsqlCommand("""
                    INSERT INTO feedsync.capture_checkpoint (slot_name, confirmed_lsn, updated_at) VALUES (@slot, @lsn, now())
                    ON CONFLICT (slot_name) DO UPDATE SET confirmed_lsn = excluded.confirmed_lsn, updated_at = excluded.updated_at
                    """, connection, transaction);
                checkpoint.Parameters.AddWithValue("slot", _options.SlotName);
                checkpoint.Parameters.AddWithValue("lsn", NpgsqlDbType.PgLsn, new NpgsqlLogSequenceNumber(endLsn));
                await checkpoint.ExecuteNonQueryAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }

            // Only now is it safe for the server to forget these transactions.
            replication.SetReplicationStatus(new NpgsqlLogSequenceNumber(endLsn));
            if (keys.Count > 0)
            {
                dispatcher.Signal();
            }

            LogRecorded(batch.Count, keys.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This instance now captures changes for slot {Slot}")]
    private partial void LogLeader(string slot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Another instance captures slot {Slot}; standing by to take over")]
    private partial void LogStandby(string slot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Streaming changes from slot {Slot}, publication {Publication}")]
    private partial void LogStreaming(string slot, string publication);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Recorded {Transactions} source transactions touching {Keys} products")]
    private partial void LogRecorded(int transactions, int keys);

    [LoggerMessage(Level = LogLevel.Error, Message = "Capture cannot start: {Problem}")]
    private partial void LogSetupProblem(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change stream failed; reconnecting in {Seconds} s (unacknowledged changes are delivered again)")]
    private partial void LogStreamFailed(Exception exception, double seconds);
}
