using FeedSync.Hosting;

namespace FeedSync.Jobs;

/// <summary>
/// A resync that sends products in full even when FeedSync believes Google holds them unchanged (someone edited
/// them in Merchant Center, or Google lost them). It forgets the content hash, which makes the diff choose a
/// full insert, and marks the products pending; what Google holds stays recorded, so deletions still work.
/// </summary>
internal sealed class ForcedResync(Databases databases, PendingQueue queue)
{
    public const string Reason = "resync requested by an operator";

    public async Task MarkAsync(IReadOnlyCollection<string> productKeys, CancellationToken cancellationToken)
    {
        await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var forget = new Npgsql.NpgsqlCommand("UPDATE feedsync.last_pushed SET content_hash = '\\x'::bytea WHERE product_key = ANY(@keys)", connection, transaction))
        {
            forget.Parameters.AddWithValue("keys", productKeys.ToArray());
            await forget.ExecuteNonQueryAsync(cancellationToken);
        }

        await queue.MarkDirtyAsync(productKeys, connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
