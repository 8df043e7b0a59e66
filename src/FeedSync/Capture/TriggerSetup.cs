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
internal sealed partial class TriggerSetup(
    Databases databases,
    IOptions<CatalogOptions> catalogOptions,
    IOptions<CaptureOptions> captureOptions,
    ILogger<TriggerSetup> logger)
{
    public const string Schema = "feedsync_capture";
    private const string RowTrigger = "feedsync_capture_row";
    private const string TruncateTrigger = "feedsync_capture_truncate";

    private readonly IReadOnlyList<TrackedTable> _tables = TrackedTable.From(catalogOptions.Value);
    private readonly TimeSpan _lockTimeout = captureOptions.Value.DdlLockTimeout;

    /// <summary>
    /// <c>feedsync migrate</c>: installs or updates the log and triggers, and upgrades a log from an older FeedSync;
    /// returns the tables whose triggers were missing (their past changes were not logged).
    /// </summary>
    public Task<IReadOnlyList<TrackedTable>> EnsureAsync(CancellationToken cancellationToken) => EnsureAsync(migrating: true, cancellationToken);

    /// <summary>
    /// Trigger capture's start: installs what is missing, but leaves upgrades of an existing log to <c>feedsync migrate</c>
    /// (the only place that alters it) and stops with an error naming that command when one is due.
    /// </summary>
    public Task<IReadOnlyList<TrackedTable>> EnsureForCaptureAsync(CancellationToken cancellationToken) => EnsureAsync(migrating: false, cancellationToken);

    private async Task<IReadOnlyList<TrackedTable>> EnsureAsync(bool migrating, CancellationToken cancellationToken)
    {
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        var (exists, hasLoggedAt) = await ReadLogAsync(connection, cancellationToken);
        if (exists && !hasLoggedAt && !migrating)
        {
            throw new CaptureSetupException(
                $"The trigger change log {Schema}.change_log predates its logged_at column (it feeds the capture-lag figure), and FeedSync upgrades an existing " +
                "log only in `feedsync migrate`. Run `feedsync migrate` once as the log's owner; capture starts by itself once the column exists (changes keep being logged meanwhile).");
        }

        if (await IsInstalledAsync(connection, cancellationToken))
        {
            // At start-up nothing changes here, so a least-privilege runtime role that cannot run DDL still starts.
            if (!hasLoggedAt)
            {
                await AddLoggedAtAsync(connection, cancellationToken);
            }

            return [];
        }

        return await InstallAsync(connection, cancellationToken);
    }

    private async Task<IReadOnlyList<TrackedTable>> InstallAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var installed = new List<TrackedTable>();
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            try
            {
                await CatalogDdl.SetLockTimeoutAsync(connection, transaction, _lockTimeout, cancellationToken);
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
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.LockNotAvailable)
            {
                await transaction.RollbackAsync(cancellationToken);
                throw await CatalogDdl.LockTimeoutErrorAsync(connection, "install the capture triggers", LockedRelations(), _lockTimeout, cancellationToken);
            }
        }

        foreach (var table in installed)
        {
            LogInstalled(table.Table.ToString());
        }

        return installed;
    }

    /// <summary>Whether the change log exists, and whether it has <c>logged_at</c> (logs from before the capture-lag figure lack it).</summary>
    private static async Task<(bool Exists, bool HasLoggedAt)> ReadLogAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var check = new NpgsqlCommand($"""
            SELECT to_regclass('{Schema}.change_log') IS NOT NULL,
                   EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = @schema AND table_name = 'change_log' AND column_name = 'logged_at')
            """, connection);
        check.Parameters.AddWithValue("schema", Schema);
        await using var reader = await check.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetBoolean(0), reader.GetBoolean(1));
    }

    /// <summary>Upgrades a log from before the capture-lag figure (only <c>feedsync migrate</c> gets here).</summary>
    private async Task AddLoggedAtAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // ADD COLUMN wants an ACCESS EXCLUSIVE lock on the log; queued behind a long transaction it would block every
        // catalog write (each fires the trigger that inserts into the log), so it gives up after the short lock timeout.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await CatalogDdl.SetLockTimeoutAsync(connection, transaction, _lockTimeout, cancellationToken);
            await ExecuteAsync(connection, transaction, $"ALTER TABLE {Schema}.change_log ADD COLUMN IF NOT EXISTS logged_at timestamptz NOT NULL DEFAULT now()", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogLoggedAtAdded(Schema);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new CaptureSetupException(
                $"Cannot add the logged_at column to {Schema}.change_log: {ex.MessageText}. Run `feedsync migrate` once as the log's owner (the role that installed the triggers).");
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.LockNotAvailable)
        {
            await transaction.RollbackAsync(cancellationToken);
            throw await CatalogDdl.LockTimeoutErrorAsync(connection, $"add the logged_at column to {Schema}.change_log", [$"{Schema}.change_log"], _lockTimeout, cancellationToken);
        }
    }

    /// <summary>The relations the install locks: the change log and every tracked table.</summary>
    private IEnumerable<string> LockedRelations() => [$"{Schema}.change_log", .. _tables.Select(t => t.Table.Quoted)];

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Added the logged_at column to {Schema}.change_log; the capture-lag figure is known from now on")]
    private partial void LogLoggedAtAdded(string schema);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Installed the capture triggers on {Table}")]
    private partial void LogInstalled(string table);
}
