using FeedSync.Hosting;
using Npgsql;

namespace FeedSync.Dashboard;

/// <summary>A product FeedSync did not get into Google as the catalog says: rejected locally or by Google's answer.</summary>
internal sealed record ProblemRow(string ProductKey, string OfferId, string Destination, string Source, string Reason, string? Detail, DateTimeOffset At);

/// <summary>A product Google holds but reports issues for (from the status pull).</summary>
internal sealed record GoogleIssueRow(string OfferId, string Destination, bool Disapproved, int IssueCount, string Issues, DateTimeOffset ChangedAt, string? ProductKey);

/// <summary>
/// The Problems page's reads. Every query is newest-first with LIMIT/OFFSET over an index (occurred_at, or the
/// partial index on products with issues), and the offer-id search is a prefix match on a text_pattern_ops index.
/// </summary>
internal sealed class ProblemsQueries(Databases databases)
{
    public IReadOnlyList<ProblemRow> Rejections(string? source, string? offerIdPrefix, int offset, int limit)
    {
        using var command = databases.State.CreateCommand($"""
            SELECT product_key, offer_id, content_language || '~' || feed_label, source, reason, detail, occurred_at
            FROM feedsync.product_problems
            WHERE (@source::text IS NULL OR source = @source) {PrefixFilter(offerIdPrefix)}
            ORDER BY occurred_at DESC, offer_id LIMIT @limit OFFSET @offset
            """);
        Bind(command, offerIdPrefix, offset, limit);
        command.Parameters.AddWithValue("source", NpgsqlTypes.NpgsqlDbType.Text, (object?)source ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var rows = new List<ProblemRow>();
        while (reader.Read())
        {
            rows.Add(new ProblemRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return rows;
    }

    public IReadOnlyList<GoogleIssueRow> GoogleIssues(string? offerIdPrefix, int offset, int limit)
    {
        using var command = databases.State.CreateCommand($"""
            SELECT s.offer_id, s.content_language || '~' || s.feed_label, s.disapproved, s.issue_count, s.item_issues::text, s.changed_at,
                   (SELECT lp.product_key FROM feedsync.last_pushed lp
                     WHERE lp.offer_id = s.offer_id AND lp.content_language = s.content_language AND lp.feed_label = s.feed_label)
            FROM feedsync.google_status s
            WHERE (s.issue_count > 0 OR s.disapproved) {PrefixFilter(offerIdPrefix, "s.")}
            ORDER BY s.changed_at DESC, s.offer_id LIMIT @limit OFFSET @offset
            """);
        Bind(command, offerIdPrefix, offset, limit);
        using var reader = command.ExecuteReader();
        var rows = new List<GoogleIssueRow>();
        while (reader.Read())
        {
            rows.Add(new GoogleIssueRow(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt32(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return rows;
    }

    private static string PrefixFilter(string? prefix, string alias = "") =>
        string.IsNullOrEmpty(prefix) ? "" : $"AND {alias}offer_id LIKE @prefix";

    private static void Bind(NpgsqlCommand command, string? prefix, int offset, int limit)
    {
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("offset", offset);
        if (!string.IsNullOrEmpty(prefix))
        {
            // Escaped so an offer id containing % or _ matches itself only.
            command.Parameters.AddWithValue("prefix", prefix.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%");
        }
    }
}
