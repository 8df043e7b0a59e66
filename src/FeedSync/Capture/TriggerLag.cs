using FeedSync.Hosting;
using Npgsql;

namespace FeedSync.Capture;

/// <summary>
/// Trigger mode's counterpart of the slot's unread WAL: the change-log rows past the recorded cursor (written to
/// the catalog but not yet recorded as pending) and the age of the oldest of them. Zero rows means capture is
/// caught up. Rows of transactions still running are invisible here, as they are to the poller.
/// </summary>
internal sealed record TriggerLag(long Rows, TimeSpan OldestAge)
{
    public static async Task<TriggerLag?> ReadAsync(Databases databases, CaptureOptions options, CancellationToken cancellationToken)
    {
        // The cursor lives in the state database, the log in the catalog (often another server): two reads.
        long xid = 0, seq = 0;
        await using (var cursor = databases.State.CreateCommand("SELECT xid, seq FROM feedsync.capture_cursor WHERE source = @source"))
        {
            cursor.Parameters.AddWithValue("source", CaptureLeader.SourceFor(options));
            await using var reader = await cursor.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                (xid, seq) = (reader.GetInt64(0), reader.GetInt64(1));
            }
        }

        try
        {
            await using var command = databases.Catalog.CreateCommand($"""
                SELECT count(*), coalesce(now() - min(logged_at), interval '0')
                FROM {TriggerSetup.Schema}.change_log WHERE (xid, seq) > (@xid::text::xid8, @seq)
                """);
            command.Parameters.AddWithValue("xid", xid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("seq", seq);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var age = reader.GetTimeSpan(1);
            return new TriggerLag(reader.GetInt64(0), age < TimeSpan.Zero ? TimeSpan.Zero : age);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.InsufficientPrivilege)
        {
            // Triggers not installed yet, a log from before logged_at, or a role that may not read it: the lag is unknown.
            return null;
        }
    }
}
