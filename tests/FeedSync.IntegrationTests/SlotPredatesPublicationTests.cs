using FeedSync.Capture;
using FeedSync.Demo;
using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;

namespace FeedSync.IntegrationTests;

/// <summary>
/// pgoutput reads the publication as of each change's WAL position, so a slot older than its publication fails at its
/// first older change on every restart. Capture replaces such a slot and resyncs, or names the fix when it cannot.
/// </summary>
public sealed class SlotPredatesPublicationTests
{
    private static async Task<List<string>> FeedKeysAsync(FeedSyncHarness feedSync)
    {
        var keys = new List<string>();
        await using var connection = new NpgsqlConnection(feedSync.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT DISTINCT product_key::text FROM catalog.feed", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    [Fact]
    public async Task SlotCreatedBeforeThePublication_IsDroppedAndRecreated_EveryProductIsQueued_AndLaterChangesAreCaptured()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(10);
        var slot = feedSync.Database.Name;
        await using (var first = await CaptureHost.StartAsync(feedSync))
        {
            await first.WaitForInitialLoadAndClearAsync();
        }

        await Wait.UntilAsync(
            async () => await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = @slot AND NOT active", ("slot", slot)) == 1,
            TimeSpan.FromSeconds(30),
            "the slot is released");
        var tables = await feedSync.Database.ScalarAsync<string>(
            "SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') FROM pg_publication_tables WHERE pubname = 'feedsync'");

        // The slot stays where it was; a change lands while no publication exists, then the publication is created after it.
        await feedSync.Database.ExecuteAsync("DROP PUBLICATION feedsync");
        var before = await feedSync.Database.ScalarAsync<string>("SELECT min(variant_id)::text FROM catalog.stock");
        await feedSync.Database.ExecuteAsync($"UPDATE catalog.stock SET quantity = quantity + 1 WHERE variant_id = {before}");
        await feedSync.Database.ExecuteAsync($"CREATE PUBLICATION feedsync FOR TABLE {tables}");
        var published = await feedSync.Database.ScalarAsync<string>("SELECT pg_current_wal_lsn()::text");
        var all = await FeedKeysAsync(feedSync);

        await using var capture = await CaptureHost.StartAsync(feedSync);

        // Nothing but the full reconciliation marks every product: the one change before the publication cannot be decoded.
        await capture.WaitForPendingAsync(all);
        Assert.True(await feedSync.Database.ScalarAsync<bool>(
            "SELECT restart_lsn >= @lsn::pg_lsn FROM pg_replication_slots WHERE slot_name = @slot", ("lsn", published), ("slot", slot)),
            "the slot was recreated after the publication");
        await Wait.UntilAsync(
            async () => await feedSync.Database.ScalarAsync<bool>("SELECT active FROM pg_replication_slots WHERE slot_name = @slot", ("slot", slot)),
            TimeSpan.FromSeconds(60),
            "capture streams from the new slot",
            async () => await feedSync.Database.ScalarAsync<string>("SELECT string_agg(format('%s active=%s pid=%s', slot_name, active, active_pid), '; ') FROM pg_replication_slots")
                + " / " + await feedSync.Database.ScalarAsync<string>("SELECT coalesce(string_agg(format('%s %s %s %s', pid, backend_type, state, left(query, 80)), '; '), '') FROM pg_stat_activity WHERE datname = current_database()"));

        await feedSync.Database.ExecuteAsync("DELETE FROM feedsync.pending");
        var after = await feedSync.Database.ScalarAsync<string>("SELECT max(variant_id)::text FROM catalog.stock");
        await feedSync.Database.ExecuteAsync($"UPDATE catalog.stock SET quantity = quantity + 1 WHERE variant_id = {after}");
        Assert.Contains(after, await capture.WaitForPendingAsync([after]));
    }

    [Fact]
    public async Task SlotOlderThanAMissingPublication_IsKept_AndTheErrorNamesFeedSyncMigrate()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(0);
        var slotName = feedSync.Database.Name;
        await using var app = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = [DemoCatalog.ConfigFile], Overrides = feedSync.Settings, RunWorker = false });
        await using var replication = new LogicalReplicationConnection(feedSync.Database.ConnectionString);
        await replication.Open();
        var slot = await replication.CreatePgOutputReplicationSlot(slotName);
        await feedSync.Database.ExecuteAsync("CREATE TABLE public.touched (x integer); INSERT INTO public.touched VALUES (1)");

        // The real error pgoutput sends for a change decoded while the publication does not exist.
        var streamError = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await foreach (var _ in replication.StartReplication(slot, new PgOutputReplicationOptions("feedsync", PgOutputProtocolVersion.V1), CancellationToken.None))
            {
            }
        });
        Assert.True(SlotPredatesPublication.Matches(streamError, "feedsync"), streamError.MessageText);

        var error = await Assert.ThrowsAsync<CaptureSetupException>(
            () => app.Services.GetRequiredService<SlotPredatesPublication>().RepairAsync(streamError, CancellationToken.None));

        Assert.Contains("Publication feedsync is missing", error.Message);
        Assert.Contains("Run `feedsync migrate`", error.Message);
        Assert.Equal(1, await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = @slot", ("slot", slotName)));
    }
}
