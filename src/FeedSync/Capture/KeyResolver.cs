using FeedSync.Hosting;
using Npgsql;
using NpgsqlTypes;

namespace FeedSync.Capture;

/// <summary>
/// Turns changed rows into product keys: directly from the key column, or by running the table's key query
/// (one round trip per batch of distinct parameter sets). Capture never interprets any other column.
/// </summary>
internal sealed class KeyResolver(Databases databases)
{
    private const int QueriesPerRoundTrip = 500;

    public async Task<HashSet<string>> ResolveAsync(IEnumerable<CapturedRow> rows, CancellationToken cancellationToken)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var queries = new List<(TrackedTable Table, string?[] Values)>();
        var seenQueries = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (row.Table.KeyColumn is not null)
            {
                if (row.Values[0] is { } key)
                {
                    keys.Add(key);
                }
            }
            else if (seenQueries.Add(row.Table.Table + "\u0001" + string.Join("\u0001", row.Values)))
            {
                queries.Add((row.Table, row.Values));
            }
        }

        if (queries.Count == 0)
        {
            return keys;
        }

        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        foreach (var chunk in queries.Chunk(QueriesPerRoundTrip))
        {
            await using var batch = new NpgsqlBatch(connection);
            foreach (var (table, values) in chunk)
            {
                var command = new NpgsqlBatchCommand(table.KeyQuery!);
                for (var i = 0; i < table.Columns.Count; i++)
                {
                    // Sent untyped so the server infers the column's type, as it would for a literal.
                    command.Parameters.Add(new NpgsqlParameter(table.Columns[i], NpgsqlDbType.Unknown) { Value = (object?)values[i] ?? DBNull.Value });
                }

                batch.BatchCommands.Add(command);
            }

            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (!reader.IsDBNull(0))
                    {
                        keys.Add(Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
                    }
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        return keys;
    }
}
