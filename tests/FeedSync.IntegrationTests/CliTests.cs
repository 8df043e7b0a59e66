using System.CommandLine;
using System.Text.Json.Nodes;
using FeedSync.Cli;
using FeedSync.Demo;
using FeedSync.IntegrationTests.Infrastructure;

namespace FeedSync.IntegrationTests;

/// <summary>The engineers' verbs, each against a real database and the emulator, run in-process exactly as the executable runs them.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private FeedSyncHarness _feedSync = null!;
    private string _configFile = null!;
    private string _offerId = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 20);
        await _feedSync.StartAndSyncAsync();
        await _feedSync.StopAsync();
        _configFile = WriteConfig(_feedSync.Settings);
        _offerId = await _feedSync.Database.ScalarAsync<string>("SELECT offer_id FROM feedsync.last_pushed GROUP BY offer_id HAVING count(*) = 1 ORDER BY offer_id LIMIT 1");
    }

    public async Task DisposeAsync()
    {
        File.Delete(_configFile);
        await _feedSync.DisposeAsync();
    }

    [Fact]
    public async Task ResyncDryRun_SaysWhatWouldBeResynced_AndMarksAndSendsNothing()
    {
        var calls = _feedSync.Emulator.CallCount;

        var (exit, output, _) = await RunAsync("resync", "--offer-id", _offerId, "--dry-run");

        Assert.Equal(CliApp.Ok, exit);
        Assert.Contains("would resync 1 product(s)", output, StringComparison.Ordinal);
        Assert.Equal(0L, await _feedSync.PendingAsync());
        Assert.Equal(calls, _feedSync.Emulator.CallCount);

        var pushed = await _feedSync.Database.ScalarAsync<long>("SELECT count(DISTINCT product_key) FROM feedsync.push_log");
        var (sinceExit, sinceOutput, _) = await RunAsync("resync", "--since", DateTimeOffset.UtcNow.AddHours(-1).ToString("O"), "--dry-run");
        Assert.Equal(CliApp.Ok, sinceExit);
        Assert.Contains($"would resync {pushed} product(s)", sinceOutput, StringComparison.Ordinal);
        var (futureExit, _, _) = await RunAsync("resync", "--since", DateTimeOffset.UtcNow.AddHours(1).ToString("O"), "--dry-run");
        Assert.Equal(CliApp.Failed, futureExit);
        Assert.Equal(0L, await _feedSync.PendingAsync());
    }

    [Fact]
    public async Task ResyncOfferId_MarksItPendingForTheRunningFleet()
    {
        var (exit, output, _) = await RunAsync("resync", "--offer-id", _offerId);

        Assert.Equal(CliApp.Ok, exit);
        Assert.Contains("Marked 1 product(s) pending", output, StringComparison.Ordinal);
        Assert.Equal(1L, await _feedSync.Database.ScalarAsync<long>(
            "SELECT count(*) FROM feedsync.pending p JOIN feedsync.last_pushed l USING (product_key) WHERE l.offer_id = @o", ("o", _offerId)));
    }

    [Fact]
    public async Task ResyncInlineForce_PushesHere_AndTheEmulatorReceivesTheInsert()
    {
        var before = _feedSync.CallsFor(_offerId);

        var (exit, output, error) = await RunAsync("resync", "--offer-id", _offerId, "--inline", "--force");

        Assert.True(exit == CliApp.Ok, output + error);
        Assert.Contains("Done: 1 products pushed with 1 Merchant API calls", output, StringComparison.Ordinal);
        Assert.Contains("Pushed 1/1 products", error, StringComparison.Ordinal);
        Assert.Equal(before + 1, _feedSync.CallsFor(_offerId));
        Assert.Equal(0L, await _feedSync.PendingAsync());
        Assert.Equal("resync requested by an operator", await _feedSync.Database.ScalarAsync<string>(
            "SELECT why FROM feedsync.push_log WHERE offer_id = @o ORDER BY id DESC LIMIT 1", ("o", _offerId)));
    }

    [Fact]
    public async Task ResyncAll_GoesThroughReconciliation_DryRunSendsNothing_AndOnlyAProductChangedBehindCaptureIsPushed()
    {
        var calls = _feedSync.Emulator.CallCount;
        var (inStepExit, inStep, _) = await RunAsync("resync", "--all");
        Assert.Equal(CliApp.Ok, inStepExit);
        Assert.Contains("0 product(s) differ, 0 left the view", inStep, StringComparison.Ordinal);
        Assert.Contains("nothing to push", inStep, StringComparison.Ordinal);
        Assert.Equal(calls, _feedSync.Emulator.CallCount);

        // FeedSync is stopped, so capture never sees this change: only the reconciliation can find it.
        await _feedSync.Database.ExecuteAsync(
            "UPDATE catalog.prices SET amount = amount + 1 WHERE market = 'US' AND variant_id = (SELECT id FROM catalog.variants WHERE sku = @o)", ("o", _offerId));

        var (dryExit, dry, _) = await RunAsync("resync", "--all", "--dry-run");
        Assert.Equal(CliApp.Ok, dryExit);
        Assert.Contains("1 product(s) differ, 0 left the view", dry, StringComparison.Ordinal);
        Assert.Contains("would push 1 product(s)", dry, StringComparison.Ordinal);
        Assert.Equal(0L, await _feedSync.PendingAsync());
        Assert.Equal(calls, _feedSync.Emulator.CallCount);

        var (exit, output, error) = await RunAsync("resync", "--all", "--inline");
        Assert.True(exit == CliApp.Ok, output + error);
        Assert.Contains("Reconciling:", error, StringComparison.Ordinal);
        Assert.Contains("Done: 1 products pushed with 1 Merchant API calls", output, StringComparison.Ordinal);
        Assert.Equal(calls + 1, _feedSync.Emulator.CallCount);
        var call = Assert.Single(_feedSync.RequestsFor(_offerId), r => r.Method == "PATCH");
        Assert.Contains("productAttributes.price", call.Query, StringComparison.Ordinal);
        Assert.Equal(0L, await _feedSync.PendingAsync());
    }

    [Fact]
    public async Task ResyncAllForce_ReinsertsEveryProductGoogleShouldHold()
    {
        var destinations = await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed");
        var calls = _feedSync.Emulator.Requests.Count;

        var (exit, output, error) = await RunAsync("resync", "--all", "--force", "--inline");

        Assert.True(exit == CliApp.Ok, output + error);
        var sent = _feedSync.Emulator.Requests.Skip(calls).Where(r => r.Path.Contains("/productInputs", StringComparison.Ordinal)).ToList();
        Assert.Equal(destinations, sent.Count);
        Assert.All(sent, r => Assert.Equal("POST", r.Method));
    }

    [Fact]
    public async Task ResyncWithoutASelection_IsAConfigurationProblem()
    {
        var (exit, _, error) = await RunAsync("resync");

        Assert.Equal(CliApp.ConfigurationProblem, exit);
        Assert.Contains("--all, --offer-id", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DiffJson_ShowsTheInsertAPushWouldSend_AndSendsNothing()
    {
        await _feedSync.Database.ExecuteAsync("DELETE FROM feedsync.last_pushed WHERE offer_id = @o", ("o", _offerId));
        var calls = _feedSync.Emulator.CallCount;

        var (exit, output, _) = await RunAsync("diff", "--json");

        Assert.Equal(CliApp.Ok, exit);
        var json = JsonNode.Parse(output)!;
        var change = Assert.Single(json["changes"]!.AsArray());
        Assert.Equal(_offerId, change!["offerId"]!.GetValue<string>());
        Assert.Equal("insert", change["action"]!.GetValue<string>());
        Assert.Equal(1, json["summary"]!["insert"]!.GetValue<int>());
        Assert.True(json["summary"]!["none"]!.GetValue<int>() > 0);
        Assert.Equal(calls, _feedSync.Emulator.CallCount);
        Assert.Equal(0L, await _feedSync.PendingAsync());
    }

    [Fact]
    public async Task DiffTable_ListsAPriceChangeAsAMaskedPatch()
    {
        await _feedSync.Database.ExecuteAsync("""
            UPDATE feedsync.last_pushed SET content_hash = '\x00'::bytea,
                   payload = jsonb_set(payload, '{productAttributes,price,amountMicros}', '"1"')
            WHERE offer_id = @o
            """, ("o", _offerId));

        var (exit, output, _) = await RunAsync("diff", "--offer-id", _offerId);

        Assert.Equal(CliApp.Ok, exit);
        Assert.Matches($@"patch\s+{System.Text.RegularExpressions.Regex.Escape(_offerId)}\s+en~US\s+price changed \[productAttributes.price\]", output);
        Assert.Contains("Nothing was sent.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusJson_ShowsTheDatabaseCounts_AndExitsZeroWhenFresh()
    {
        // Fresh needs a running FeedSync: someone must be reading the replication slot.
        await _feedSync.StartAsync();
        await Wait.UntilAsync(async () => await _feedSync.Database.ScalarAsync<bool>("SELECT active FROM pg_replication_slots WHERE slot_name = current_database()"),
            TimeSpan.FromSeconds(30), "capture reads the slot again");

        var (exit, output, _) = await RunAsync("status", "--json");

        Assert.Equal(CliApp.Ok, exit);
        var json = JsonNode.Parse(output)!;
        Assert.True(json["fresh"]!.GetValue<bool>());
        Assert.Equal(await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed"), json["productsInGoogle"]!.GetValue<long>());
        Assert.Equal(0, json["pending"]!.GetValue<long>());
    }

    [Fact]
    public async Task Status_ExitsThree_WhenAChangeHasWaitedTooLong()
    {
        await _feedSync.Database.ExecuteAsync("INSERT INTO feedsync.pending (product_key, dirty_gen, first_dirty_at, not_before) VALUES ('stuck', 1, now() - interval '1 hour', now() + interval '1 hour')");

        var (exit, output, _) = await RunAsync("status");

        Assert.Equal(OperationsCommands.NotFresh, exit);
        Assert.Contains("NOT FRESH: the oldest pending change has waited 60 min", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigValidate_AcceptsAWorkingConfiguration()
    {
        var (exit, output, _) = await RunAsync("config", "validate");

        Assert.True(exit == CliApp.Ok, output);
        Assert.Contains("ok    Merchant Center access", output, StringComparison.Ordinal);
        Assert.Contains("ok    feed view and tracked tables", output, StringComparison.Ordinal);
        Assert.Contains($"ok    data source: accounts/{FeedSyncHarness.AccountId}/dataSources/{FeedSyncHarness.DataSourceId} is a primary product data source with API input", output, StringComparison.Ordinal);
        Assert.Contains("Configuration is valid.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("warn  ", output, StringComparison.Ordinal); // every section the harness sets is known, Freshness included
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task ConfigValidate_NamesAMissingDataSource_AndHowToCreateOne()
    {
        var (exit, output) = await ValidateWithDataSourceAsync("999");

        Assert.Equal(CliApp.ConfigurationProblem, exit);
        Assert.Contains($"FAIL  data source: accounts/{FeedSyncHarness.AccountId}/dataSources/999 does not exist in Merchant Center", output, StringComparison.Ordinal);
        Assert.Contains("`feedsync migrate --merchant-center`", output, StringComparison.Ordinal);
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task ConfigValidate_NamesADataSourceOfTheWrongType_OrForAnotherFeedLabel()
    {
        _feedSync.Emulator.PutDataSource(FeedSyncHarness.AccountId, "555", new JsonObject
        {
            ["displayName"] = "Extra attributes", ["input"] = "FILE", ["supplementalProductDataSource"] = new JsonObject(),
        });
        _feedSync.Emulator.PutDataSource(FeedSyncHarness.AccountId, "556", new JsonObject
        {
            ["displayName"] = "German shop", ["primaryProductDataSource"] = new JsonObject { ["contentLanguage"] = "de", ["feedLabel"] = "DE" },
        });

        var (wrongTypeExit, wrongType) = await ValidateWithDataSourceAsync("555");
        var (wrongLabelExit, wrongLabel) = await ValidateWithDataSourceAsync("556");

        Assert.Equal(CliApp.ConfigurationProblem, wrongTypeExit);
        Assert.Contains("it is not a primary product data source (it is a supplementalProductDataSource)", wrongType, StringComparison.Ordinal);
        Assert.Contains("its input is FILE, not API", wrongType, StringComparison.Ordinal);
        Assert.Equal(CliApp.ConfigurationProblem, wrongLabelExit);
        Assert.Contains("it accepts only de~DE (contentLanguage~feedLabel), but the feed view has rows for ", wrongLabel, StringComparison.Ordinal);
    }

    private async Task<(int Exit, string Output)> ValidateWithDataSourceAsync(string dataSourceId)
    {
        var file = WriteConfig(new Dictionary<string, string?>(_feedSync.Settings) { ["FeedSync:MerchantCenter:DataSourceId"] = dataSourceId });
        try
        {
            var (exit, output, _) = await RunAsync(["config", "validate"], file);
            return (exit, output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ConfigValidate_NamesAWrongValue_AndAMisspelledKey()
    {
        var settings = new Dictionary<string, string?>(_feedSync.Settings)
        {
            ["FeedSync:MerchantCenter:AccountId"] = "my-shop",
            ["FeedSync:Catalog:FeedVeiw"] = "catalog.feed",
        };
        var file = WriteConfig(settings);
        try
        {
            var (exit, output, _) = await RunAsync(["config", "validate"], file);

            Assert.Equal(CliApp.ConfigurationProblem, exit);
            Assert.Contains("FAIL  FeedSync:MerchantCenter: FeedSync:MerchantCenter:AccountId 'my-shop'", output, StringComparison.Ordinal);
            Assert.Contains("warn  FeedSync:Catalog:FeedVeiw: unknown setting", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task ConfigValidate_NamesAnUnreachableMerchantEndpoint()
    {
        var settings = new Dictionary<string, string?>(_feedSync.Settings) { ["FeedSync:MerchantCenter:Endpoint"] = "http://127.0.0.1:9/" };
        var file = WriteConfig(settings);
        try
        {
            var (exit, output, _) = await RunAsync(["config", "validate"], file);

            Assert.Equal(CliApp.ConfigurationProblem, exit);
            Assert.Contains("FAIL  Merchant Center access: cannot reach http://127.0.0.1:9/ (FeedSync:MerchantCenter:Endpoint)", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private Task<(int Exit, string Output, string Error)> RunAsync(params string[] args) => RunAsync(args, _configFile);

    internal static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args, string? configFile)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] all = configFile is null ? args : [.. args, "--config", DemoCatalog.ConfigFile, "--config", configFile];
        var exit = await CliApp.RunAsync(all, new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Settings as a JSON file; colon-separated keys are how .NET configuration names nested keys.</summary>
    internal static string WriteConfig(IReadOnlyDictionary<string, string?> settings)
    {
        var json = new JsonObject();
        foreach (var (key, value) in settings)
        {
            json[key] = value;
        }

        var file = Path.Combine(Path.GetTempPath(), $"feedsync-cli-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json.ToJsonString());
        return file;
    }
}

/// <summary>Help needs no database: every verb explains itself.</summary>
public sealed class CliHelpTests
{
    [Theory]
    [InlineData("resync")]
    [InlineData("diff")]
    [InlineData("status")]
    [InlineData("config")]
    [InlineData("hash-password")]
    public async Task EveryVerb_HasHelp(string verb)
    {
        var (exit, output, _) = await CliTests.RunAsync([.. verb.Split(' '), "--help"], null);

        Assert.Equal(0, exit);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }

}
