using FeedSync.Capture;
using FeedSync.Demo;
using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FeedSync.IntegrationTests;

/// <summary>Logical replication works against a catalog server that asks for a password, as production servers do.</summary>
public sealed class PasswordAuthTests(PasswordCluster cluster) : IClassFixture<PasswordCluster>
{
    [Fact]
    public async Task CatalogAskingForAPassword_GetsItOnTheReplicationConnectionToo_AndTheSlotIsCreatedWithItsInitialLoad()
    {
        var shop = await ClusterDatabases.CreateAsync(cluster.ConnectionString, "shop");
        await using (var withoutPassword = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(shop) { Password = null }.ConnectionString))
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => withoutPassword.OpenAsync());
        }

        await using var feedSync = await FeedSyncHarness.CreateAsync(0);
        var overrides = new Dictionary<string, string?>(feedSync.Settings)
        {
            ["FeedSync:Catalog:ConnectionString"] = shop,
            ["FeedSync:State:ConnectionString"] = shop,
        };
        await using var app = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = [DemoCatalog.ConfigFile], Overrides = overrides, RunWorker = false });
        await app.Services.GetRequiredService<DemoCatalog>().InstallAsync(CancellationToken.None);
        await app.Services.GetRequiredService<DemoCatalog>().SeedIfEmptyAsync(5, CancellationToken.None);
        await app.Services.GetRequiredService<StateMigrator>().MigrateAsync(CancellationToken.None);

        Assert.True(await app.Services.GetRequiredService<ReplicationSetup>().EnsureAsync(CancellationToken.None), "the slot was created and the catalog queued");

        var databases = app.Services.GetRequiredService<Databases>();
        Assert.Equal(1L, await ScalarAsync(databases, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = @slot", feedSync.Database.Name));
        Assert.True(await ScalarAsync(databases, "SELECT count(*) FROM feedsync.pending WHERE product_key <> @slot", feedSync.Database.Name) > 0, "the seeded products are queued");
        Assert.DoesNotContain(PasswordCluster.Password, databases.Catalog.ConnectionString, StringComparison.Ordinal);
    }

    private static async Task<long> ScalarAsync(Databases databases, string sql, string slot)
    {
        await using var command = databases.Catalog.CreateCommand(sql);
        command.Parameters.AddWithValue("slot", slot);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
