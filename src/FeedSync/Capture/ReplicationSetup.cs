using FeedSync.Catalog;
using FeedSync.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Npgsql.Replication;
using NpgsqlTypes;

namespace FeedSync.Capture;

/// <summary>
/// Creates what logical replication needs in the catalog database: a publication covering the tracked tables
/// and a <c>pgoutput</c> slot. A new slot is created with an exported snapshot and every product in the feed
/// view as of that snapshot is marked dirty, so the initial load and the stream meet exactly. Reports set-up
/// problems in words an operator can act on.
/// </summary>
internal sealed partial class ReplicationSetup(
    Databases databases,
    FullResync fullResync,
    IOptions<CaptureOptions> captureOptions,
    IOptions<CatalogOptions> catalogOptions,
    ILogger<ReplicationSetup> logger)
{
    private readonly CaptureOptions _capture = captureOptions.Value;

    /// <summary>
    /// Ensures publication and slot exist and FeedSync has seen the catalog as of the slot's start; returns true
    /// when a full resync was queued (slot created, recreated, or never loaded into this state database).
    /// </summary>
    public async Task<bool> EnsureAsync(CancellationToken cancellationToken)
    {
        await using (var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken))
        {
            await CheckWalLevelAsync(connection, cancellationToken);
            await EnsurePublicationAsync(connection, cancellationToken);
        }

        var slot = await SlotHealth.ReadAsync(databases.Catalog, _capture.SlotName, cancellationToken);
        var checkpoint = await ReadCheckpointAsync(cancellationToken);
        if (slot is { Plugin: not "pgoutput" })
        {
            throw new CaptureSetupException($"Replication slot {_capture.SlotName} uses plugin {slot.Plugin}, not pgoutput. Choose another FeedSync:Capture:SlotName or drop that slot.");
        }

        if (slot is { IsLost: false })
        {
            if (checkpoint is not null)
            {
                return false;
            }

            // The slot exists but this state database never recorded a load (slot made by hand, state reset, or a crash during the load).
            await fullResync.MarkAllDirtyAsync($"replication slot {_capture.SlotName} exists but no initial load was recorded for it", cancellationToken);
            await WriteCheckpointAsync(slot.ConfirmedFlushLsn ?? 0, cancellationToken);
            return true;
        }

        string why;
        if (slot is { IsLost: true })
        {
            why = $"replication slot {_capture.SlotName} was lost (the server discarded WAL it still needed, see max_slot_wal_keep_size); changes since {Lsn(checkpoint)} may be missing";
            await DropSlotAsync(cancellationToken);
        }
        else
        {
            why = checkpoint is null
                ? $"replication slot {_capture.SlotName} was just created"
                : $"replication slot {_capture.SlotName} was missing (dropped, or the catalog failed over or was restored) although changes up to {Lsn(checkpoint)} were recorded; changes after that may be missing";
        }

        if (checkpoint is not null)
        {
            LogSlotRecreated(_capture.SlotName, why);
        }

        await CreateSlotAndLoadAsync(why, cancellationToken);
        return true;
    }

    /// <summary>
    /// Replaces a slot that cannot stream with a new one and a full load. The walsender that just failed may still hold
    /// the slot for a moment, so the drop waits for it, but not forever (another client may be reading the slot).
    /// </summary>
    public async Task RecreateSlotAsync(string why, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await using (var replication = await OpenReplicationAsync(databases.CatalogConnectionString, cancellationToken))
        {
            try
            {
                await replication.DropReplicationSlot(_capture.SlotName, wait: true, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CaptureSetupException($"Replication slot {_capture.SlotName} must be recreated ({why}) but another process keeps it in use; stop the client that reads it.");
            }
        }

        await CreateSlotAndLoadAsync(why, cancellationToken);
    }

    /// <summary>Creates the slot with an exported snapshot and marks every product of that snapshot dirty before the snapshot expires.</summary>
    private async Task CreateSlotAndLoadAsync(string why, CancellationToken cancellationToken)
    {
        await using var replication = await OpenReplicationAsync(databases.CatalogConnectionString, cancellationToken);
        Npgsql.Replication.PgOutput.PgOutputReplicationSlot slot;
        try
        {
            slot = await replication.CreatePgOutputReplicationSlot(_capture.SlotName, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.Export, cancellationToken: cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new CaptureSetupException($"Cannot create replication slot {_capture.SlotName}: {ex.MessageText}. The catalog role needs the REPLICATION attribute: ALTER ROLE <role> REPLICATION; (or set FeedSync:Capture:Mode = Trigger).");
        }

        LogSlotCreated(_capture.SlotName, slot.ConsistentPoint.ToString());

        // The snapshot lives until the next command on the replication connection, so nothing else is sent on it until the load is done.
        await fullResync.MarkAllDirtyAsync(why, cancellationToken, slot.SnapshotName);
        await WriteCheckpointAsync((ulong)slot.ConsistentPoint, cancellationToken);
    }

    /// <summary>Opens a replication connection, turning the usual refusals into instructions.</summary>
    public static async Task<LogicalReplicationConnection> OpenReplicationAsync(string connectionString, CancellationToken cancellationToken)
    {
        var replication = new LogicalReplicationConnection(connectionString);
        try
        {
            await replication.Open(cancellationToken);
            return replication;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidAuthorizationSpecification && ex.MessageText.Contains("pg_hba", StringComparison.Ordinal))
        {
            await replication.DisposeAsync();
            var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
            throw new CaptureSetupException(
                $"The catalog server refused the replication connection: {ex.MessageText}. For logical replication pg_hba.conf must allow the database " +
                $"itself ({database}), not the keyword 'replication' (that matches physical replication only), e.g. 'host {database} <role> <address> scram-sha-256'; reload the server afterwards. " +
                "Or set FeedSync:Capture:Mode = Trigger.");
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege)
        {
            await replication.DisposeAsync();
            throw new CaptureSetupException(
                $"The catalog role may not open a replication connection: {ex.MessageText}. Grant it: ALTER ROLE <role> REPLICATION; " +
                "(RDS: GRANT rds_replication TO <role>; Cloud SQL: ALTER USER <role> WITH REPLICATION). Or set FeedSync:Capture:Mode = Trigger.");
        }
        catch
        {
            await replication.DisposeAsync();
            throw;
        }
    }

    public async Task DropAsync(CancellationToken cancellationToken)
    {
        await DropSlotAsync(cancellationToken);
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        await using var publication = new NpgsqlCommand($"DROP PUBLICATION IF EXISTS {SqlIdentifier.Parse(_capture.PublicationName).Quoted}", connection);
        await publication.ExecuteNonQueryAsync(cancellationToken);
        await using var state = databases.State.CreateCommand("DELETE FROM feedsync.capture_checkpoint WHERE slot_name = @slot");
        state.Parameters.AddWithValue("slot", _capture.SlotName);
        try
        {
            await state.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable)
        {
            // State schema not migrated yet: nothing recorded.
        }
    }

    private async Task DropSlotAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        await using var slot = new NpgsqlCommand("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = @slot", connection);
        slot.Parameters.AddWithValue("slot", _capture.SlotName);
        try
        {
            await slot.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.ObjectInUse)
        {
            throw new CaptureSetupException($"Replication slot {_capture.SlotName} is in use by another process ({ex.MessageText}); stop the FeedSync instance that reads it first.");
        }
    }

    private async Task<ulong?> ReadCheckpointAsync(CancellationToken cancellationToken)
    {
        await using var command = databases.State.CreateCommand("SELECT confirmed_lsn FROM feedsync.capture_checkpoint WHERE slot_name = @slot");
        command.Parameters.AddWithValue("slot", _capture.SlotName);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is NpgsqlLogSequenceNumber lsn ? (ulong)lsn : null;
    }

    private async Task WriteCheckpointAsync(ulong lsn, CancellationToken cancellationToken)
    {
        await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
        await WriteCheckpointAsync(connection, null, _capture.SlotName, lsn, cancellationToken);
    }

    /// <summary>Records the LSN up to which changes are in <c>feedsync.pending</c> (in the caller's transaction).</summary>
    public static async Task WriteCheckpointAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string slotName, ulong lsn, CancellationToken cancellationToken)
    {
        await using var checkpoint = new NpgsqlCommand("""
            INSERT INTO feedsync.capture_checkpoint (slot_name, confirmed_lsn, updated_at) VALUES (@slot, @lsn, now())
            ON CONFLICT (slot_name) DO UPDATE SET confirmed_lsn = excluded.confirmed_lsn, updated_at = excluded.updated_at
            """, connection, transaction);
        checkpoint.Parameters.AddWithValue("slot", slotName);
        checkpoint.Parameters.AddWithValue("lsn", NpgsqlDbType.PgLsn, new NpgsqlLogSequenceNumber(lsn));
        await checkpoint.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Lsn(ulong? lsn) => lsn is { } value ? new NpgsqlLogSequenceNumber(value).ToString() : "?";

    private static async Task CheckWalLevelAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SHOW wal_level", connection);
        var level = (string?)await command.ExecuteScalarAsync(cancellationToken);
        if (level != "logical")
        {
            throw new CaptureSetupException(
                $"The catalog database has wal_level = {level}; logical replication needs wal_level = logical (set it in postgresql.conf and restart; " +
                "on RDS set rds.logical_replication = 1, on Cloud SQL cloudsql.logical_decoding = on, on Azure azure.replication_support = logical). " +
                "If you cannot change it, set FeedSync:Capture:Mode = Trigger (a trigger change log; needs no replication rights).");
        }
    }

    private async Task EnsurePublicationAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var publication = SqlIdentifier.Parse(_capture.PublicationName);
        var tables = catalogOptions.Value.TrackedTables.Select(t => SqlIdentifier.Parse(t.Table)).ToList();

        await using var existing = new NpgsqlCommand("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = @name", connection);
        existing.Parameters.AddWithValue("name", publication.Name);
        var published = new HashSet<(string, string)>();
        bool exists;
        await using (var reader = await existing.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                published.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        exists = await PublicationExistsAsync(connection, publication.Name, cancellationToken);

        var missing = tables.Where(t => !published.Contains((t.SchemaOrPublic, t.Name))).ToList();
        if (exists && missing.Count == 0)
        {
            return;
        }

        var list = string.Join(", ", (exists ? missing : tables).Select(t => t.Quoted));
        var sql = exists ? $"ALTER PUBLICATION {publication.Quoted} ADD TABLE {list}" : $"CREATE PUBLICATION {publication.Quoted} FOR TABLE {list}";
        // Publishing a table takes a SHARE UPDATE EXCLUSIVE lock on it; waiting in the queue for it would hold up the
        // table's other DDL, vacuum and index builds, so it gets the same short lock timeout as the trigger install.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await CatalogDdl.SetLockTimeoutAsync(connection, transaction, _capture.DdlLockTimeout, cancellationToken);
            await using (var create = new NpgsqlCommand(sql, connection, transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            LogPublication(publication.ToString(), list);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new CaptureSetupException(exists
                ? $"Publication {publication} lacks the tracked table(s) {list}, and this role cannot add them ({ex.MessageText}). Run as the tables' owner: {sql};"
                : $"Cannot create publication {publication}: {ex.MessageText}. Run as the tables' owner: {sql};");
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.LockNotAvailable)
        {
            await transaction.RollbackAsync(cancellationToken);
            throw await CatalogDdl.LockTimeoutErrorAsync(
                connection, $"publish {list} in {publication}", (exists ? missing : tables).Select(t => t.Quoted), _capture.DdlLockTimeout, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Publication {Publication} now covers {Tables}")]
    private partial void LogPublication(string publication, string tables);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication slot {Slot} was created at {Lsn}; every product is re-read once, as of the slot's start, so nothing before it is missed")]
    private partial void LogSlotCreated(string slot, string lsn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recreating replication slot {Slot} and resyncing the whole catalog: {Why}")]
    private partial void LogSlotRecreated(string slot, string why);

    public static async Task<bool> PublicationExistsAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var check = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = @name)", connection);
        check.Parameters.AddWithValue("name", name);
        return (bool)(await check.ExecuteScalarAsync(cancellationToken))!;
    }
}

/// <summary>A catalog set-up problem that capture cannot work around; the message says what to change.</summary>
internal sealed class CaptureSetupException(string message) : Exception(message);
