using FeedSync.Catalog;
using FeedSync.Hosting;
using FeedSync.Jobs;

namespace FeedSync.Capture;

/// <summary>
/// Marks every product dirty: all keys in the feed view plus every key Google holds (so products that left
/// the view are deleted). Used when a slot is created or lost and when a tracked table is truncated; the
/// diff turns unchanged products into no calls, so this costs reads, not Merchant API quota.
/// </summary>
internal sealed partial class FullResync(Databases databases, FeedView feedView, PendingQueue queue, ILogger<FullResync> logger)
{
    private const int ChunkSize = 10_000;

    /// <param name="snapshotName">Read the view as of this exported snapshot (a new slot's start point), or null for now.</param>
    public async Task<long> MarkAllDirtyAsync(string why, CancellationToken cancellationToken, string? snapshotName = null)
    {
        LogStarting(why);
        long marked = 0;
        var chunk = new List<string>(ChunkSize);
        await foreach (var key in feedView.ReadAllKeysAsync(snapshotName, cancellationToken).WithCancellation(cancellationToken))
        {
            chunk.Add(key);
            if (chunk.Count == ChunkSize)
            {
                marked += await FlushAsync(chunk, cancellationToken);
            }
        }

        await using (var command = databases.State.CreateCommand("SELECT DISTINCT product_key FROM feedsync.last_pushed"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                chunk.Add(reader.GetString(0));
                if (chunk.Count == ChunkSize)
                {
                    marked += await FlushAsync(chunk, cancellationToken);
                }
            }
        }

        marked += await FlushAsync(chunk, cancellationToken);
        LogDone(marked);
        return marked;
    }

    private async Task<int> FlushAsync(List<string> chunk, CancellationToken cancellationToken)
    {
        var count = chunk.Count;
        await queue.MarkDirtyAsync(chunk, cancellationToken);
        chunk.Clear();
        return count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Full resync: marking every product dirty because {Why}")]
    private partial void LogStarting(string why);

    [LoggerMessage(Level = LogLevel.Information, Message = "Full resync queued {Count} product keys")]
    private partial void LogDone(long count);
}
