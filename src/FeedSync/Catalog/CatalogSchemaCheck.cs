using FeedSync.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace FeedSync.Catalog;

/// <summary>
/// Checks at start-up that the catalog matches the configuration: the feed view has the contract's required
/// columns and every tracked table exists, has a primary key and carries its key columns. Each problem names
/// the configuration key and the fix, because this is where operators first meet FeedSync.
/// </summary>
internal sealed class CatalogSchemaCheck(Databases databases, IOptions<CatalogOptions> options)
{
    public async Task<IReadOnlyList<string>> FindProblemsAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var catalog = options.Value;
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);

        var view = SqlIdentifier.Parse(catalog.FeedView);
        var viewColumns = await ColumnsAsync(connection, view, cancellationToken);
        if (viewColumns.Count == 0)
        {
            problems.Add($"FeedSync:Catalog:FeedView: '{view}' does not exist or has no columns the catalog role can see. Create the view, or grant SELECT on it.");
        }
        else
        {
            var missing = ProductMapper.RequiredColumns.Where(c => !viewColumns.Contains(c)).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"FeedSync:Catalog:FeedView: '{view}' lacks required column(s) {string.Join(", ", missing)}. Add them to the view, named as in the catalog contract (README).");
            }
        }

        for (var i = 0; i < catalog.TrackedTables.Count; i++)
        {
            await CheckTrackedTableAsync(connection, $"FeedSync:Catalog:TrackedTables:{i}", catalog.TrackedTables[i], problems, cancellationToken);
        }

        return problems;
    }

    private static async Task CheckTrackedTableAsync(NpgsqlConnection connection, string key, TrackedTableOptions tracked, List<string> problems, CancellationToken cancellationToken)
    {
        var table = SqlIdentifier.Parse(tracked.Table);
        var columns = await ColumnsAsync(connection, table, cancellationToken);
        if (columns.Count == 0)
        {
            problems.Add($"{key}:Table: table '{table}' does not exist (or is not visible to the catalog role). Fix the name or grant SELECT.");
            return;
        }

        var primaryKey = await PrimaryKeyAsync(connection, table, cancellationToken);
        if (primaryKey.Count == 0)
        {
            problems.Add($"{key}:Table: table '{table}' has no primary key. Logical replication needs one to report updates and deletes: add a PRIMARY KEY.");
            return;
        }

        if (tracked.KeyColumn is { } keyColumn)
        {
            if (!columns.Contains(keyColumn))
            {
                problems.Add($"{key}:KeyColumn: '{table}' has no column '{keyColumn}'. Name the column that holds the product key.");
            }
            else if (!primaryKey.Contains(keyColumn))
            {
                problems.Add($"{key}:KeyColumn: '{keyColumn}' is not part of the primary key of '{table}', so a DELETE would not report it. Use KeyQuery with primary-key columns instead.");
            }

            return;
        }

        foreach (var parameter in tracked.KeyQueryParameters())
        {
            if (!columns.Contains(parameter))
            {
                problems.Add($"{key}:KeyQuery: parameter @{parameter} is not a column of '{table}'. Parameters are bound from the changed row's columns.");
            }
            else if (!primaryKey.Contains(parameter))
            {
                problems.Add($"{key}:KeyQuery: parameter @{parameter} is not part of the primary key of '{table}', so a DELETE would not carry it. Use primary-key columns ({string.Join(", ", primaryKey)}).");
            }
        }

        // Run the query once with NULL parameters and no rows wanted: this catches syntax errors and unknown names now.
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            await using var command = new NpgsqlCommand($"SELECT * FROM ({tracked.KeyQuery}) AS keys LIMIT 0", connection, transaction);
            foreach (var parameter in tracked.KeyQueryParameters())
            {
                command.Parameters.Add(new NpgsqlParameter(parameter, NpgsqlDbType.Unknown) { Value = DBNull.Value });
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
            await transaction.RollbackAsync(cancellationToken);
        }
        catch (PostgresException ex)
        {
            problems.Add($"{key}:KeyQuery: the query fails: {ex.MessageText}. It must be a SELECT returning product keys.");
        }
    }

    private static Task<HashSet<string>> ColumnsAsync(NpgsqlConnection connection, SqlIdentifier relation, CancellationToken cancellationToken) =>
        NamesAsync(connection, relation, """
            SELECT a.attname FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @schema AND c.relname = @name AND a.attnum > 0 AND NOT a.attisdropped
            """, cancellationToken);

    internal static Task<HashSet<string>> PrimaryKeyAsync(NpgsqlConnection connection, SqlIdentifier table, CancellationToken cancellationToken) =>
        NamesAsync(connection, table, """
            SELECT a.attname FROM pg_index i
            JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
            WHERE i.indisprimary AND n.nspname = @schema AND c.relname = @name
            """, cancellationToken);

    /// <summary>Runs a catalog query about one relation (bound as @schema, @name) that returns names.</summary>
    private static async Task<HashSet<string>> NamesAsync(NpgsqlConnection connection, SqlIdentifier relation, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("schema", relation.SchemaOrPublic);
        command.Parameters.AddWithValue("name", relation.Name);
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
