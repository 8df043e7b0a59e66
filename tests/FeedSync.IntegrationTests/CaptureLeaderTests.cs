using FeedSync.Capture;
using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FeedSync.IntegrationTests;

/// <summary>Stepping down as capture leader frees the lock at once, although the connection only goes back to the pool.</summary>
public sealed class CaptureLeaderTests
{
    [Fact]
    public async Task DisposedLease_ReleasesTheAdvisoryLock_WhileItsPooledSessionStaysOpen()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(0);
        await using var app = feedSync.Build();
        var leader = app.Services.GetRequiredService<CaptureLeader>();
        var catalog = app.Services.GetRequiredService<Databases>().Catalog;

        // Another connection of the same pool, open alongside the lease, so it is surely another session.
        await using var other = await catalog.OpenConnectionAsync();
        int leaderPid;
        await using (var lease = await leader.AcquireAsync(CancellationToken.None))
        {
            leaderPid = lease.Connection.ProcessID;
            Assert.NotEqual(leaderPid, other.ProcessID);
            Assert.False(await TryLockAsync(other, leader.Source), "another session cannot lead meanwhile");
        }

        // The leader's session is still there, idle in FeedSync's pool; it must not hold the lock any more.
        Assert.Equal(1, await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE pid = @pid", ("pid", leaderPid)));
        Assert.True(await TryLockAsync(other, leader.Source), "another connection of the same process takes the lead");
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, string source)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtext('feedsync-capture:' || @source))", connection);
        command.Parameters.AddWithValue("source", source);
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
