using System.Text.Json.Nodes;
using FeedSync.Hosting;
using FeedSync.Publish;
using Hangfire;
using Npgsql;
using NpgsqlTypes;

namespace FeedSync.Jobs;

/// <summary>
/// Recurring: brings back Google's view of every product (destination statuses, item-level issues) for the
/// Problems page. Pages are written as they arrive; a row is written only when Google's answer for it changed, so a
/// pull of an unchanged catalog reads but does not write (rewriting 100,000 rows each pull slowed pushes for ~20 s).
/// Rows for products Google no longer lists are removed at the end, and the pull is recorded in
/// <c>feedsync.status_pulls</c>. Memory holds the identities seen (three short strings per product) until then.
/// Running it twice is harmless, so Hangfire does not retry it (the next run will).
/// </summary>
internal sealed partial class StatusPullJob(ProductStatusReader reader, Databases databases, TimeProvider time, ILogger<StatusPullJob> logger)
{
    public const string RecurringId = "feedsync-status-pull";

    /// <summary>How long pull records are kept; the Overview shows only the latest.</summary>
    private static readonly TimeSpan PullHistory = TimeSpan.FromDays(7);

    [Queue("b_default")]
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [JobDisplayName("Pull product statuses from Merchant Center")]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var startedTimestamp = time.GetTimestamp();
        long withIssues = 0, changed = 0;
        var seen = new HashSet<ProductIdentity>();
        await foreach (var page in reader.ReadPagesAsync(cancellationToken).WithCancellation(cancellationToken))
        {
            // products.list should not repeat a product within one pull; the set drops a repeat anyway, since one
            // statement's ON CONFLICT cannot touch a row twice and a later page must not count it again.
            var fresh = page.Where(p => seen.Add(p.Identity)).ToList();
            changed += await StoreChangedAsync(fresh, started, cancellationToken);
            withIssues += fresh.Count(p => p.ItemIssues.Count > 0 || p.Disapproved);
        }

        // Only after a complete pull: anything not seen is no longer at Google.
        var removed = await RecordPullAsync(seen, started, withIssues, changed, cancellationToken);
        LogPulled(seen.Count, withIssues, changed, removed, (long)time.GetElapsedTime(startedTimestamp).TotalMilliseconds);
    }

    /// <summary>Upserts the page's statuses, skipping rows Google reports exactly as stored; returns how many were written.</summary>
    private async Task<int> StoreChangedAsync(List<ProductStatus> page, DateTimeOffset pulledAt, CancellationToken cancellationToken)
    {
        if (page.Count == 0)
        {
            return 0;
        }

        await using var command = databases.State.CreateCommand("""
            INSERT INTO feedsync.google_status AS s (offer_id, content_language, feed_label, disapproved, issue_count, destination_statuses, item_issues, changed_at)
            SELECT o, l, f, d, n, ds, ii, @pulled_at
            FROM unnest(@offers::text[], @languages::text[], @labels::text[], @disapproved::boolean[], @counts::integer[], @destinations::jsonb[], @issues::jsonb[])
                 AS r(o, l, f, d, n, ds, ii)
            ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE
               SET disapproved = excluded.disapproved, issue_count = excluded.issue_count,
                   destination_statuses = excluded.destination_statuses, item_issues = excluded.item_issues, changed_at = excluded.changed_at
               WHERE (s.disapproved, s.issue_count, s.destination_statuses, s.item_issues)
                     IS DISTINCT FROM (excluded.disapproved, excluded.issue_count, excluded.destination_statuses, excluded.item_issues)
            """);
        command.Parameters.AddIdentities(page.Select(p => p.Identity));
        command.Parameters.AddWithValue("disapproved", page.Select(p => p.Disapproved).ToArray());
        command.Parameters.AddWithValue("counts", page.Select(p => p.ItemIssues.Count).ToArray());
        command.Parameters.Add(new NpgsqlParameter("destinations", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = page.Select(p => Json(p.DestinationStatuses)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("issues", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = page.Select(p => Json(p.ItemIssues)).ToArray() });
        command.Parameters.AddWithValue("pulled_at", pulledAt);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>In one transaction: removes the statuses of products this pull did not see and records the pull; returns how many were removed.</summary>
    private async Task<long> RecordPullAsync(HashSet<ProductIdentity> seen, DateTimeOffset started, long withIssues, long changed, CancellationToken cancellationToken)
    {
        var finished = time.GetUtcNow();
        await using var batch = databases.State.CreateBatch();
        var record = new NpgsqlBatchCommand("""
            WITH removed AS (
                DELETE FROM feedsync.google_status s
                WHERE NOT EXISTS (SELECT FROM unnest(@offers::text[], @languages::text[], @labels::text[]) AS k(o, l, f)
                                  WHERE k.o = s.offer_id AND k.l = s.content_language AND k.f = s.feed_label)
                RETURNING 1)
            INSERT INTO feedsync.status_pulls (started_at, finished_at, products, with_issues, changed, removed)
            SELECT @started, @finished, @products, @with_issues, @changed, count(*) FROM removed
            RETURNING removed
            """);
        record.Parameters.AddIdentities(seen);
        record.Parameters.AddWithValue("started", started);
        record.Parameters.AddWithValue("finished", finished);
        record.Parameters.AddWithValue("products", (long)seen.Count);
        record.Parameters.AddWithValue("with_issues", withIssues);
        record.Parameters.AddWithValue("changed", changed);
        batch.BatchCommands.Add(record);

        var prune = new NpgsqlBatchCommand("DELETE FROM feedsync.status_pulls WHERE finished_at < @oldest");
        prune.Parameters.AddWithValue("oldest", finished - PullHistory);
        batch.BatchCommands.Add(prune);

        // One batch runs as one implicit transaction.
        return (long)(await batch.ExecuteScalarAsync(cancellationToken))!;
    }

    private static string Json(JsonArray array) => array.ToJsonString();

    [LoggerMessage(Level = LogLevel.Information, Message = "Status pull: Google lists {Products} products, {WithIssues} with issues; {Changed} statuses changed, {Removed} removed; {ElapsedMs} ms")]
    private partial void LogPulled(long products, long withIssues, long changed, long removed, long elapsedMs);
}
