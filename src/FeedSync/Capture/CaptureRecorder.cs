using FeedSync.Hosting;
using FeedSync.Jobs;
using Npgsql;

namespace FeedSync.Capture;

/// <summary>
/// What both capture modes share: turn a batch of changed rows into product keys, and record them in
/// <c>feedsync.pending</c> in the same state transaction as the mode's own progress marker (an LSN or a
/// change-log cursor), so progress never runs ahead of what was recorded.
/// </summary>
internal sealed partial class CaptureRecorder(
    Databases databases,
    KeyResolver keyResolver,
    PendingQueue queue,
    FullResync fullResync,
    PushDispatcher dispatcher,
    ILogger<CaptureRecorder> logger)
{
    /// <summary>Writes the mode's progress marker inside the state transaction that records the keys.</summary>
    public delegate Task Checkpoint(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken);

    public async Task<int> RecordAsync(IReadOnlyCollection<CapturedRow> rows, IEnumerable<TrackedTable> truncated, Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        var keys = await keyResolver.ResolveAsync(rows, cancellationToken);

        // Before the checkpoint: a crash in between redelivers the truncate, so the resync runs again rather than never.
        foreach (var table in truncated.Distinct())
        {
            await fullResync.MarkAllDirtyAsync($"{table.Table} was truncated", cancellationToken);
        }

        await using (var connection = await databases.State.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            // The caller acknowledges these changes at the source (slot position, change-log cursor) once this commit
            // returns, so it must be on disk by then, whatever the state database's default (synchronous_commit = off
            // would let a crash of the state server lose keys the source has already forgotten).
            await using (var durable = new NpgsqlCommand("SET LOCAL synchronous_commit = on", connection, transaction))
            {
                await durable.ExecuteNonQueryAsync(cancellationToken);
            }

            await queue.MarkDirtyAsync(keys, connection, transaction, cancellationToken);
            await checkpoint(connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        if (keys.Count > 0)
        {
            dispatcher.Signal();
        }

        LogRecorded(rows.Count, keys.Count);
        return keys.Count;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Recorded {Rows} changed rows touching {Keys} products")]
    private partial void LogRecorded(int rows, int keys);
}
