using FeedSync.Hosting;

namespace FeedSync.Dashboard;

/// <summary>The figures behind "is the feed fresh right now?".</summary>
internal sealed record Overview(
    long Pending,
    long PendingDue,
    TimeSpan? OldestPendingAge,
    DateTimeOffset? LastSuccessfulPush,
    long PushesLastHour,
    long FailuresLastHour,
    long ProductsInGoogle,
    long LocalProblems,
    long GoogleProblems,
    DateTimeOffset? LastCaptureAt);

internal sealed class OverviewQueries(Databases databases)
{
    public Overview Read()
    {
        using var command = databases.State.CreateCommand("""
            SELECT (SELECT count(*) FROM feedsync.pending),
                   (SELECT count(*) FROM feedsync.pending WHERE not_before <= now()),
                   (SELECT now() - min(first_dirty_at) FROM feedsync.pending),
                   (SELECT max(at) FROM feedsync.push_log WHERE outcome = 'Success'),
                   (SELECT count(*) FROM feedsync.push_log WHERE at > now() - interval '1 hour'),
                   (SELECT count(*) FROM feedsync.push_log WHERE at > now() - interval '1 hour' AND outcome <> 'Success'),
                   (SELECT count(*) FROM feedsync.last_pushed),
                   (SELECT count(*) FROM feedsync.product_problems WHERE source = 'local'),
                   (SELECT count(*) FROM feedsync.product_problems WHERE source = 'google'),
                   (SELECT max(updated_at) FROM feedsync.capture_checkpoint)
            """);
        using var reader = command.ExecuteReader();
        reader.Read();
        return new Overview(
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.IsDBNull(2) ? null : reader.GetTimeSpan(2),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
            reader.GetInt64(4),
            reader.GetInt64(5),
            reader.GetInt64(6),
            reader.GetInt64(7),
            reader.GetInt64(8),
            reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9));
    }

    public IReadOnlyList<(string OfferId, string Destination, string Source, string Reason, string? Detail, DateTimeOffset At)> RecentProblems(int limit)
    {
        using var command = databases.State.CreateCommand("""
            SELECT offer_id, content_language || '~' || feed_label, source, reason, detail, occurred_at
            FROM feedsync.product_problems ORDER BY occurred_at DESC LIMIT @limit
            """);
        command.Parameters.AddWithValue("limit", limit);
        using var reader = command.ExecuteReader();
        var rows = new List<(string, string, string, string, string?, DateTimeOffset)>();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return rows;
    }
}
