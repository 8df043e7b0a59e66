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
/// one writer batches whatever transactions have arrived into a single state-database commit. A heartbeat
/// message lets the slot advance while the tracked tables are quiet, and the slot's health is read on a timer.
/// </summary>
internal sealed partial class LogicalReplicationCapture(
    Databases databases,
    ReplicationSetup setup,
    CaptureLeader leader,
    CaptureRecorder recorder,
    SlotHealth health,
    SlotPredatesPublication slotRepair,
    PushDispatcher dispatcher,
    IOptions<CaptureOptions> captureOptions,
    IOptions<CatalogOptions> catalogOptions,
    ILogger<LogicalReplicationCapture> logger) : BackgroundService
{
    internal const string HeartbeatPrefix = "feedsync-heartbeat";

    private readonly CaptureOptions _options = captureOptions.Value;
    private readonly IReadOnlyList<TrackedTable> _tables = TrackedTable.From(catalogOptions.Value);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var leaderLock = await leader.AcquireAsync(stoppingToken);
                if (await setup.EnsureAsync(stoppingToken))
                {
                    dispatcher.Signal();
                }

                try
                {
                    await StreamAsync(stoppingToken);
                }
                catch (PostgresException ex) when (SlotPredatesPublication.Matches(ex, _options.PublicationName))
                {
                    // Repaired while still the leader, so no other instance streams from the old slot meanwhile.
                    if (await slotRepair.RepairAsync(ex, stoppingToken))
                    {
                        dispatcher.Signal();
                    }
                }
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
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.ObjectInUse)
            {
                // Typically the previous leader's walsender has not noticed its client died yet; it goes away on its own.
                LogSlotHeld(_options.SlotName, ex.MessageText, _options.ReconnectDelay.TotalSeconds);
                await Task.Delay(_options.ReconnectDelay, stoppingToken);
            }
            catch (SlotGoneException ex)
            {
                LogSlotGone(ex.Message);
            }
            catch (Exception ex)
            {
                LogStreamFailed(ex, _options.ReconnectDelay.TotalSeconds);
                await Task.Delay(_options.ReconnectDelay, stoppingToken);
            }
        }
    }

    private async Task StreamAsync(CancellationToken stoppingToken)
    {
        await using var replication = await ReplicationSetup.OpenReplicationAsync(databases.CatalogConnectionString, stoppingToken);
        replication.WalReceiverStatusInterval = _options.StatusInterval;

        using var streamFailed = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var transactions = Channel.CreateBounded<CapturedTransaction>(new BoundedChannelOptions(10_000) { SingleReader = true, SingleWriter = true });
        var helpers = new[]
        {
            Guard(() => WriteAsync(transactions.Reader, replication, streamFailed.Token), streamFailed),
            Guard(() => HeartbeatAsync(streamFailed.Token), streamFailed),
            Guard(() => WatchSlotAsync(streamFailed.Token), streamFailed),
        };
        try
        {
            await ReadAsync(replication, transactions.Writer, streamFailed.Token);
        }
        catch (OperationCanceledException) when (helpers.Any(h => h.IsFaulted))
        {
            // Reported below from the helper's own exception.
        }
        finally
        {
            transactions.Writer.TryComplete();
            await streamFailed.CancelAsync();
            foreach (var helper in helpers)
            {
                try
                {
                    await helper;
                }
                catch (OperationCanceledException)
                {
                    // The reader's failure (or shutdown) is the one that matters.
                }
            }
        }
    }

    /// <summary>A failed helper must stop the reader too; the stream restarts from the last acknowledged LSN.</summary>
    private static Task Guard(Func<Task> helper, CancellationTokenSource streamFailed) => Task.Run(
        async () =>
        {
            try
            {
                await helper();
            }
            catch
            {
                await streamFailed.CancelAsync();
                throw;
            }
        },
        CancellationToken.None);

    private async Task ReadAsync(LogicalReplicationConnection replication, ChannelWriter<CapturedTransaction> output, CancellationToken cancellationToken)
    {
        var relations = new Dictionary<uint, (TrackedTable Table, int[] Positions)?>();
        var rows = new List<CapturedRow>();
        var truncated = new List<TrackedTable>();
        var slot = new PgOutputReplicationSlot(_options.SlotName);
        // messages: true delivers the heartbeat's logical message; pgoutput knows the option from PG 14 (protocol V1 is enough).
        // On PG 13 the stream runs without it and the heartbeat only writes, so a quiet slot advances with the next tracked change.
        var messages = replication.PostgreSqlVersion.Major >= 14;
        var streamOptions = new PgOutputReplicationOptions(_options.PublicationName, PgOutputProtocolVersion.V1, messages: messages ? true : null);
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
                case InsertMessage or UpdateMessage or DeleteMessage:
                    var (relationId, images) = RowImages(message);
                    foreach (var image in images)
                    {
                        await AddRowAsync(relations, relationId, image, rows, cancellationToken);
                    }

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
                case LogicalDecodingMessage { Prefix: HeartbeatPrefix } heartbeat:
                    // Decoded in WAL order, so every commit before it is already queued: acknowledging it after them loses nothing.
                    await output.WriteAsync(new CapturedTransaction([], [], (ulong)heartbeat.WalEnd), cancellationToken);
                    break;
            }
        }
    }

    /// <summary>
    /// The row images of a row change that name affected products: the new row of an insert or update, plus the old
    /// key or row when the server sent it (key changed, REPLICA IDENTITY FULL, delete), so the old key's products are
    /// marked too. Lazy on purpose: a tuple streams from the connection and must be read before the next is touched.
    /// </summary>
    private static (uint RelationId, IEnumerable<ReplicationTuple> Images) RowImages(PgOutputReplicationMessage message) => message switch
    {
        InsertMessage insert => (insert.Relation.RelationId, [insert.NewRow]),
        IndexUpdateMessage keyChange => (keyChange.Relation.RelationId, OldThenNew(keyChange.Key, keyChange)),
        FullUpdateMessage fullUpdate => (fullUpdate.Relation.RelationId, OldThenNew(fullUpdate.OldRow, fullUpdate)),
        UpdateMessage update => (update.Relation.RelationId, [update.NewRow]),
        KeyDeleteMessage keyDelete => (keyDelete.Relation.RelationId, [keyDelete.Key]),
        FullDeleteMessage fullDelete => (fullDelete.Relation.RelationId, [fullDelete.OldRow]),
        _ => (0, []),
    };

    private static IEnumerable<ReplicationTuple> OldThenNew(ReplicationTuple old, UpdateMessage update)
    {
        yield return old;
        yield return update.NewRow;
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

            var endLsn = batch[^1].EndLsn;
            await recorder.RecordAsync(
                batch.SelectMany(t => t.Rows).ToList(),
                batch.SelectMany(t => t.Truncated),
                (connection, transaction, ct) => ReplicationSetup.WriteCheckpointAsync(connection, transaction, _options.SlotName, endLsn, ct),
                cancellationToken);

            // Only now is it safe for the server to forget these transactions.
            replication.SetReplicationStatus(new NpgsqlLogSequenceNumber(endLsn));
        }
    }

    /// <summary>Writes a non-transactional logical message so a quiet catalog still gives the slot something to confirm.</summary>
    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await using var command = databases.Catalog.CreateCommand("SELECT pg_logical_emit_message(false, @prefix, '')");
                command.Parameters.AddWithValue("prefix", HeartbeatPrefix);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (NpgsqlException ex)
            {
                // A missed heartbeat only delays the slot's advance; the stream itself reports real trouble.
                LogHeartbeatFailed(ex.Message);
            }
        }
    }

    /// <summary>Reads the slot's health on a timer: logs it, keeps it for the health check, and restarts on a lost or missing slot.</summary>
    private async Task WatchSlotAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HealthInterval);
        do
        {
            var status = await SlotHealth.ReadAsync(databases.Catalog, _options.SlotName, cancellationToken);
            health.Record(status);
            if (status is null)
            {
                throw new SlotGoneException($"replication slot {_options.SlotName} disappeared while streaming; recreating it and resyncing");
            }

            if (status.IsLost)
            {
                throw new SlotGoneException($"replication slot {_options.SlotName} was invalidated (wal_status lost); recreating it and resyncing");
            }

            if (status.AtRisk || status.RetainedBytes > _options.WarnRetainedBytes)
            {
                LogSlotAtRisk(status.SlotName, status.WalStatus, status.RetainedBytes, status.SafeWalBytes);
            }
            else
            {
                LogSlotHealth(status.SlotName, status.WalStatus, status.RetainedBytes, status.LagBytes);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Streaming changes from slot {Slot}, publication {Publication}")]
    private partial void LogStreaming(string slot, string publication);

    [LoggerMessage(Level = LogLevel.Error, Message = "Capture cannot start: {Problem}")]
    private partial void LogSetupProblem(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication slot {Slot} is held by another process ({Detail}); retrying in {Seconds} s. " +
        "Usually a previous FeedSync's connection the server has not yet noticed is gone, which clears by itself. If it persists, another client reads the slot: " +
        "find its process with SELECT active_pid FROM pg_replication_slots WHERE slot_name = <the slot> and stop it (pg_terminate_backend), or give this FeedSync its own FeedSync:Capture:SlotName")]
    private partial void LogSlotHeld(string slot, string detail, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Capture restarts: {Why}")]
    private partial void LogSlotGone(string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change stream failed; reconnecting in {Seconds} s (unacknowledged changes are delivered again)")]
    private partial void LogStreamFailed(Exception exception, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Capture heartbeat failed: {Problem}")]
    private partial void LogHeartbeatFailed(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication slot {Slot} is at risk: wal_status {WalStatus}, retains {RetainedBytes} bytes of WAL, {SafeBytes} bytes left before the server may discard it")]
    private partial void LogSlotAtRisk(string slot, string? walStatus, long? retainedBytes, long? safeBytes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Replication slot {Slot}: wal_status {WalStatus}, retains {RetainedBytes} bytes, {LagBytes} bytes not yet confirmed")]
    private partial void LogSlotHealth(string slot, string? walStatus, long? retainedBytes, long? lagBytes);
}

/// <summary>The slot vanished or was invalidated while streaming; capture restarts, which recreates it and resyncs.</summary>
internal sealed class SlotGoneException(string message) : Exception(message);
