using System.Security.Cryptography;
using System.Text;
using FeedSync.Catalog;
using FeedSync.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Capture;

/// <summary>
/// Trigger mode's objects in the catalog database: schema <c>feedsync_capture</c> with the change log, one row
/// trigger function per tracked table (it copies just the columns capture needs, cast to text as logical
/// decoding would deliver them) and a statement-level TRUNCATE trigger. Functions are SECURITY DEFINER so the
/// application roles that write the catalog need no rights on the log.
/// </summary>
internal sealed partial class TriggerSetup(Databases databases, IOptions<CatalogOptions> catalogOptions, ILogger<TriggerSetup> logger)
{
    public const string Schema = "feedsync_capture";
    private const string RowTrigger = "feedsync_capture_row";
    private const string TruncateTrigger = "feedsync_capture_truncate";

    private readonly IReadOnlyList<TrackedTable> _tables = TrackedTable.From(catalogOptions.Value);

    /// <summary>Installs or updates the log and triggers; returns the tables whose triggers were missing (their past changes were not logged).</summary>
    public async Task<IReadOnlyList<TrackedTable>> EnsureAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        if (await IsInstalledAsync(connection, cancellationToken))
        {
            // Nothing to change: a least-privilege runtime role that cannot run the DDL below still starts.
            await AddLoggedAtAsync(connection, cancellationToken);
            return [];
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var installed = new List<TrackedTable>();
        try
        {
            await ExecuteAsync(connection, transaction, $"""
                CREATE SCHEMA IF NOT EXISTS {Schema};
                CREATE TABLE IF NOT EXISTS {Schema}.change_log (
                    seq          bigint GENERATED ALWAYS AS IDENTITY,
                    xid          xid8   NOT NULL DEFAULT pg_current_xact_id(),
                    table_schema name   NOT NULL,
                    table_name   name   NOT NULL,
                    key_values   text[],
                    truncated    boolean NOT NULL DEFAULT false,
                    logged_at    timestamptz NOT NULL DEFAULT now());
                ALTER TABLE {Schema}.change_log ADD COLUMN IF NOT EXISTS logged_at timestamptz NOT NULL DEFAULT now();
                CREATE INDEX IF NOT EXISTS change_log_position ON {Schema}.change_log (xid, seq);
                CREATE OR REPLACE FUNCTION {Schema}.log_truncate() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
                BEGIN
                    INSERT INTO {Schema}.change_log (table_schema, table_name, truncated) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, true);
                    RETURN NULL;
                END $fn$;
                """, cancellationToken);

            foreach (var table in _tables)
            {
                var function = FunctionName(table);
                await ExecuteAsync(connection, transaction, RowFunctionSql(table, function), cancellationToken);
                if (!await HasTriggersAsync(connection, transaction, table, cancellationToken))
                {
                    await ExecuteAsync(connection, transaction, $"""
                        DROP TRIGGER IF EXISTS {RowTrigger} ON {table.Table.Quoted};
                        DROP TRIGGER IF EXISTS {TruncateTrigger} ON {table.Table.Quoted};
                        CREATE TRIGGER {RowTrigger} AFTER INSERT OR UPDATE OR DELETE ON {table.Table.Quoted} FOR EACH ROW EXECUTE FUNCTION {function}();
                        CREATE TRIGGER {TruncateTrigger} AFTER TRUNCATE ON {table.Table.Quoted} FOR EACH STATEMENT EXECUTE FUNCTION {Schema}.log_truncate();
                        """, cancellationToken);
                    installed.Add(table);
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new CaptureSetupException(
                $"Cannot install the capture triggers: {ex.MessageText}. Trigger mode needs CREATE on the catalog database (for schema {Schema}) " +
                "and ownership of (or the TRIGGER privilege on) every tracked table; run `feedsync migrate` once as such a role.");
        }

        foreach (var table in installed)
        {
            LogInstalled(table.Table.ToString());
        }

        return installed;
    }

    /// <summary>
    /// Logs installed before the capture-lag figure lack <c>logged_at</c>. Adding it needs the log's owner; a runtime
    /// role that is not captures on regardless, and the lag shows as unknown until <c>feedsync migrate</c> runs.
    /// </summary>
    private async Task AddLoggedAtAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var check = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = @schema AND table_name = 'change_log' AND column_name = 'logged_at')", connection))
        {
            check.Parameters.AddWithValue("schema", Schema);
            if ((bool)(await check.ExecuteScalarAsync(cancellationToken))!)
            {
                return;
            }
        }

        // ADD COLUMN wants an ACCESS EXCLUSIVE lock on the log; queued behind a long transaction it would block every
        // catalog write (each fires the trigger that inserts into the log), so give up after a short wait instead.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await using (var timeout = new NpgsqlCommand("SET LOCAL lock_timeout = '2s'", connection, transaction))
            {
                await timeout.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var alter = new NpgsqlCommand($"ALTER TABLE {Schema}.change_log ADD COLUMN IF NOT EXISTS logged_at timestamptz NOT NULL DEFAULT now()", connection, transaction))
            {
                await alter.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege)
        {
            await transaction.RollbackAsync(cancellationToken);
            LogNoLagColumn(ex.MessageText);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.LockNotAvailable)
        {
            await transaction.RollbackAsync(cancellationToken);
            LogLagColumnLocked(ex.MessageText);
        }
    }

