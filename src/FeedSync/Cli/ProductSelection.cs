using FeedSync.Catalog;
using FeedSync.Hosting;

namespace FeedSync.Cli;

/// <summary>
/// Which products a <c>resync</c> or <c>diff</c> concerns: every product, some offer ids, or those FeedSync pushed or
/// rejected since a time. Keys come in chunks so that "all" never holds the catalog in memory.
/// </summary>
internal sealed record ProductSelection(bool All, IReadOnlyList<string> OfferIds, DateTimeOffset? Since)
{
    public const int ChunkSize = 500;

    public string Describe() => All ? "all products" : OfferIds.Count > 0 ? $"offer id(s) {string.Join(", ", OfferIds)}" : $"products pushed or rejected since {Since:u}";

    /// <summary>Null when exactly one kind of selection was given; otherwise the message to print.</summary>
    public string? Problem() => (All ? 1 : 0) + (OfferIds.Count > 0 ? 1 : 0) + (Since is null ? 0 : 1) == 1
        ? null
        : "Choose exactly one of --all, --offer-id ID… or --since TIME.";

    /// <summary>Chunks of product keys; <c>GoneFromView</c> marks keys found only in what Google holds (for --all).</summary>
    public async IAsyncEnumerable<(IReadOnlyList<string> Keys, bool GoneFromView)> ChunksAsync(
        Databases databases, FeedView feedView, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (All)
        {
            var chunk = new List<string>(ChunkSize);
            await foreach (var key in feedView.ReadAllKeysAsync(cancellationToken).WithCancellation(cancellationToken))
            {
                chunk.Add(key);
                if (chunk.Count == ChunkSize)
                {
                    yield return (chunk, false);
                    chunk = new List<string>(ChunkSize);
                }
            }

            if (chunk.Count > 0)
            {
                yield return (chunk, false);
            }

            await foreach (var gone in QueryChunksAsync(databases.State, "SELECT DISTINCT product_key FROM feedsync.last_pushed", null, cancellationToken))
            {
                yield return (gone, true);
            }

            yield break;
        }

        var keys = new SortedSet<string>(StringComparer.Ordinal);
        if (OfferIds.Count > 0)
        {
            await foreach (var c in QueryChunksAsync(databases.Catalog, $"SELECT DISTINCT product_key::text FROM {feedView.Name.Quoted} WHERE offer_id::text = ANY(@p)", OfferIds.ToArray(), cancellationToken))
            {
                keys.UnionWith(c);
            }

            await foreach (var c in QueryChunksAsync(databases.State,
                               "SELECT product_key FROM feedsync.last_pushed WHERE offer_id = ANY(@p) UNION SELECT product_key FROM feedsync.product_problems WHERE offer_id = ANY(@p)",
                               OfferIds.ToArray(), cancellationToken))
            {
                keys.UnionWith(c);
            }
        }
        else
        {
            await foreach (var c in QueryChunksAsync(databases.State,
                               "SELECT product_key FROM feedsync.push_log WHERE at >= @p UNION SELECT product_key FROM feedsync.product_problems WHERE occurred_at >= @p",
                               Since!.Value, cancellationToken))
            {
                keys.UnionWith(c);
            }
        }

        foreach (var chunk in keys.Chunk(ChunkSize))
        {
            yield return (chunk, false);
        }
    }

    private static async IAsyncEnumerable<List<string>> QueryChunksAsync(Npgsql.NpgsqlDataSource source, string sql, object? parameter,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand(sql);
        if (parameter is not null)
        {
            command.Parameters.AddWithValue("p", parameter);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var chunk = new List<string>(ChunkSize);
        while (await reader.ReadAsync(cancellationToken))
        {
            chunk.Add(reader.GetString(0));
            if (chunk.Count == ChunkSize)
            {
                yield return chunk;
                chunk = new List<string>(ChunkSize);
            }
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }
}
