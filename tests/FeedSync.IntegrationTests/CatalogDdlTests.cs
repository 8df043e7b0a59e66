using FeedSync.Capture;
using FeedSync.Cli;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FeedSync.IntegrationTests;

/// <summary>
/// FeedSync's DDL on the catalog: it never waits long for a lock (a queued DDL statement blocks the shop's writes),
/// says who held the lock, and only <c>feedsync migrate</c> upgrades Trigger mode's existing change log.
/// </summary>
public sealed class CatalogDdlTests
{
    private const string HasLoggedAt =
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'feedsync_capture' AND table_name = 'change_log' AND column_name = 'logged_at'";

    private static Task<FeedSyncHarness> CreateAsync(string mode = "Trigger") => FeedSyncHarness.CreateAsync(0, new Dictionary<string, string?>
    {
        ["FeedSync:Capture:Mode"] = mode,
        ["FeedSync:Capture:DdlLockTimeout"] = "00:00:01",
    });

    /// <summary>Another session with an open transaction that holds <paramref name="mode"/> on catalog.stock (COMMIT on it to release).</summary>
    private static async Task<NpgsqlConnection> HoldStockAsync(FeedSyncHarness feedSync, string mode)
    {
        var connection = new NpgsqlConnection(feedSync.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"BEGIN; LOCK TABLE catalog.stock IN {mode} MODE", connection);
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    [Fact]
    public async Task TriggerInstall_BehindAnOpenWriteTransaction_GivesUpAfterTheLockTimeout_NamingTheHolderAndToRetry_AndInstallsOnRetry()
    {
        await using var feedSync = await CreateAsync();
        await using var app = feedSync.Build();
        var setup = app.Services.GetRequiredService<TriggerSetup>();

        // A shop transaction still open after writing to a tracked table (it holds the lock a write takes): CREATE TRIGGER must wait for it.
        await using var shop = await HoldStockAsync(feedSync, "ROW EXCLUSIVE");

        // WaitAsync only keeps a regression from hanging the run: without the lock timeout this waits for the shop forever.
        var error = await Assert.ThrowsAsync<CaptureSetupException>(() => setup.EnsureAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Contains("Could not install the capture triggers", error.Message);
        Assert.Contains($"pid {shop.ProcessID} ", error.Message);
        Assert.Contains("RowExclusiveLock on catalog.stock", error.Message);
        Assert.Contains("FeedSync:Capture:DdlLockTimeout", error.Message);
        Assert.Contains("retry once that transaction has ended", error.Message);
        Assert.False(await feedSync.Database.ScalarAsync<bool>("SELECT to_regclass('feedsync_capture.change_log') IS NOT NULL"), "the install was rolled back");

        await using (var commit = new NpgsqlCommand("COMMIT", shop))
        {
            await commit.ExecuteNonQueryAsync();
        }

        var installed = await setup.EnsureAsync(CancellationToken.None);

        Assert.Contains(installed, t => t.Table.Name == "stock");
        Assert.Equal(1, await feedSync.Database.ScalarAsync<long>(HasLoggedAt));
    }

    [Fact]
    public async Task Publishing_BehindATransactionHoldingAConflictingLock_GivesUpAfterTheLockTimeout_NamingTheHolder()
    {
        await using var feedSync = await CreateAsync("LogicalReplication");
        await using var app = feedSync.Build();
        await using var maintenance = await HoldStockAsync(feedSync, "SHARE UPDATE EXCLUSIVE");

        var error = await Assert.ThrowsAsync<CaptureSetupException>(
            () => app.Services.GetRequiredService<ReplicationSetup>().EnsureAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Contains("Could not publish", error.Message);
        Assert.Contains($"pid {maintenance.ProcessID} ", error.Message);
        Assert.Contains("ShareUpdateExclusiveLock on catalog.stock", error.Message);
        Assert.Equal(0, await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM pg_publication WHERE pubname = 'feedsync'"));
    }

    [Fact]
    public async Task ChangeLogWithoutLoggedAt_StopsTriggerCaptureAtStart_WithAnErrorNamingFeedSyncMigrate_AndOnlyMigrateAddsTheColumn()
    {
        await using var feedSync = await CreateAsync();
        await using (var app = feedSync.Build())
        {
            var setup = app.Services.GetRequiredService<TriggerSetup>();
            await setup.EnsureAsync(CancellationToken.None);
            await feedSync.Database.ExecuteAsync("ALTER TABLE feedsync_capture.change_log DROP COLUMN logged_at");

            var error = await Assert.ThrowsAsync<CaptureSetupException>(() => setup.EnsureForCaptureAsync(CancellationToken.None));

            Assert.Contains("feedsync_capture.change_log predates its logged_at column", error.Message);
            Assert.Contains("Run `feedsync migrate` once as the log's owner", error.Message);
            Assert.Equal(0, await feedSync.Database.ScalarAsync<long>(HasLoggedAt));
        }

        var config = CliTests.WriteConfig(feedSync.Settings);
        try
        {
            var (exit, output, errors) = await CliTests.RunAsync(["migrate"], config);
            Assert.True(exit == CliApp.Ok, output + errors);
        }
        finally
        {
            File.Delete(config);
        }

        Assert.Equal(1, await feedSync.Database.ScalarAsync<long>(HasLoggedAt));
        await using (var app = feedSync.Build())
        {
            Assert.Empty(await app.Services.GetRequiredService<TriggerSetup>().EnsureForCaptureAsync(CancellationToken.None));
        }
    }
}
