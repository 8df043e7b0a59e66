using System.Text.RegularExpressions;
using FeedSync.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Catalog;

/// <summary>
/// Reads the retailer's feed view. The view's key type is learned once so the key filter is typed and the
/// view's indexes are used (comparing <c>product_key::text</c> would scan).
/// </summary>
internal sealed partial class FeedView(Databases databases, IOptions<CatalogOptions> options)
{
    private readonly SqlIdentifier _view = SqlIdentifier.Parse(options.Value.FeedView);
    private string? _keyType;

    public SqlIdentifier Name => _view;

    [GeneratedRegex(@"^[a-z][a-z0-9_ ]*(\([0-9, ]+\))?$")]
    private static partial Regex SafeTypeName();

    /// <summary>Current rows for these product keys (all destinations), grouped by key.</summary>
    public async Task<Dictionary<string, List<FeedRow>>> ReadAsync(IReadOnlyCollection<string> productKeys, CancellationToken cancellationToken)
    {
        var keyType = await KeyTypeAsync(cancellationToken);
        var rows = new Dictionary<string, List<FeedRow>>(StringComparer.Ordinal);
        await using var command = databases.Catalog.CreateCommand(
            $"SELECT * FROM {_view.Quoted} WHERE product_key = ANY(CAST(@keys AS {keyType}[]))");
        command.Parameters.AddWithValue("keys", productKeys.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = ReadRow(reader);
            if (!rows.TryGetValue(row.ProductKey, out var list))
            {
                rows[row.ProductKey] = list = [];
            }

            list.Add(row);
        }

        return rows;
    }

    /// <summary>Every distinct product key in the view, in the current snapshot.</summary>
    public IAsyncEnumerable<string> ReadAllKeysAsync(CancellationToken cancellationToken) => ReadAllKeysAsync(null, cancellationToken);

    /// <summary>Every distinct product key in the view, streamed (the catalog is never held in memory).</summary>
    /// <param name="snapshotName">An exported snapshot (a new replication slot's start point) to read the view as of, or null for now.</param>
    public async IAsyncEnumerable<string> ReadAllKeysAsync(string? snapshotName, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        if (snapshotName is not null)
        {
            // SET TRANSACTION SNAPSHOT takes no parameters; the name comes from the server and is checked to be hex and dashes.
            if (!SnapshotNamePattern().IsMatch(snapshotName))
            {
                throw new ArgumentException($"Unexpected snapshot name '{snapshotName}'.", nameof(snapshotName));
            }

            await using var use = new NpgsqlCommand($"SET TRANSACTION SNAPSHOT '{snapshotName}'", connection, transaction);
            await use.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand($"SELECT DISTINCT product_key::text FROM {_view.Quoted}", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return reader.GetString(0);
        }
    }

    [GeneratedRegex("^[0-9A-Fa-f-]+$")]
    private static partial Regex SnapshotNamePattern();

    /// <param name="first">The ordinal of the view's first column (columns before it are FeedSync's own).</param>
    /// <param name="names">The lower-case column names, when the caller reads many rows and computed them once.</param>
    private static FeedRow ReadRow(NpgsqlDataReader reader, int first = 0, string[]? names = null)
    {
        var values = new Dictionary<string, object?>(reader.FieldCount, StringComparer.OrdinalIgnoreCase);
        string? key = null;
        for (var i = first; i < reader.FieldCount; i++)
        {
            var name = names?[i] ?? reader.GetName(i).ToLowerInvariant();
            var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
            values[name] = value;
            if (name == "product_key")
            {
                key = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return new FeedRow(key ?? "", values);
    }

    private async Task<string> KeyTypeAsync(CancellationToken cancellationToken)
    {
        if (_keyType is not null)
        {
            return _keyType;
        }

        await using var command = databases.Catalog.CreateCommand("""
            SELECT format_type(a.atttypid, a.atttypmod)
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @schema AND c.relname = @name AND a.attname = 'product_key' AND NOT a.attisdropped
            """);
        command.Parameters.AddWithValue("schema", _view.SchemaOrPublic);
        command.Parameters.AddWithValue("name", _view.Name);
        var type = await command.ExecuteScalarAsync(cancellationToken) as string
            ?? throw new InvalidOperationException($"Feed view {_view} has no product_key column.");

        // The type name comes from the server's catalog, but it is still checked before it goes into SQL text.
        _keyType = SafeTypeName().IsMatch(type) ? type : "text";
        return _keyType;
    }
}
