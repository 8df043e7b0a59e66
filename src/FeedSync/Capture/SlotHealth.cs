using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace FeedSync.Capture;

/// <summary>One reading of <c>pg_replication_slots</c> for FeedSync's slot.</summary>
/// <param name="WalStatus">reserved | extended | unreserved | lost (null before PG 13).</param>
/// <param name="RetainedBytes">WAL the server keeps for this slot (current WAL position − restart_lsn).</param>
/// <param name="LagBytes">WAL not yet confirmed by FeedSync (current WAL position − confirmed_flush_lsn).</param>
/// <param name="SafeWalBytes">WAL that may still be written before the slot is at risk of being lost (null when unlimited).</param>
internal sealed record SlotStatus(
    string SlotName,
    string Plugin,
    bool Active,
    string? WalStatus,
    long? RetainedBytes,
    long? LagBytes,
    long? SafeWalBytes,
    ulong? ConfirmedFlushLsn)
{
    public bool IsLost => WalStatus == "lost";

    /// <summary>The server may discard WAL this slot needs (max_slot_wal_keep_size reached).</summary>
    public bool AtRisk => WalStatus == "unreserved";
}

/// <summary>
/// Slot health as data (the latest reading, for the dashboard and the health check) and the query that reads it.
/// Capture reads it on a timer while streaming; a lost or missing slot makes capture recreate it and resync.
/// </summary>
internal sealed class SlotHealth(IOptions<CaptureOptions> options, TimeProvider time) : IHealthCheck
{
    private volatile SlotReading? _latest;

    /// <summary>The latest reading: null when none was taken yet; a null status means the slot was missing.</summary>
    public SlotReading? Latest => _latest;

    public void Record(SlotStatus? status) => _latest = new SlotReading(status, time.GetUtcNow());

    public static async Task<SlotStatus?> ReadAsync(NpgsqlDataSource catalog, string slotName, CancellationToken cancellationToken)
    {
        await using var command = catalog.CreateCommand("""
            SELECT plugin, active, wal_status,
                   (pg_current_wal_lsn() - restart_lsn)::bigint,
                   (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint,
                   safe_wal_size, confirmed_flush_lsn
            FROM pg_replication_slots WHERE slot_name = @slot
            """);
        command.Parameters.AddWithValue("slot", slotName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new SlotStatus(
            slotName,
            reader.GetString(0),
            reader.GetBoolean(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetInt64(3),
            reader.IsDBNull(4) ? null : reader.GetInt64(4),
            reader.IsDBNull(5) ? null : reader.GetInt64(5),
            reader.IsDBNull(6) ? null : (ulong)reader.GetFieldValue<NpgsqlLogSequenceNumber>(6));
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.Value.Mode != CaptureMode.LogicalReplication || !options.Value.Enabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Capture does not use a replication slot."));
        }

        if (_latest is not { } reading)
        {
            return Task.FromResult(HealthCheckResult.Degraded("No slot reading yet (capture starting, or this instance is a standby)."));
        }

        var data = new Dictionary<string, object>
        {
            ["slot"] = options.Value.SlotName,
            ["readAt"] = reading.ReadAt,
        };
        if (reading.Status is not { } status)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"Replication slot {options.Value.SlotName} is missing; capture recreates it and resyncs.", data: data));
        }

        data["walStatus"] = status.WalStatus ?? "";
        data["retainedBytes"] = status.RetainedBytes ?? 0;
        data["lagBytes"] = status.LagBytes ?? 0;
        data["active"] = status.Active;
        if (status.IsLost)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"Replication slot {status.SlotName} is lost; capture recreates it and resyncs.", data: data));
        }

        if (status.AtRisk || status.RetainedBytes > options.Value.WarnRetainedBytes || !status.Active)
        {
            return Task.FromResult(HealthCheckResult.Degraded(
                $"Replication slot {status.SlotName}: wal_status {status.WalStatus}, retains {status.RetainedBytes} bytes, active {status.Active}.", data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"Replication slot {status.SlotName} is streaming.", data));
    }
}

/// <summary>A slot reading and when it was taken (Status null = the slot did not exist).</summary>
internal sealed record SlotReading(SlotStatus? Status, DateTimeOffset ReadAt);
