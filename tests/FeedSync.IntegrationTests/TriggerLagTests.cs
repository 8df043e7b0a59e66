using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FeedSync.Capture;
using FeedSync.Cli;
using FeedSync.Demo;
using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FeedSync.IntegrationTests;

/// <summary>Trigger mode's capture lag (the oldest change-log row not yet recorded) is shown wherever the slot's lag is.</summary>
public sealed class TriggerLagTests
{
    [Fact]
    public async Task TriggerMode_AChangeNotYetRecorded_ShowsAsCaptureLag_InMetricsReadyzStatusAndOverview_UntilCaptureRecordsIt()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(10, new Dictionary<string, string?>
        {
            ["FeedSync:Capture:Mode"] = "Trigger",
            ["FeedSync:Capture:PollInterval"] = "00:00:00.200",
            ["FeedSync:Capture:LeaderRetryInterval"] = "00:00:00.200",
        });
        await using (var captureOnly = await CaptureHost.StartAsync(feedSync))
        {
            await captureOnly.WaitForInitialLoadAndClearAsync();
        }

        // Holding the capture lock stands in for a capturing instance that has stopped making progress. Unpooled, so
        // closing it ends the session and its lock, as the instance dying would (a pooled one keeps both until reused).
        await using var stuckLeader = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(feedSync.Database.ConnectionString) { Pooling = false }.ConnectionString);
        await stuckLeader.OpenAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext('feedsync-capture:' || @source))", stuckLeader))
        {
            take.Parameters.AddWithValue("source", "trigger:" + feedSync.Database.Name);
            await take.ExecuteNonQueryAsync();
        }

        await feedSync.Database.ExecuteAsync("UPDATE catalog.stock SET quantity = quantity + 1 WHERE variant_id = (SELECT min(variant_id) FROM catalog.stock)");
        // Clearly old: host start, scrapes and CLI runs on a loaded machine take seconds to minutes, never an hour.
        await feedSync.Database.ExecuteAsync("UPDATE feedsync_capture.change_log SET logged_at = now() - interval '1 hour'");

        var settings = feedSync.Settings.Where(s => !s.Key.StartsWith("FeedSync:Dashboard:Users", StringComparison.Ordinal)).ToDictionary();
        await using var app = FeedSyncApp.BuildHost(new HostSettings { Args = ["--environment", "Development"], ConfigFiles = [DemoCatalog.ConfigFile], Overrides = settings });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var ready = await http.GetAsync("/readyz");
        var capture = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["checks"]!["capture"]!;
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.False(capture["ok"]!.GetValue<bool>());
        AssertAtLeastAnHour(@"^[1-9]\d* change-log row\(s\) not yet recorded, the oldest (\d+\.\d) s old$", capture["detail"]!.GetValue<string>(), 1);

        // The exporter serves what it collected at the previous scrape, so the gauge appears from the second scrape on.
        string? metric = null;
        await Wait.UntilAsync(
            async () => (metric = (await http.GetStringAsync("/metrics")).Split('\n').FirstOrDefault(l => l.StartsWith("feedsync_capture_lag_age_seconds", StringComparison.Ordinal))) is not null,
            TimeSpan.FromSeconds(30),
            "the lag gauge appears in /metrics",
            async () => string.Join(" | ", (await http.GetStringAsync("/metrics")).Split('\n').Where(l => l.StartsWith("feedsync", StringComparison.Ordinal))));
        Assert.InRange(double.Parse(metric!.Split(' ')[^1], CultureInfo.InvariantCulture), HourSeconds, 2 * HourSeconds);

        var page = await http.GetStringAsync("/hangfire/feedsync");
        AssertAtLeastAnHour(@"(\d+) min \(oldest change-log row not yet recorded\)", page, 60);
        AssertAtLeastAnHour(@"change capture is (\d+) s behind \(the oldest change-log row not yet recorded\)", page, 1);

        var config = CliTests.WriteConfig(settings);
        try
        {
            var (exit, output, _) = await CliTests.RunAsync(["status"], config);
            Assert.Equal(OperationsCommands.NotFresh, exit);
            AssertAtLeastAnHour(@"Capture lag +(\d+) min \(oldest change-log row not yet recorded\)", output, 60);
            var (_, json, _) = await CliTests.RunAsync(["status", "--json"], config);
            Assert.InRange(JsonNode.Parse(json)!["captureLagAgeSeconds"]!.GetValue<double>(), HourSeconds, 2 * HourSeconds);
        }
        finally
        {
            File.Delete(config);
        }

        // The instance takes over, records the row, and the lag is gone.
        await stuckLeader.CloseAsync();
        await Wait.UntilAsync(
            async () => (await http.GetAsync("/readyz")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60),
            "/readyz is ready again",
            async () => await http.GetStringAsync("/readyz"));
        var after = JsonNode.Parse(await http.GetStringAsync("/readyz"))!["checks"]!["capture"]!;
        Assert.Equal("every change-log row is recorded", after["detail"]!.GetValue<string>());
        await app.StopAsync();
    }

    [Fact]
    public async Task AnOldChangeLog_BehindALongTransaction_MigrateGivesUpAfterTheLockTimeout_NamingTheHolder_InsteadOfQueueingEveryCatalogWrite()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(0, new Dictionary<string, string?> { ["FeedSync:Capture:Mode"] = "Trigger" });
        await using var app = feedSync.Build();
        var setup = app.Services.GetRequiredService<TriggerSetup>();
        await setup.EnsureAsync(CancellationToken.None);
        await feedSync.Database.ExecuteAsync("ALTER TABLE feedsync_capture.change_log DROP COLUMN logged_at");
        const string HasColumn = "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'feedsync_capture' AND table_name = 'change_log' AND column_name = 'logged_at'";

        // A report left open in a transaction that read the log: ADD COLUMN would wait for it, and writes would queue behind.
        await using var report = new NpgsqlConnection(feedSync.Database.ConnectionString);
        await report.OpenAsync();
        await using var longTransaction = await report.BeginTransactionAsync();
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM feedsync_capture.change_log", report, longTransaction))
        {
            await read.ExecuteScalarAsync();
        }

        // WaitAsync only keeps a regression from hanging the run: without the lock timeout this waits for the report forever.
        var error = await Assert.ThrowsAsync<CaptureSetupException>(() => setup.EnsureAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2)));

        Assert.Contains("Could not add the logged_at column to feedsync_capture.change_log", error.Message);
        Assert.Contains($"pid {report.ProcessID} ", error.Message);
        Assert.Contains("AccessShareLock on feedsync_capture.change_log", error.Message);
        Assert.Equal(0, await feedSync.Database.ScalarAsync<long>(HasColumn));

        await longTransaction.CommitAsync();
        await setup.EnsureAsync(CancellationToken.None);
        Assert.Equal(1, await feedSync.Database.ScalarAsync<long>(HasColumn));
    }

    private const double HourSeconds = 3600;

    /// <summary>The age captured by <paramref name="pattern"/>, in units of <paramref name="unitSeconds"/>, is at least the backdated hour (and not wildly more, which would be a wrong unit).</summary>
    private static void AssertAtLeastAnHour(string pattern, string text, double unitSeconds)
    {
        var match = Regex.Match(text, pattern, RegexOptions.Multiline);
        Assert.True(match.Success, $"'{pattern}' not found in: {text}");
        Assert.InRange(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * unitSeconds, HourSeconds, 2 * HourSeconds);
    }
}
