using FeedSync.IntegrationTests.Infrastructure;
using FeedSync.Jobs;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FeedSync.IntegrationTests;

/// <summary>The audit log and call counters are pruned by FeedSync's clock, in batches, keeping what is younger than the retention.</summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 0, new Dictionary<string, string?>
        {
            ["FeedSync:Retention:PushLogRetention"] = "30.00:00:00",
            ["FeedSync:Retention:PushStatsRetention"] = "2.00:00:00",
            ["FeedSync:Retention:BatchSize"] = "2",
        });
        _feedSync.Time = _clock;
        await _feedSync.StartAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task Run_DeletesOnlyRowsOlderThanTheRetention_InBatches()
    {
        // Ages in days on the fake clock: five audit rows beyond 30 days, two within; counters follow push_log's trigger.
        foreach (var days in new[] { 45, 40, 35, 31, 30.5, 29, 1 })
        {
            await _feedSync.Database.ExecuteAsync("""
                INSERT INTO feedsync.push_log (at, product_key, offer_id, content_language, feed_label, action, why, http_status, outcome)
                VALUES (@at, 'k', 'o', 'en', 'US', 'Insert', 'test', 200, 'Success')
                """, ("at", _clock.GetUtcNow().AddDays(-days)));
        }

        using var scope = _feedSync.Services.CreateScope();
        var result = await ActivatorUtilities.CreateInstance<RetentionJob>(scope.ServiceProvider).RunAsync(CancellationToken.None);

        Assert.Equal(5, result.PushLogDeleted);
        Assert.Equal(2L, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.push_log"));
        Assert.Equal(0L, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.push_log WHERE at < @cutoff", ("cutoff", _clock.GetUtcNow().AddDays(-30))));

        // Counters are kept two days: only the one-day-old minute survives.
        Assert.Equal(6, result.PushStatsDeleted);
        Assert.Equal(1L, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.push_stats"));

        // Batches of two: 5 rows take three statements (2+2+1), 6 counters four (2+2+2+0).
        Assert.Equal(7, result.Statements);

        // At once again: nothing to do. A day and a minute later on the clock, the 29-day-old row and the last counter are due.
        var again = await ActivatorUtilities.CreateInstance<RetentionJob>(scope.ServiceProvider).RunAsync(CancellationToken.None);
        Assert.Equal((0L, 0L), (again.PushLogDeleted, again.PushStatsDeleted));
        _clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var later = await ActivatorUtilities.CreateInstance<RetentionJob>(scope.ServiceProvider).RunAsync(CancellationToken.None);
        Assert.Equal((1L, 1L), (later.PushLogDeleted, later.PushStatsDeleted));
        Assert.Equal(1L, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.push_log"));
    }

    [Fact]
    public async Task Start_RegistersTheRetentionJobAsRecurring_WithTheConfiguredCron()
    {
        using var connection = _feedSync.Services.GetRequiredService<Hangfire.JobStorage>().GetConnection();

        await Wait.UntilAsync(() => connection.GetRecurringJobs().Any(j => j.Id == RetentionJob.RecurringId), TimeSpan.FromSeconds(30), "the retention job is registered");

        var job = connection.GetRecurringJobs().Single(j => j.Id == RetentionJob.RecurringId);
        Assert.Equal(new RetentionOptions().Cron, job.Cron);
        Assert.Equal("b_default", job.Job.Queue);
    }

    [Fact]
    public void Options_RefuseARetentionShorterThanADay_NamingTheKey()
    {
        var result = new RetentionOptionsValidator().Validate(null, new RetentionOptions { PushLogRetention = TimeSpan.FromHours(6) });

        Assert.True(result.Failed);
        Assert.Contains("FeedSync:Retention:PushLogRetention", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new RetentionOptionsValidator().Validate(null, new RetentionOptions()).Succeeded);
        Assert.Equal(TimeSpan.FromDays(30), _feedSync.Services.GetRequiredService<IOptions<RetentionOptions>>().Value.PushLogRetention);
    }
}
