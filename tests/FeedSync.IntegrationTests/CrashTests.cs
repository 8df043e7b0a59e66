using FeedSync.Demo;
using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit.Abstractions;

namespace FeedSync.IntegrationTests;

/// <summary>Real FeedSync processes killed with SIGKILL, a standby taking over, and a slot lost while down: nothing is lost.</summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> FastRecovery = new()
    {
        ["FeedSync:Capture:ReconnectDelay"] = "00:00:00.500",
        ["FeedSync:Capture:PollInterval"] = "00:00:00.200",
    };

    private static Task<string?> CaptureLeaderAsync(FeedSyncHarness feedSync) => feedSync.Database.ScalarAsync<string?>("""
        SELECT coalesce(min(a.application_name), '') FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() AND a.application_name LIKE 'child-%'
        """);

    /// <summary>A stream of random catalog changes on its own connections, running until disposed.</summary>
    private sealed class ChangeStream : IAsyncDisposable
    {
        private readonly Databases _databases;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _task;
        private int _applied;

        public ChangeStream(FeedSyncHarness feedSync)
        {
            _databases = new Databases(NpgsqlDataSource.Create(feedSync.Database.ConnectionString), NpgsqlDataSource.Create(feedSync.Database.ConnectionString));
            var demo = new DemoCatalog(_databases, NullLogger<DemoCatalog>.Instance);
            _task = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    Interlocked.Add(ref _applied, await demo.ApplyRandomChangesAsync(3, CancellationToken.None));
                    await Task.Delay(25);
                }
            });
        }

        public int Applied => Volatile.Read(ref _applied);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _task;
            await _databases.DisposeAsync();
        }
    }

    [Fact]
    public async Task KilledWithSigkillTenTimesDuringAChangeStream_TheEmulatorEndsEqualToTheFeedView()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(variants: 40, FastRecovery);
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"random seed {seed}");
        var changes = new ChangeStream(feedSync);
        try
        {
            for (var kill = 0; kill < 10; kill++)
            {
                await using var child = FeedSyncProcess.Start(feedSync, $"child-{kill}");
                if (kill % 2 == 0)
                {
                    // Half the kills land while it captures (lock held), the other half anywhere from start-up on.
                    await Wait.UntilAsync(async () => await CaptureLeaderAsync(feedSync) == child.Name, TimeSpan.FromSeconds(60), $"{child.Name} captures", () => Task.FromResult(child.Tail));
                }

                var before = changes.Applied;
                await Task.Delay(random.Next(200, 2_500));
                output.WriteLine($"kill {kill}: {changes.Applied - before} changes while it ran");
                await child.KillAsync();
            }

            await using var last = FeedSyncProcess.Start(feedSync, "child-last");
            await Wait.UntilAsync(async () => await CaptureLeaderAsync(feedSync) == last.Name, TimeSpan.FromSeconds(60), "the last process captures", () => Task.FromResult(last.Tail));
            await changes.DisposeAsync();
            output.WriteLine($"{changes.Applied} catalog changes in all");

            await feedSync.WaitUntilInStepAsync(TimeSpan.FromSeconds(90));
        }
        finally
        {
            await changes.DisposeAsync();
        }

        Assert.Empty(await feedSync.DifferencesAsync());
        Assert.Empty(feedSync.Emulator.ContractViolations);
    }

    [Theory]
    [InlineData("LogicalReplication")]
    [InlineData("Trigger")]
    public async Task TheCapturingProcessIsKilled_TheStandbyCapturesWithinTenSeconds_AndNothingIsLost(string mode)
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(variants: 30, new Dictionary<string, string?>(FastRecovery) { ["FeedSync:Capture:Mode"] = mode });
        await using var a = FeedSyncProcess.Start(feedSync, "child-a");
        await using var b = FeedSyncProcess.Start(feedSync, "child-b");
        await Wait.UntilAsync(async () => await CaptureLeaderAsync(feedSync) != "", TimeSpan.FromSeconds(60), "one process captures", () => Task.FromResult(a.Tail + b.Tail));
        await feedSync.WaitUntilInStepAsync(TimeSpan.FromSeconds(60));
        var (leader, standby) = await CaptureLeaderAsync(feedSync) == a.Name ? (a, b) : (b, a);

        await leader.KillAsync();
        // Changed right after the kill, while nobody captures: the standby must still pick it up.
        await feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id = (SELECT min(variant_id) FROM catalog.prices WHERE market = 'US')");

        await feedSync.WaitUntilInStepAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(standby.Name, await CaptureLeaderAsync(feedSync));
        Assert.False(standby.HasExited);
        Assert.Empty(feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task SlotDroppedWhileFeedSyncIsDown_IsRecreatedOnStart_AndTheEmulatorConverges()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(variants: 40, FastRecovery);
        await feedSync.StartAndSyncAsync();
        await feedSync.StopAsync();

        await using (var databases = new Databases(NpgsqlDataSource.Create(feedSync.Database.ConnectionString), NpgsqlDataSource.Create(feedSync.Database.ConnectionString)))
        {
            await new DemoCatalog(databases, NullLogger<DemoCatalog>.Instance).ApplyRandomChangesAsync(40, CancellationToken.None);
        }

        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    await feedSync.Database.ExecuteAsync("SELECT pg_drop_replication_slot(@slot)", ("slot", feedSync.Database.Name));
                    return true;
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectInUse)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            "the slot is dropped");
        Assert.NotEmpty(await feedSync.DifferencesAsync());

        await feedSync.StartAsync();

        await feedSync.WaitUntilInStepAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = @slot", ("slot", feedSync.Database.Name)));
        Assert.Empty(feedSync.Emulator.ContractViolations);
    }
}
