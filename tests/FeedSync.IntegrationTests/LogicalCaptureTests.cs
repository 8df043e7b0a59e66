using FeedSync.Capture;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace FeedSync.IntegrationTests;

/// <summary>Logical replication specifics: heartbeat, slot health, a vanished slot, and set-up errors that say what to do.</summary>
public sealed class LogicalCaptureTests
{
    private static Task<FeedSyncHarness> CreateAsync() => FeedSyncHarness.CreateAsync(20, new Dictionary<string, string?>
    {
        ["FeedSync:Capture:HeartbeatInterval"] = "00:00:00.200",
        ["FeedSync:Capture:HealthInterval"] = "00:00:00.300",
    });

    private static Task<string> ConfirmedFlushAsync(FeedSyncHarness feedSync) =>
        feedSync.Database.ScalarAsync<string>("SELECT coalesce(confirmed_flush_lsn::text, '') FROM pg_replication_slots WHERE slot_name = @slot", ("slot", feedSync.Database.Name));

    [Fact]
    public async Task Heartbeat_LetsTheSlotConfirmWalWrittenOnlyToUntrackedTables()
    {
        await using var feedSync = await CreateAsync();
        await using var capture = await CaptureHost.StartAsync(feedSync);
        await capture.WaitForInitialLoadAndClearAsync();

        await feedSync.Database.ExecuteAsync("CREATE TABLE public.noise (x integer); INSERT INTO public.noise SELECT generate_series(1, 20000);");
        var written = await feedSync.Database.ScalarAsync<string>("SELECT pg_current_wal_lsn()::text");

        await Wait.UntilAsync(
            async () => await feedSync.Database.ScalarAsync<bool>(
                "SELECT confirmed_flush_lsn >= @lsn::pg_lsn FROM pg_replication_slots WHERE slot_name = @slot", ("lsn", written), ("slot", feedSync.Database.Name)),
            TimeSpan.FromSeconds(30),
            $"the slot confirmed past {written} although no tracked table changed",
            async () => "confirmed_flush_lsn=" + await ConfirmedFlushAsync(feedSync));
        Assert.Empty(await capture.PendingKeysAsync());
    }

    [Fact]
    public async Task SlotHealth_IsReadWhileStreaming_AndReportedHealthy()
    {
        await using var feedSync = await CreateAsync();
        await using var capture = await CaptureHost.StartAsync(feedSync);
        var health = capture.Services.GetRequiredService<SlotHealth>();

        await Wait.UntilAsync(() => health.Latest?.Status?.Active == true, TimeSpan.FromSeconds(60), "a reading of the active slot");

        var status = health.Latest!.Status!;
        Assert.Equal(feedSync.Database.Name, status.SlotName);
        Assert.Equal("reserved", status.WalStatus);
        Assert.True(status.RetainedBytes >= 0);
        var result = await health.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal("reserved", result.Data["walStatus"]);
    }

    [Fact]
    public async Task SlotDroppedWhileStopped_IsRecreatedOnStart_AndEveryProductIsQueued()
    {
        await using var feedSync = await CreateAsync();
        var all = new List<string>();
        await using (var capture = await CaptureHost.StartAsync(feedSync))
        {
            await capture.WaitForInitialLoadAndClearAsync();
        }

        await Wait.UntilAsync(
            async () => await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = @slot AND NOT active", ("slot", feedSync.Database.Name)) == 1,
            TimeSpan.FromSeconds(30),
            "the slot is released");
        await feedSync.Database.ExecuteAsync("SELECT pg_drop_replication_slot(@slot)", ("slot", feedSync.Database.Name));
        await using (var connection = new NpgsqlConnection(feedSync.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT DISTINCT product_key::text FROM catalog.feed", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                all.Add(reader.GetString(0));
            }
        }

        await using (var capture = await CaptureHost.StartAsync(feedSync))
        {
            await capture.WaitForPendingAsync(all);
            await Wait.UntilAsync(async () => await ConfirmedFlushAsync(feedSync) != "", TimeSpan.FromSeconds(30), "the slot exists again");
        }
    }

    [Fact]
    public async Task RoleWithoutReplication_GetsAnErrorThatNamesTheGrantAndTheTriggerMode()
    {
        await using var database = await TestDatabase.CreateAsync();
        var role = "norepl_" + database.Name;
        await database.ExecuteAsync($"CREATE ROLE {role} LOGIN NOREPLICATION");
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role }.ConnectionString;

            var error = await Assert.ThrowsAsync<CaptureSetupException>(() => ReplicationSetup.OpenReplicationAsync(connectionString, CancellationToken.None));

            Assert.Contains("ALTER ROLE <role> REPLICATION", error.Message);
            Assert.Contains("FeedSync:Capture:Mode = Trigger", error.Message);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await database.ExecuteAsync($"DROP ROLE IF EXISTS {role}");
        }
    }
}