    /// <summary>Removes the triggers, their functions and the change log (dropping the schema cascades to the triggers).</summary>
    public async Task DropAsync(CancellationToken cancellationToken)
    {
        await using var command = databases.Catalog.CreateCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>True when the log exists and every tracked table has both triggers and an up-to-date row function.</summary>
    private async Task<bool> IsInstalledAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var log = new NpgsqlCommand($"SELECT to_regclass('{Schema}.change_log') IS NOT NULL", connection))
        {
            if (!(bool)(await log.ExecuteScalarAsync(cancellationToken))!)
            {
                return false;
            }
        }

        foreach (var table in _tables)
        {
            await using var source = new NpgsqlCommand(
                "SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = @schema AND p.proname = @name", connection);
            source.Parameters.AddWithValue("schema", Schema);
            source.Parameters.AddWithValue("name", FunctionName(table)[(Schema.Length + 1)..]);
            if (await source.ExecuteScalarAsync(cancellationToken) is not string body || body.Trim() != RowFunctionBody(table).Trim()
                || !await HasTriggersAsync(connection, null, table, cancellationToken))
            {
                return false;
            }
        }

        return true;
    }

    private static string RowFunctionSql(TrackedTable table, string function) => $"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn${RowFunctionBody(table)}$fn$;
        """;

    /// <summary>The row trigger function's body for one table: logs the needed columns of OLD and/or NEW (both when an update changes them).</summary>
    private static string RowFunctionBody(TrackedTable table)
    {
        string Values(string row) => "ARRAY[" + string.Join(", ", table.Columns.Select(c => $"{row}.{SqlIdentifier.QuoteColumn(c)}::text")) + "]::text[]";
        return $"""

            BEGIN
                IF TG_OP <> 'INSERT' THEN
                    INSERT INTO {Schema}.change_log (table_schema, table_name, key_values) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, {Values("OLD")});
                END IF;
                IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND {Values("NEW")} IS DISTINCT FROM {Values("OLD")}) THEN
                    INSERT INTO {Schema}.change_log (table_schema, table_name, key_values) VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, {Values("NEW")});
                END IF;
                RETURN NULL;
            END

            """;
    }

    /// <summary>A stable, short function name per table (identifiers are limited to 63 bytes).</summary>
    private static string FunctionName(TrackedTable table)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(table.Table.SchemaOrPublic + "." + table.Table.Name)))[..16];
        return $"{Schema}.log_{hash}";
    }

    private static async Task<bool> HasTriggersAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, TrackedTable table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @schema AND c.relname = @table AND t.tgname IN (@row, @truncate) AND t.tgenabled <> 'D'
            """, connection, transaction);
        command.Parameters.AddWithValue("schema", table.Table.SchemaOrPublic);
        command.Parameters.AddWithValue("table", table.Table.Name);
        command.Parameters.AddWithValue("row", RowTrigger);
        command.Parameters.AddWithValue("truncate", TruncateTrigger);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 2;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The change log predates the capture-lag figure and this role cannot add its logged_at column ({Problem}); capture works, the lag shows as unknown until `feedsync migrate` runs as the log's owner")]
    private partial void LogNoLagColumn(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The change log predates the capture-lag figure and its logged_at column could not be added: another transaction holds the log ({Problem}); capture works, the lag shows as unknown until the next start or `feedsync migrate` adds it")]
    private partial void LogLagColumnLocked(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Installed the capture triggers on {Table}")]
    private partial void LogInstalled(string table);
}
