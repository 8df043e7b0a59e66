using FeedSync.Hosting;
using Hangfire;
using Microsoft.Extensions.Options;

namespace FeedSync.Jobs;

/// <summary>What one retention run deleted, and in how many statements.</summary>
internal sealed record RetentionResult(long PushLogDeleted, long PushStatsDeleted, int Statements);

/// <summary>
/// Recurring: deletes audit rows older than the configured retention, oldest first, in batches of
/// <see cref="RetentionOptions.BatchSize"/> rows per statement. Every statement is its own short transaction, so
/// pushes writing new rows never wait behind the clean-up. "Now" is FeedSync's clock. Idempotent: a run cut short
/// (cancelled, database restart) leaves the rest to the next run, so Hangfire does not retry it.
/// </summary>
internal sealed partial class RetentionJob(Databases databases, IOptions<RetentionOptions> options, TimeProvider time, ILogger<RetentionJob> logger)
{
    public const string RecurringId = "feedsync-retention";

    [Queue("b_default")]
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [JobDisplayName("Delete audit rows older than the retention")]
    public async Task<RetentionResult> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var statements = 0;

        // Both through their time index (push_log_at, push_stats' primary key leads with minute).
        var (log, logStatements) = await DeleteInBatchesAsync(
            "DELETE FROM feedsync.push_log WHERE id IN (SELECT id FROM feedsync.push_log WHERE at < @cutoff ORDER BY at LIMIT @batch)",
            now - settings.PushLogRetention, settings.BatchSize, cancellationToken);
        statements += logStatements;
        var (stats, statsStatements) = await DeleteInBatchesAsync(
            "DELETE FROM feedsync.push_stats WHERE ctid IN (SELECT ctid FROM feedsync.push_stats WHERE minute < @cutoff ORDER BY minute LIMIT @batch)",
            now - settings.PushStatsRetention, settings.BatchSize, cancellationToken);
        statements += statsStatements;

        if (log + stats > 0)
        {
            LogDeleted(log, stats, statements);
        }

        return new RetentionResult(log, stats, statements);
    }

    private async Task<(long Deleted, int Statements)> DeleteInBatchesAsync(string sql, DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        long deleted = 0;
        var statements = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var command = databases.State.CreateCommand(sql);
            command.Parameters.AddWithValue("cutoff", cutoff);
            command.Parameters.AddWithValue("batch", batchSize);
            var rows = await command.ExecuteNonQueryAsync(cancellationToken);
            statements++;
            deleted += rows;
            if (rows < batchSize)
            {
                return (deleted, statements);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention deleted {PushLog} audit rows and {PushStats} per-minute counters in {Statements} statements")]
    private partial void LogDeleted(long pushLog, long pushStats, int statements);
}
