using System.Text;
using System.Text.Json.Nodes;
using FeedSync.IntegrationTests.Infrastructure;
using FeedSync.MerchantEmulator;

namespace FeedSync.IntegrationTests;

/// <summary>
/// A storm: for a while 30 % of Merchant API calls fail with 429 or 503. Retries (Polly in the call, the pending
/// queue for 429s) must still bring every product in step with the feed view, without pushing any product more
/// often than it changed.
/// </summary>
public sealed class StormTests : IAsyncLifetime
{
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        // Short backoffs so the storm passes in seconds; the rules are the production ones.
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 60, new Dictionary<string, string?>
        {
            ["FeedSync:Push:RetryBackoff"] = "00:00:00.200",
            ["FeedSync:Push:MaxRetryBackoff"] = "00:00:02",
            ["FeedSync:MerchantCenter:BatchSize"] = "10",
            ["FeedSync:MerchantCenter:RetryBaseDelay"] = "00:00:00.050",
            ["FeedSync:MerchantCenter:MaxRetryDelay"] = "00:00:00.200",
            ["FeedSync:MerchantCenter:RateLimitBackoff"] = "00:00:00.300",
            ["FeedSync:MerchantCenter:RateLimitCooldown"] = "00:00:02",
            ["FeedSync:MerchantCenter:CircuitBreakDuration"] = "00:00:01",
        });
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task ThirtyPercent429And503_EveryProductEndsInStep_EachPushedOnce()
    {
        var before = _feedSync.Emulator.Requests.Count;
        _feedSync.Emulator.Faults = new FaultSettings { Share429 = 0.15, Share503 = 0.15, RetryDelayMs = 300 };

        await _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = amount + 1 WHERE market = 'US'");
        await Wait.UntilAsync(
            () => _feedSync.Emulator.Requests.Skip(before).Count(r => r.Status is 429 or 503) >= 5,
            TimeSpan.FromSeconds(30), "the storm has failed some calls");
        _feedSync.Emulator.Faults = FaultSettings.None;
        await _feedSync.WaitUntilInStepAsync(TimeSpan.FromSeconds(45));

        var during = _feedSync.Emulator.Requests.Skip(before).ToList();
        var successes = during.Where(r => r.Status == 200).GroupBy(Identity).ToDictionary(g => g.Key, g => g.Count());
        var changed = _feedSync.Emulator.Products.Values
            .Where(p => p["feedLabel"]!.GetValue<string>() == "US")
            .Select(p => $"{p["contentLanguage"]}~US~{p["offerId"]}")
            .ToList();
        Assert.NotEmpty(changed);
        Assert.Contains(during, r => r.Status is 429 or 503);
        Assert.All(changed, id => Assert.Equal(1, successes.GetValueOrDefault(id)));
        Assert.Equal(changed.Count, successes.Values.Sum());
        Assert.Empty(await _feedSync.DifferencesAsync());
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    /// <summary>The product a recorded call concerns: from the body for an insert, from the encoded name otherwise.</summary>
    private static string Identity(RecordedRequest request)
    {
        if (request.Method == "POST")
        {
            var body = JsonNode.Parse(request.Body!)!;
            return $"{body["contentLanguage"]}~{body["feedLabel"]}~{body["offerId"]}";
        }

        var encoded = request.Path[(request.Path.LastIndexOf('/') + 1)..];
        return Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(encoded));
    }
}
