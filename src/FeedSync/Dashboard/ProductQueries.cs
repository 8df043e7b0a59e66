using FeedSync.Hosting;

namespace FeedSync.Dashboard;

internal sealed record ProductPending(DateTimeOffset FirstDirtyAt, DateTimeOffset LastDirtyAt, DateTimeOffset NotBefore, int Attempts, string? LastError);

internal sealed record ProductDestination(string Destination, string OfferId, DateTimeOffset PushedAt, DateTimeOffset LastInsertAt, string Payload, string? ForceReason = null);

internal sealed record ProductPush(DateTimeOffset At, string Destination, string Action, string? UpdateMask, string Why, int HttpStatus, string Outcome, string? Reason);

internal sealed record ProductTimeline(
    string ProductKey,
    ProductPending? Pending,
    IReadOnlyList<ProductDestination> Destinations,
    IReadOnlyList<ProblemRow> Problems,
    IReadOnlyList<GoogleIssueRow> GoogleStatus,
    IReadOnlyList<ProductPush> Pushes,
    long PushesLastDay);

/// <summary>One product's story: is it pending, what Google holds, every push and Google's answer, its problems.</summary>
internal sealed class ProductQueries(Databases databases)
{
    public const int TimelineLimit = 100;

    public ProductTimeline Read(string productKey)
    {
        using var connection = databases.State.OpenConnection();
        using var batch = new Npgsql.NpgsqlBatch(connection);
        foreach (var sql in new[]
                 {
                     "SELECT first_dirty_at, last_dirty_at, not_before, attempts, last_error FROM feedsync.pending WHERE product_key = @key",
                     "SELECT content_language || '~' || feed_label, offer_id, pushed_at, last_insert_at, payload::text, force_reason FROM feedsync.last_pushed WHERE product_key = @key ORDER BY 1",
                     "SELECT product_key, offer_id, content_language || '~' || feed_label, source, reason, detail, occurred_at FROM feedsync.product_problems WHERE product_key = @key",
                     """
                     SELECT s.offer_id, s.content_language || '~' || s.feed_label, s.disapproved, s.issue_count, s.item_issues::text, s.changed_at, lp.product_key
                     FROM feedsync.last_pushed lp JOIN feedsync.google_status s
                       ON s.offer_id = lp.offer_id AND s.content_language = lp.content_language AND s.feed_label = lp.feed_label
                     WHERE lp.product_key = @key
                     """,
                     $"SELECT at, content_language || '~' || feed_label, action, update_mask, why, http_status, outcome, reason FROM feedsync.push_log WHERE product_key = @key ORDER BY at DESC LIMIT {TimelineLimit}",
                     "SELECT count(*) FROM feedsync.push_log WHERE product_key = @key AND at > now() - interval '1 day'",
                 })
        {
            var command = new Npgsql.NpgsqlBatchCommand(sql);
            command.Parameters.AddWithValue("key", productKey);
            batch.BatchCommands.Add(command);
        }

        using var reader = batch.ExecuteReader();
        ProductPending? pending = null;
        if (reader.Read())
        {
            pending = new ProductPending(reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4));
        }

        reader.NextResult();
        var destinations = new List<ProductDestination>();
        while (reader.Read())
        {
            destinations.Add(new ProductDestination(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        reader.NextResult();
        var problems = new List<ProblemRow>();
        while (reader.Read())
        {
            problems.Add(new ProblemRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }

        reader.NextResult();
        var status = new List<GoogleIssueRow>();
        while (reader.Read())
        {
            status.Add(new GoogleIssueRow(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt32(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6)));
        }

        reader.NextResult();
        var pushes = new List<ProductPush>();
        while (reader.Read())
        {
            pushes.Add(new ProductPush(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4), reader.GetInt32(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7)));
        }

        reader.NextResult();
        reader.Read();
        var lastDay = reader.GetInt64(0);
        return new ProductTimeline(productKey, pending, destinations, problems, status, pushes, lastDay);
    }

    /// <summary>Product keys whose offer id is exactly <paramref name="offerId"/> (from what was pushed or rejected).</summary>
    public IReadOnlyList<string> KeysForOfferId(string offerId)
    {
        using var command = databases.State.CreateCommand("""
            SELECT product_key FROM feedsync.last_pushed WHERE offer_id = @offer
            UNION SELECT product_key FROM feedsync.product_problems WHERE offer_id = @offer
            """);
        command.Parameters.AddWithValue("offer", offerId);
        using var reader = command.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
