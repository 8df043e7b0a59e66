using FeedSync.Capture;
using FeedSync.Demo;
using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Npgsql.Replication;

namespace FeedSync.IntegrationTests;

/// <summary>
/// The catalog set-up problems operators hit with logical replication each stop capture with a message that
/// names the problem and the fix. (The role without REPLICATION is in <see cref="LogicalCaptureTests"/>.)
/// </summary>
public sealed class CaptureSetupErrorTests(MisconfiguredCluster misconfigured) : IClassFixture<MisconfiguredCluster>
{
    private static async Task<CaptureSetupException> EnsureFailsAsync(FeedSyncHarness feedSync, string catalogConnectionString)
    {
        var overrides = new Dictionary<string, string?>(feedSync.Settings) { ["FeedSync:Catalog:ConnectionString"] = catalogConnectionString };
        await using var app = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = [DemoCatalog.ConfigFile], Overrides = overrides });
        await app.Services.GetRequiredService<StateMigrator>().MigrateAsync(CancellationToken.None);
        var setup = app.Services.GetRequiredService<ReplicationSetup>();
        return await Assert.ThrowsAsync<CaptureSetupException>(() => setup.EnsureAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WalLevelReplica_StopsCaptureNamingWalLevelLogical_TheManagedServiceFlags_AndTriggerMode()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(0);

        var error = await EnsureFailsAsync(feedSync, misconfigured.ConnectionString);

        Assert.Contains("wal_level = replica", error.Message);
        Assert.Contains("needs wal_level = logical", error.Message);
        Assert.Contains("rds.logical_replication", error.Message);
        Assert.Contains("FeedSync:Capture:Mode = Trigger", error.Message);
    }

    [Fact]
    public async Task PgHbaWithoutALineForTheDatabase_RefusesReplication_WithAnErrorExplainingDatabaseNameVersusReplicationKeyword()
    {
        var shop = await ClusterDatabases.CreateAsync(misconfigured.ConnectionString, "shop");

        var error = await Assert.ThrowsAsync<CaptureSetupException>(() => ReplicationSetup.OpenReplicationAsync(shop, CancellationToken.None));

        Assert.Contains("pg_hba.conf must allow the database itself (shop)", error.Message);
        Assert.Contains("not the keyword 'replication'", error.Message);
        Assert.Contains("host shop <role> <address>", error.Message);
        Assert.Contains("FeedSync:Capture:Mode = Trigger", error.Message);
    }

    [Fact]
    public async Task PublicationLackingATrackedTable_AndARoleThatCannotAddIt_StopsCaptureNamingTheTablesAndTheStatement()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(0);
        var role = "pub_" + feedSync.Database.Name;
        await feedSync.Database.ExecuteAsync($"""
            CREATE PUBLICATION feedsync FOR TABLE catalog.variants, catalog.prices, catalog.stock, catalog.products,
                catalog.promotion_products, catalog.promotions, catalog.markets;
            CREATE ROLE {role} LOGIN REPLICATION;
            GRANT USAGE ON SCHEMA catalog TO {role};
            GRANT SELECT ON ALL TABLES IN SCHEMA catalog TO {role};
            """);
        try
        {
            var limited = new NpgsqlConnectionStringBuilder(feedSync.Database.ConnectionString) { Username = role }.ConnectionString;

            var error = await EnsureFailsAsync(feedSync, limited);

            Assert.Contains("Publication feedsync lacks the tracked table(s) \"catalog\".\"warehouses\"", error.Message);
            Assert.Contains("ALTER PUBLICATION \"feedsync\" ADD TABLE \"catalog\".\"warehouses\";", error.Message);
            Assert.DoesNotContain("\"prices\"", error.Message);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await feedSync.Database.ExecuteAsync($"DROP OWNED BY {role}; DROP ROLE {role}");
        }
    }

    [Fact]
    public async Task PublicationLackingATrackedTable_IsCompletedByAnOwningRole_AndChangesToThatTableAreCaptured()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(10);
        await feedSync.Database.ExecuteAsync("CREATE PUBLICATION feedsync FOR TABLE catalog.variants");
        await using var capture = await CaptureHost.StartAsync(feedSync);
        await capture.WaitForInitialLoadAndClearAsync();

        Assert.Equal(8, await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM pg_publication_tables WHERE pubname = 'feedsync'"));
        var id = await feedSync.Database.ScalarAsync<string>("SELECT min(variant_id)::text FROM catalog.stock");
        await feedSync.Database.ExecuteAsync($"UPDATE catalog.stock SET quantity = quantity + 1 WHERE variant_id = {id}");
        Assert.Equal([id], await capture.WaitForPendingAsync([id]));
    }

    [Fact]
    public async Task SlotHeldByAnotherClient_IsReportedWithHowToFindTheHolder_AndCaptureTakesOverOnceItIsReleased()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(10);
        var slotName = feedSync.Database.Name;
        // Publication before slot: pgoutput reads publications as of each change's position, so a slot older than its publication cannot stream.
        await feedSync.Database.ExecuteAsync("CREATE PUBLICATION feedsync FOR TABLE catalog.variants");
        await using var holder = new LogicalReplicationConnection(feedSync.Database.ConnectionString);
        await holder.Open();
        var slot = await holder.CreatePgOutputReplicationSlot(slotName);
        using var release = new CancellationTokenSource();
        var holding = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in holder.StartReplication(slot, new Npgsql.Replication.PgOutput.PgOutputReplicationOptions("feedsync", Npgsql.Replication.PgOutput.PgOutputProtocolVersion.V1), release.Token))
                {
                }
            }
            catch (OperationCanceledException)
            {
                // Released on purpose.
            }
        });
        await Wait.UntilAsync(
            async () => await feedSync.Database.ScalarAsync<bool>("SELECT active FROM pg_replication_slots WHERE slot_name = @slot", ("slot", slotName)),
            TimeSpan.FromSeconds(30),
            "the test holds the slot");

        await using var process = FeedSyncProcess.Start(feedSync, "held-" + slotName);
        await Wait.UntilAsync(() => process.LineContaining("is held by another process") is not null, TimeSpan.FromSeconds(90), "FeedSync reports the held slot", () => Task.FromResult(process.Tail));

        var line = process.LineContaining("is held by another process")!;
        Assert.Contains(slotName, line);
        Assert.Contains("SELECT active_pid FROM pg_replication_slots", line);
        Assert.Contains("FeedSync:Capture:SlotName", line);

        await release.CancelAsync();
        await holding;
        await holder.DisposeAsync();
        await Wait.UntilAsync(
            async () => await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM pg_stat_replication WHERE application_name = @name", ("name", process.Name)) == 1,
            TimeSpan.FromSeconds(60),
            "FeedSync streams from the released slot",
            () => Task.FromResult(process.Tail));
    }
}
