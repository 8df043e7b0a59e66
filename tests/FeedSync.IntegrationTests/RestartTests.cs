using FeedSync.Demo;
using FeedSync.IntegrationTests.Infrastructure;
using FeedSync.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FeedSync.IntegrationTests;

/// <summary>Stopping FeedSync in the middle of a stream of catalog changes loses nothing.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task RestartDuringAChangeStream_LosesNothing_TheEmulatorEndsEqualToTheFeedView()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(variants: 60);
        await feedSync.StartAndSyncAsync();
        // Its own connections: the change stream must go on while FeedSync (and its data sources) are down.
        await using var databases = new Databases(NpgsqlDataSource.Create(feedSync.Database.ConnectionString), NpgsqlDataSource.Create(feedSync.Database.ConnectionString));
        var demo = new DemoCatalog(databases, NullLogger<DemoCatalog>.Instance);

        using var stopChanges = new CancellationTokenSource();
        var changesApplied = 0;
        var changes = Task.Run(async () =>
        {
            while (!stopChanges.IsCancellationRequested)
            {
                changesApplied += await demo.ApplyRandomChangesAsync(3, CancellationToken.None);
                await Task.Delay(20);
            }
        });

        await Wait.UntilAsync(() => changesApplied >= 60, TimeSpan.FromSeconds(30), "the change stream is running");
        await feedSync.StopAsync();
        var whileDown = changesApplied;
        await Wait.UntilAsync(() => changesApplied >= whileDown + 60, TimeSpan.FromSeconds(30), "changes were made while FeedSync was down");
        await feedSync.StartAsync();
        await Wait.UntilAsync(() => changesApplied >= whileDown + 120, TimeSpan.FromSeconds(30), "changes were made after the restart");
        await stopChanges.CancelAsync();
        await changes;

        await feedSync.WaitUntilInStepAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(await feedSync.DifferencesAsync());
        Assert.Empty(feedSync.Emulator.ContractViolations);
    }
}
