using System.Text.Json.Nodes;
using FeedSync.Hosting;
using FeedSync.Publish;
using Hangfire;
using Npgsql;
using NpgsqlTypes;

namespace FeedSync.Jobs;

/// <summary>
/// Recurring: brings back Google's view of every product (destination statuses, item-level issues) for the
/// Problems page. Pages are written as they arrive, so memory stays flat; rows for products Google no longer lists
/// are removed at the end. Running it twice is harmless, so Hangfire does not retry it (the next run will).
/// </summary>
internal sealed partial class StatusPullJob(ProductStatusReader reader, Databases databases, TimeProvider time, ILogger<StatusPullJob> logger)
{
    public const string RecurringId = "feedsync-status-pull";

    [Queue("b_default")]
    [AutomaticRetry(Attempts = 0, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    [JobDisplayName("Pull product statuses from Merchant Center")]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        long products = 0, withIssues = 0;
        await foreach (var page in reader.ReadPagesAsync(cancellationToken).WithCancellation(cancellationToken))
        {
            await StoreAsync(page, started, cancellationToken);
            products += page.Count;
            withIssues += page.Count(p => p.ItemIssues.Count > 0 || p.Disapproved);
        }

        // Only after a complete pull: anything not seen is no longer at Google.
        await using (var delete = databases.State.CreateCommand("DELETE FROM feedsync.google_status WHERE pulled_at < @started"))
        {
            delete.Parameters.AddWithValue("started", started);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        LogPulled(products, withIssues);
    }

    private async Task StoreAsync(IReadOnlyList<ProductStatus> page, DateTimeOffset pulledAt, CancellationToken cancellationToken)
    {
        if (page.Count == 0)
        {
            return;
        }

        await using var command = databases.State.CreateCommand("""
            INSERT INTO feedsync.google_status AS s (offer_id, content_language, feed_label, disapproved, issue_count, destination_statuses, item_issues, pulled_at)
            SELECT o, l, f, d, n, ds, ii, @pulled_at
            FROM unnest(@offers::text[], @languages::text[], @labels::text[], @disapproved::boolean[], @counts::integer[], @destinations::jsonb[], @issues::jsonb[])
                 AS r(o, l, f, d, n, ds, ii)
            ON CONFLICT (offer_id, content_language, feed_label) DO UPDATE
               SET disapproved = excluded.disapproved, issue_count = excluded.issue_count,
                   destination_statuses = excluded.destination_statuses, item_issues = excluded.item_issues, pulled_at = excluded.pulled_at
            """);
        // products.list never repeats a product within one pull, but a page must not name one twice for ON CONFLICT.
        var distinct = page.DistinctBy(p => p.Identity).ToList();
        command.Parameters.AddIdentities(distinct.Select(p => p.Identity));
        command.Parameters.AddWithValue("disapproved", distinct.Select(p => p.Disapproved).ToArray());
        command.Parameters.AddWithValue("counts", distinct.Select(p => p.ItemIssues.Count).ToArray());
        command.Parameters.Add(new NpgsqlParameter("destinations", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = distinct.Select(p => Json(p.DestinationStatuses)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("issues", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = distinct.Select(p => Json(p.ItemIssues)).ToArray() });
        command.Parameters.AddWithValue("pulled_at", pulledAt);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Json(JsonArray array) => array.ToJsonString();

    [LoggerMessage(Level = LogLevel.Information, Message = "Status pull: Google lists {Products} products, {WithIssues} with issues")]
    private partial void LogPulled(long products, long withIssues);
}
