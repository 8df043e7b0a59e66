using FeedSync.Diff;
using FeedSync.Hosting;

namespace FeedSync.Jobs;

/// <summary>
/// A resync that sends products in full even when FeedSync believes Google holds them unchanged (someone edited
/// them in Merchant Center, or Google lost them). It marks their destinations with
/// <see cref="ForceReason.OperatorResync"/>, which makes the diff choose a full insert, and marks the products
/// pending; what Google holds stays recorded, so deletions still work.
/// </summary>
internal sealed class ForcedResync(Databases databases, PendingQueue queue)
{
    public async Task MarkAsync(IReadOnlyCollection<string> productKeys, CancellationToken cancellationToken)
    {
        await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var force = new Npgsql.NpgsqlCommand(
            "UPDATE feedsync.last_pushed SET force_reason = @reason, forced_at = now() WHERE product_key = ANY(@keys)", connection, transaction))
        {
            force.Parameters.AddWithValue("keys", productKeys.ToArray());
            force.Parameters.AddWithValue("reason", ForceReason.OperatorResync);
            await force.ExecuteNonQueryAsync(cancellationToken);
        }

        await queue.MarkDirtyAsync(productKeys, connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
