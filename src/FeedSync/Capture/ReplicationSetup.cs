using FeedSync.Catalog;
using FeedSync.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Capture;

/// <summary>
/// Creates what logical replication needs in the catalog database: a publication covering the tracked tables
/// and a <c>pgoutput</c> slot. Reports set-up problems in words an operator can act on.
/// </summary>
internal sealed partial class ReplicationSetup(Databases databases, IOptions<CaptureOptions> captureOptions, IOptions<CatalogOptions> catalogOptions, ILogger<ReplicationSetup> logger)
{
    private readonly CaptureOptions _capture = captureOptions.Value;

    /// <summary>Ensures publication and slot exist; returns true when the slot was created now (so nothing before it was streamed).</summary>
    public async Task<bool> EnsureAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        await CheckWalLevelAsync(connection, cancellationToken);
        await EnsurePublicationAsync(connection, cancellationToken);
        return await EnsureSlotAsync(connection, cancellationToken);
    }

    public async Task DropAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        await using (var slot = new NpgsqlCommand("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = @slot", connection))
        {
            slot.Parameters.AddWithValue("slot", _capture.SlotName);
            await slot.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var publication = new NpgsqlCommand($"DROP PUBLICATION IF EXISTS {SqlIdentifier.Parse(_capture.PublicationName).Quoted}", connection);
        await publication.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task CheckWalLevelAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SHOW wal_level", connection);
        var level = (string?)await command.ExecuteScalarAsync(cancellationToken);
        if (level != "logical")
        {
            throw new CaptureSetupException(
                $"The catalog database has wal_level = {level}; logical replication needs wal_level = logical (set it in postgresql.conf and restart; " +
                "on RDS set rds.logical_replication = 1, on Cloud SQL cloudsql.logical_decoding = on, on Azure azure.replication_support = logical).");
        }
    }

    private async Task EnsurePublicationAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var publication = SqlIdentifier.Parse(_capture.PublicationName);
        var tables = catalogOptions.Value.TrackedTables.Select(t => SqlIdentifier.Parse(t.Table)).ToList();

        await using var existing = new NpgsqlCommand("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = @name", connection);
        existing.Parameters.AddWithValue("name", publication.Name);
        var published = new HashSet<(string, string)>();
        var exists = false;
        await using (var reader = await existing.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                published.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        await using (var check = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = @name)", connection))
        {
            check.Parameters.AddWithValue("name", publication.Name);
            exists = (bool)(await check.ExecuteScalarAsync(cancellationToken))!;
        }

        var missing = tables.Where(t => !published.Contains((t.SchemaOrPublic, t.Name))).ToList();
        if (exists && missing.Count == 0)
        {
            return;
        }

        var list = string.Join(", ", (exists ? missing : tables).Select(t => t.Quoted));
        var sql = exists ? $"ALTER PUBLICATION {publication.Quoted} ADD TABLE {list}" : $"CREATE PUBLICATION {publication.Quoted} FOR TABLE {list}";
        try
        {
            await using var create = new NpgsqlCommand(sql, connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            LogPublication(publication.ToString(), list);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new CaptureSetupException(
                $"Cannot {(exists ? "add " + list + " to" : "create")} publication {publication}: {ex.MessageText}. " +
                $"Run as the tables' owner: {sql};");
        }
    }

    private async Task<bool> EnsureSlotAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var check = new NpgsqlCommand("SELECT plugin, wal_status FROM pg_replication_slots WHERE slot_name = @slot", connection);
        check.Parameters.AddWithValue("slot", _capture.SlotName);
        await using (var reader = await check.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                var plugin = reader.GetString(0);
                var walStatus = reader.IsDBNull(1) ? null : reader.GetString(1);
                if (plugin != "pgoutput")
                {
                    throw new CaptureSetupException($"Replication slot {_capture.SlotName} uses plugin {plugin}, not pgoutput. Choose another FeedSync:Capture:SlotName or drop that slot.");
                }

                if (walStatus != "lost")
                {
                    return false;
                }

                // A lost slot can no longer stream: changes were discarded. Recreate it and resync everything.
                LogSlotLost(_capture.SlotName);
                await reader.DisposeAsync();
                await using var drop = new NpgsqlCommand("SELECT pg_drop_replication_slot(@slot)", connection);
                drop.Parameters.AddWithValue("slot", _capture.SlotName);
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        try
        {
            await using var create = new NpgsqlCommand("SELECT pg_create_logical_replication_slot(@slot, 'pgoutput')", connection);
            create.Parameters.AddWithValue("slot", _capture.SlotName);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new CaptureSetupException($"Cannot create replication slot {_capture.SlotName}: {ex.MessageText}. The catalog role needs the REPLICATION attribute: ALTER ROLE <role> REPLICATION;");
        }

        LogSlotCreated(_capture.SlotName);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Publication {Publication} now covers {Tables}")]
    private partial void LogPublication(string publication, string tables);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication slot {Slot} was created; every product will be re-read once so nothing from before the slot is missed")]
    private partial void LogSlotCreated(string slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replication slot {Slot} is lost (the server discarded WAL it needed); recreating it and resyncing the whole catalog")]
    private partial void LogSlotLost(string slot);
}

/// <summary>A catalog set-up problem that capture cannot work around; the message says what to change.</summary>
internal sealed class CaptureSetupException(string message) : Exception(message);
