using FeedSync.Freshness;
using FeedSync.IntegrationTests.Infrastructure;
using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FeedSync.IntegrationTests.Freshness;

/// <summary>The freshness jobs are Hangfire recurring jobs with the configured cron and time zone (the dashboard lists them).</summary>
public sealed class RecurringJobsTests : IAsyncLifetime
{
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 5, new Dictionary<string, string?>
        {
            ["FeedSync:Freshness:ReconciliationCron"] = "30 4 * * *",
            ["FeedSync:Freshness:ExpiryRefreshCron"] = "0 1 * * *",
            ["FeedSync:Freshness:TimeZone"] = "Europe/Berlin",
        });
        await _feedSync.StartAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task RecurringJobs_AreRegisteredWithConfiguredCronAndTimeZone()
    {
        using var connection = _feedSync.Services.GetRequiredService<JobStorage>().GetConnection();
        string[] freshness = [RecurringFreshnessJobs.ReconciliationId, RecurringFreshnessJobs.ExpiryRefreshId, RecurringFreshnessJobs.BoundarySweepId];

        // Other features register recurring jobs of their own (retention); these are the freshness ones.
        await Wait.UntilAsync(() => connection.GetRecurringJobs().Count(j => freshness.Contains(j.Id)) == 3, TimeSpan.FromSeconds(30), "the three recurring jobs are registered");
        var jobs = connection.GetRecurringJobs().Where(j => freshness.Contains(j.Id)).ToDictionary(j => j.Id);

        Assert.Equal("30 4 * * *", jobs[RecurringFreshnessJobs.ReconciliationId].Cron);
        Assert.Equal("0 1 * * *", jobs[RecurringFreshnessJobs.ExpiryRefreshId].Cron);
        Assert.Equal("*/5 * * * *", jobs[RecurringFreshnessJobs.BoundarySweepId].Cron);
        Assert.All(jobs.Values, j => Assert.Equal("Europe/Berlin", j.TimeZoneId));
        Assert.All(jobs.Values, j => Assert.Equal(FreshnessJobs.Queue, j.Job.Queue));
        Assert.All(jobs.Values, j => Assert.NotNull(j.NextExecution));
    }
}
