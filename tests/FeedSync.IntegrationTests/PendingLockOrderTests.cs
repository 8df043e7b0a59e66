using FeedSync.Demo;
using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using FeedSync.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FeedSync.IntegrationTests;

/// <summary>
/// Capture marks keys dirty while pushers release theirs, both in <c>feedsync.pending</c>. At 1,000 changes/s the
/// two used to lock the same rows in different orders and PostgreSQL killed one with a deadlock: a push step whose
/// calls Google had already answered then failed to record them.
/// </summary>
public sealed class PendingLockOrderTests
{
    [Fact]
    public async Task Release_WhileCaptureMarksTheSameKeysInKeyOrder_WaitsInsteadOfDeadlocking()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(0);
        await using var app = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = [DemoCatalog.ConfigFile], Overrides = feedSync.Settings });
        await app.Services.GetRequiredService<StateMigrator>().MigrateAsync(CancellationToken.None);
        var queue = app.Services.GetRequiredService<PendingQueue>();

        // "b" is stored before "a", so a release that locks in storage or argument order takes "b" first.
        await queue.MarkDirtyAsync(["b"], CancellationToken.None);
        await queue.MarkDirtyAsync(["a"], CancellationToken.None);
        await using var pusher = new NpgsqlConnection(feedSync.Database.ConnectionString);
        await pusher.OpenAsync();
        var claims = await PendingQueue.ClaimAsync(pusher, 10, CancellationToken.None);
        Assert.Equal(2, claims.Count);
        var pusherPid = pusher.ProcessID;

        // Capture holds "a" (its transaction is open), then the pusher releases "b" and "a".
        await using var capture = new NpgsqlConnection(feedSync.Database.ConnectionString);
        await capture.OpenAsync();
        await using var captureTransaction = await capture.BeginTransactionAsync();
        await queue.MarkDirtyAsync(["a"], capture, captureTransaction, CancellationToken.None);

        var releases = claims.OrderByDescending(c => c.ProductKey, StringComparer.Ordinal).Select(c => new Release(c, Called: true, null, null)).ToList();
        var release = Task.Run(() => queue.ReleaseAsync(releases, pusher, CancellationToken.None));
        await Wait.UntilAsync(
            () => feedSync.Database.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = @pid AND wait_event_type = 'Lock')", ("pid", pusherPid)),
            TimeSpan.FromSeconds(30),
            "the release waits for capture's lock");

        // Capture now needs "b": had the release taken "b" before waiting for "a", this would deadlock (40P01).
        await queue.MarkDirtyAsync(["b"], capture, captureTransaction, CancellationToken.None);
        await captureTransaction.CommitAsync();
        await release;

        // Both keys changed again after their claim: they stay pending, behind the coalescing window.
        Assert.Equal(2L, await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.pending WHERE product_key IN ('a', 'b')"));
    }
}
