using FeedSync.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Capture;

/// <summary>
/// Only one process may capture (a slot has one reader; a change-log cursor has one writer). The holder of a
/// session advisory lock on the catalog, taken on a connection kept open while capturing, is the leader;
/// others retry and take over as soon as its connection drops (a killed process drops it at once).
/// </summary>
internal sealed partial class CaptureLeader(Databases databases, IOptions<CaptureOptions> options, ILogger<CaptureLeader> logger)
{
    /// <summary>The advisory-lock key of the capture leader for one source (slot or change log).</summary>
    internal const string LockKey = "hashtext('feedsync-capture:' || @source)";

    private readonly CaptureOptions _options = options.Value;

    /// <summary>The name the lock and the checkpoint are keyed by: the slot in Logical mode, a fixed name in Trigger mode.</summary>
    public string Source => SourceFor(_options);

    public static string SourceFor(CaptureOptions options) => options.Mode == CaptureMode.Trigger ? "trigger:" + options.SlotName : options.SlotName;

    /// <summary>Waits until this instance leads; dispose the returned lease to step down.</summary>
    public async Task<LeaderLease> AcquireAsync(CancellationToken cancellationToken)
    {
        var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        try
        {
            var logged = false;
            while (true)
            {
                await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LockKey})", connection);
                command.Parameters.AddWithValue("source", Source);
                if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
                {
                    LogLeader(Source);
                    return new LeaderLease(connection, Source);
                }

                if (!logged)
                {
                    LogStandby(Source);
                    logged = true;
                }

                await Task.Delay(_options.LeaderRetryInterval, cancellationToken);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This instance now captures changes ({Source})")]
    private partial void LogLeader(string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Another instance captures changes ({Source}); standing by to take over")]
    private partial void LogStandby(string source);
}

/// <summary>
/// The leader's lock and its connection. Disposing unlocks before the connection goes back to the pool: a pooled
/// session keeps its advisory locks until it is reused, so a later acquire on another pooled connection of this same
/// process would otherwise wait on a lock nobody releases.
/// </summary>
internal sealed class LeaderLease(NpgsqlConnection connection, string source) : IAsyncDisposable
{
    public NpgsqlConnection Connection { get; } = connection;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({CaptureLeader.LockKey})", Connection);
            unlock.Parameters.AddWithValue("source", source);
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // A broken connection is not pooled again, and its session (with the lock) is gone with it.
        }
        catch (InvalidOperationException)
        {
            // The connection is closed already: its session went with it.
        }
        finally
        {
            await Connection.DisposeAsync();
        }
    }
}
