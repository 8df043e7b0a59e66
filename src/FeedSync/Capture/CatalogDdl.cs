using System.Globalization;
using System.Text;
using Npgsql;

namespace FeedSync.Capture;

/// <summary>
/// DDL on the retailer's tables with a short lock timeout. A statement that waits for its lock behind a long
/// transaction makes every later write to that table queue behind it, so the shop would stall while FeedSync waits;
/// giving up quickly and saying who held the lock is the better failure.
/// </summary>
internal static class CatalogDdl
{
    /// <summary>Applies <paramref name="timeout"/> to the rest of <paramref name="transaction"/>.</summary>
    public static async Task SetLockTimeoutAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT set_config('lock_timeout', @timeout, true)", connection, transaction);
        command.Parameters.AddWithValue("timeout", Math.Max(1, (long)timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>
    /// The error for a lock timeout, naming the sessions that hold locks on <paramref name="relations"/> (quoted, qualified
    /// names). Call after rolling back: the connection must be usable again.
    /// </summary>
    public static async Task<CaptureSetupException> LockTimeoutErrorAsync(
        NpgsqlConnection connection, string what, IEnumerable<string> relations, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Only who and how long, never the query text: it may carry customer data.
        await using var command = new NpgsqlCommand("""
            SELECT l.pid, l.mode, l.relation::regclass::text, coalesce(a.usename, ''), coalesce(a.application_name, ''), coalesce(a.state, ''),
                   coalesce(extract(epoch FROM now() - a.xact_start)::bigint, -1)
            FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'relation' AND l.granted AND l.pid IS DISTINCT FROM pg_backend_pid()
              AND l.relation IN (SELECT to_regclass(n)::oid FROM unnest(@relations::text[]) AS n)
            ORDER BY a.xact_start NULLS LAST
            LIMIT 10
            """, connection);
        command.Parameters.AddWithValue("relations", relations.ToArray());
        var holders = new StringBuilder();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                holders.Append(holders.Length == 0 ? "" : "; ").Append(CultureInfo.InvariantCulture,
                    $"{(reader.IsDBNull(0) ? "a prepared transaction" : $"pid {reader.GetInt32(0)}")} (user '{reader.GetString(3)}', application '{reader.GetString(4)}', " +
                    $"{reader.GetString(5)}, transaction open {reader.GetInt64(6)} s) holds {reader.GetString(1)} on {reader.GetString(2)}");
            }
        }

        var who = holders.Length > 0 ? holders.ToString() : "the session that held it has finished since";
        return new CaptureSetupException(
            $"Could not {what}: a catalog table stayed locked for longer than the lock timeout ({timeout.TotalSeconds:0.###} s, {CaptureOptions.Section}:DdlLockTimeout). " +
            $"Lock holders: {who}. Waiting longer would queue every write to the table behind this change, so FeedSync gave up; " +
            "retry once that transaction has ended (run `feedsync migrate` again; a running FeedSync retries by itself), or end it with SELECT pg_terminate_backend(<pid>).");
    }
}
