using Npgsql;

namespace FeedSync.Catalog;

/// <summary>A feed-view row with the md5 of the whole row as PostgreSQL prints it in JSON (its source fingerprint).</summary>
internal readonly record struct SourcedRow(FeedRow Row, byte[] Source);

/// <summary>
/// Reads the view for reconciliation: the fingerprint of every row, computed by PostgreSQL with one expression
/// (<c>md5(row_to_json(v)::text)</c>) so that equal fingerprints mean equal column names and values, and only the few columns needed to
/// name the destination and judge its sale window in .NET. Whole rows are read only for the keys that may differ.
/// </summary>
internal sealed partial class FeedView
{
    /// <summary>
    /// The one expression that fingerprints a view row; the same for narrow pages and whole rows. The JSON form
    /// carries the column names as well as the values, so a view redefined with a column renamed in place (which
    /// the mapper reads by name) changes every fingerprint, where <c>v::text</c> would not.
    /// </summary>
    private const string SourceExpression = "decode(md5(row_to_json(v)::text), 'hex')";

    /// <summary>Besides the identity, the columns the mapper reads with FeedSync's clock, and the boundary columns.</summary>
    private static readonly string[] TimeColumns = ["sale_price", "sale_price_start", "sale_price_end", "availability_date"];

    private string? _narrowColumns;

    /// <summary>
    /// One keyset page of fingerprints: up to <paramref name="limit"/> rows after <paramref name="afterKey"/> in key
    /// order, each with product_key, the identity columns, the sale and availability columns the view has, and its
    /// fingerprint, in key order (the view is built so this reads only its page). A key's rows may straddle the page
    /// end; the caller completes or drops the last key of a full page.
    /// </summary>
    public async Task<List<SourcedRow>> ReadSourcePageAsync(string? afterKey, int limit, CancellationToken cancellationToken) =>
        await ReadSourcedPageAsync(await NarrowColumnsAsync(cancellationToken), afterKey, limit, cancellationToken);

    /// <summary>One keyset page of whole rows, each with its fingerprint (the benchmark records a finished sync with it).</summary>
    public Task<List<SourcedRow>> ReadSourcedPageAsync(string? afterKey, int limit, CancellationToken cancellationToken) =>
        ReadSourcedPageAsync("v.*", afterKey, limit, cancellationToken);

    private async Task<List<SourcedRow>> ReadSourcedPageAsync(string columns, string? afterKey, int limit, CancellationToken cancellationToken)
    {
        await using var command = await KeyRangeCommandAsync(columns, afterKey, lastKey: null, limit, cancellationToken);
        return await ReadSourcedAsync(command, limit, cancellationToken);
    }

    /// <summary>
    /// Whole rows with keys after <paramref name="afterKey"/> (null: from the start) up to and including
    /// <paramref name="lastKey"/>, each with its fingerprint: as cheap as a page, where a long key list is not.
    /// </summary>
    public async Task<List<SourcedRow>> ReadSourcedRangeAsync(string? afterKey, string lastKey, int capacity, CancellationToken cancellationToken)
    {
        await using var command = await KeyRangeCommandAsync("v.*", afterKey, lastKey, limit: null, cancellationToken);
        return await ReadSourcedAsync(command, capacity, cancellationToken);
    }

    /// <summary>Fingerprinted rows in key order after <paramref name="afterKey"/>, up to <paramref name="lastKey"/> and/or <paramref name="limit"/> rows.</summary>
    private async Task<NpgsqlCommand> KeyRangeCommandAsync(string columns, string? afterKey, string? lastKey, int? limit, CancellationToken cancellationToken)
    {
        var keyType = await KeyTypeAsync(cancellationToken);
        var bounds = new List<string>();
        var command = databases.Catalog.CreateCommand();
        if (afterKey is not null)
        {
            bounds.Add($"product_key > CAST(@after AS {keyType})");
            command.Parameters.AddWithValue("after", afterKey);
        }

        if (lastKey is not null)
        {
            bounds.Add($"product_key <= CAST(@last AS {keyType})");
            command.Parameters.AddWithValue("last", lastKey);
        }

        if (limit is not null)
        {
            command.Parameters.AddWithValue("limit", limit.Value);
        }

        command.CommandText = $"SELECT {SourceExpression}, {columns} FROM {_view.Quoted} v"
            + (bounds.Count > 0 ? " WHERE " + string.Join(" AND ", bounds) : "")
            + " ORDER BY product_key"
            + (limit is not null ? " LIMIT @limit" : "");
        return command;
    }

    /// <summary>Whole current rows of these keys, each with its fingerprint, read in one snapshot.</summary>
    public async Task<List<SourcedRow>> ReadSourcedAsync(IReadOnlyCollection<string> productKeys, CancellationToken cancellationToken)
    {
        var keyType = await KeyTypeAsync(cancellationToken);
        await using var command = databases.Catalog.CreateCommand(
            $"SELECT {SourceExpression}, v.* FROM {_view.Quoted} v WHERE product_key = ANY(CAST(@keys AS {keyType}[]))");
        command.Parameters.AddWithValue("keys", productKeys.ToArray());
        return await ReadSourcedAsync(command, productKeys.Count, cancellationToken);
    }

    private static async Task<List<SourcedRow>> ReadSourcedAsync(NpgsqlCommand command, int capacity, CancellationToken cancellationToken)
    {
        var rows = new List<SourcedRow>(capacity);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var names = Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetName(i).ToLowerInvariant()).ToArray();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new SourcedRow(ReadRow(reader, first: 1, names), (byte[])reader[0]));
        }

        return rows;
    }

    /// <summary>The quoted narrow column list, learned once from the view (the time columns are optional).</summary>
    private async Task<string> NarrowColumnsAsync(CancellationToken cancellationToken)
    {
        if (_narrowColumns is not null)
        {
            return _narrowColumns;
        }

        await using var command = databases.Catalog.CreateCommand($"SELECT * FROM {_view.Quoted} LIMIT 0");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var present = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToHashSet(StringComparer.Ordinal);
        var wanted = new[] { "product_key", "offer_id", "content_language", "feed_label" }.Concat(TimeColumns).Where(present.Contains);

        // The names are FeedSync's own constants, checked against the view's columns; quoted all the same.
        _narrowColumns = string.Join(", ", wanted.Select(c => "v." + SqlIdentifier.QuoteColumn(c)));
        return _narrowColumns;
    }
}
