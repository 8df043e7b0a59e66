using FeedSync.Capture;
using FeedSync.Hosting;
using Microsoft.Extensions.Options;

namespace FeedSync.Dashboard;

/// <summary>The figures behind "is the feed fresh right now?".</summary>
internal sealed record Overview(
    long Pending,
    long PendingDue,
    TimeSpan? OldestPendingAge,
    DateTimeOffset? LastSuccessfulPush,
    long PushesLastHour,
    long FailuresLastHour,
    long PushesLastDay,
    long FailuresLastDay,
    long CredentialFailuresLastHour,
    long ProductsInGoogle,
    long LocalProblems,
    long GoogleProblems,
    long GoogleIssues,
    long GoogleDisapproved,
    DateTimeOffset? LastStatusPull,
    DateTimeOffset? LastCaptureAt,
    long? CaptureLagBytes,
    bool? CaptureSlotActive,
    TimeSpan? CaptureLagAge = null)
{
    /// <summary>A feed is stale when the oldest pending change is older than this.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(2);

    /// <summary>Capture is behind when the slot holds more than this much unread WAL.</summary>
    public const long CaptureLagLimitBytes = 64L * 1024 * 1024;

    /// <summary>Trigger mode: capture is behind when a change-log row has waited longer than this to be recorded.</summary>
    public static readonly TimeSpan CaptureLagLimitAge = TimeSpan.FromMinutes(1);

    /// <summary>Why the feed is not fresh right now; empty when it is.</summary>
    public IReadOnlyList<string> Alarms()
    {
        var alarms = new List<string>();
        if (OldestPendingAge > StaleAfter)
        {
            alarms.Add($"the oldest pending change has waited {OldestPendingAge.Value.TotalMinutes:0} min");
        }

        if (CredentialFailuresLastHour > 0)
        {
            alarms.Add($"Merchant API refused FeedSync's credentials {CredentialFailuresLastHour} time(s) in the last hour (401/403)");
        }

        if (CaptureLagBytes > CaptureLagLimitBytes)
        {
            alarms.Add($"change capture is {CaptureLagBytes.Value / (1024 * 1024)} MiB of WAL behind");
        }

        if (CaptureLagAge > CaptureLagLimitAge)
        {
            alarms.Add($"change capture is {CaptureLagAge.Value.TotalSeconds:0} s behind (the oldest change-log row not yet recorded)");
        }

        if (CaptureSlotActive == false)
        {
            alarms.Add("no FeedSync instance is reading the replication slot");
        }

        return alarms;
    }
}

internal sealed class OverviewQueries(Databases databases, IOptions<CaptureOptions> capture)
{
    public Overview Read() => ReadAsync(CancellationToken.None).GetAwaiter().GetResult();

    public async Task<Overview> ReadAsync(CancellationToken cancellationToken)
    {
        // Every figure is an index range or an aggregate over a small table: call counts come from the per-minute
        // push_stats, and the count of last_pushed is the planner's estimate once the table is large.
        await using var command = databases.State.CreateCommand("""
            SELECT (SELECT count(*) FROM feedsync.pending),
                   (SELECT count(*) FROM feedsync.pending WHERE not_before <= now()),
                   (SELECT now() - min(first_dirty_at) FROM feedsync.pending),
                   (SELECT max(at) FROM feedsync.push_log WHERE outcome = 'Success' AND at > now() - interval '30 days'),
                   (SELECT coalesce(sum(calls), 0)::bigint FROM feedsync.push_stats WHERE minute > now() - interval '1 hour'),
                   (SELECT coalesce(sum(calls), 0)::bigint FROM feedsync.push_stats WHERE minute > now() - interval '1 hour' AND outcome <> 'Success'),
                   (SELECT coalesce(sum(calls), 0)::bigint FROM feedsync.push_stats WHERE minute > now() - interval '1 day'),
                   (SELECT coalesce(sum(calls), 0)::bigint FROM feedsync.push_stats WHERE minute > now() - interval '1 day' AND outcome <> 'Success'),
                   (SELECT coalesce(sum(calls), 0)::bigint FROM feedsync.push_stats WHERE minute > now() - interval '1 hour' AND http_status IN (401, 403)),
                   (SELECT CASE WHEN c.reltuples > 100000 THEN c.reltuples::bigint ELSE (SELECT count(*) FROM feedsync.last_pushed) END
                      FROM pg_class c WHERE c.oid = 'feedsync.last_pushed'::regclass),
                   (SELECT count(*) FROM feedsync.product_problems WHERE source = 'local'),
                   (SELECT count(*) FROM feedsync.product_problems WHERE source = 'google'),
                   (SELECT count(*) FROM feedsync.google_status WHERE issue_count > 0 OR disapproved),
                   (SELECT count(*) FROM feedsync.google_status WHERE disapproved),
                   (SELECT max(finished_at) FROM feedsync.status_pulls),
                   (SELECT max(updated_at) FROM feedsync.capture_checkpoint)
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (lag, active) = await CaptureLagAsync(cancellationToken);
        var triggerLag = await TriggerLagAsync(cancellationToken);
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
            reader.GetInt64(9),
            reader.GetInt64(10),
            reader.GetInt64(11),
            reader.GetInt64(12),
            reader.GetInt64(13),
            reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14),
            reader.IsDBNull(15) ? null : reader.GetFieldValue<DateTimeOffset>(15),
            lag,
            active,
            triggerLag?.OldestAge);
    }

    /// <summary>Trigger mode's lag (change-log rows not yet recorded); null in Logical mode or when the log cannot be read.</summary>
    public Task<TriggerLag?> TriggerLagAsync(CancellationToken cancellationToken) =>
        capture.Value.Mode == CaptureMode.Trigger ? TriggerLag.ReadAsync(databases, capture.Value, cancellationToken) : Task.FromResult<TriggerLag?>(null);

    /// <summary>Unread WAL behind FeedSync's slot in the catalog database, and whether a reader holds the slot; nulls if there is no slot.</summary>
    public async Task<(long? LagBytes, bool? Active)> CaptureLagAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var command = databases.Catalog.CreateCommand("""
                SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint, active
                FROM pg_replication_slots WHERE slot_name = @slot
                """);
            command.Parameters.AddWithValue("slot", capture.Value.SlotName);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? (reader.IsDBNull(0) ? 0 : reader.GetInt64(0), reader.GetBoolean(1)) : (null, null);
        }
        catch (Npgsql.PostgresException)
        {
            // A role without access to pg_replication_slots: the lag is simply not shown.
            return (null, null);
        }
    }

    public IReadOnlyList<ProblemRow> RecentProblems(int limit) =>
        new ProblemsQueries(databases).Rejections(null, null, 0, limit);
}
