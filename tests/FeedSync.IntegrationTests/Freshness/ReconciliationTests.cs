using System.Text;
using System.Text.Json.Nodes;
using FeedSync.Freshness;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static FeedSync.IntegrationTests.Freshness.FreshnessCatalog;

namespace FeedSync.IntegrationTests.Freshness;

/// <summary>Reconciliation repairs drift between the feed view, last_pushed and Google, and touches nothing else.</summary>
public sealed class ReconciliationTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        // Small pages, so keyset pagination crosses several pages and key boundaries.
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 60, new Dictionary<string, string?> { ["FeedSync:Freshness:ReconciliationPageSize"] = "100" });
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task Reconciliation_RepairsTamperedProductsAndDeletesGhosts_AndCallsForNothingElse()
    {
        var picked = await PickUnpromotedAsync(_feedSync, 2);
        var (priceDrift, titleDrift) = (picked[0], picked[1]);
        await TamperAsync(priceDrift.Sku, "price", new JsonObject { ["amountMicros"] = "1000000", ["currencyCode"] = "USD" });
        await TamperAsync(titleDrift.Sku, "title", JsonValue.Create("Tampered in Merchant Center"));
        await AddGhostAsync("GHOST-1", productKey: "987654321", template: priceDrift.Sku);
        Assert.NotEmpty(await _feedSync.DifferencesAsync());
        var before = _feedSync.Emulator.Requests.Count;

        var result = await _feedSync.Services.GetRequiredService<Reconciliation>().RunAsync(CancellationToken.None);

        Assert.Equal(2, result.ProductsDiffering);
        Assert.Equal(1, result.ProductsGone);
        Assert.Equal(await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM catalog.feed"), result.RowsRead);
        await _feedSync.WaitUntilInStepAsync(Timeout);
        Assert.Equal(0, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed WHERE offer_id = 'GHOST-1'"));

        var calls = _feedSync.Emulator.Requests.Skip(before).ToList();
        Assert.All(calls, call => Assert.True(
            Concerns(call, priceDrift.Sku) || Concerns(call, titleDrift.Sku) || Concerns(call, "GHOST-1"),
            $"untouched products cause no call, but got {call.Method} {call.Path}"));
        Assert.Contains(calls, c => c.Method == "DELETE" && Concerns(c, "GHOST-1"));

        // In step again: a second run finds nothing and calls nothing.
        var again = await _feedSync.Services.GetRequiredService<Reconciliation>().RunAsync(CancellationToken.None);
        Assert.Equal(0, again.ProductsDiffering + again.ProductsGone);
        Assert.Empty(_feedSync.Emulator.ContractViolations);
    }

    [Fact]
    public async Task Reconciliation_WhileAnotherRuns_DoesNothing_AndRunsOnceThatOneHasFinished()
    {
        var picked = (await PickUnpromotedAsync(_feedSync, 1))[0];
        await TamperAsync(picked.Sku, "title", JsonValue.Create("Tampered in Merchant Center"));
        var reconciliation = _feedSync.Services.GetRequiredService<Reconciliation>();

        // Another run (the nightly job, say, on another instance) holds the run lock: an overlapping "Resync all" stops at once.
        await using var other = new Npgsql.NpgsqlConnection(_feedSync.Database.ConnectionString);
        await other.OpenAsync();
        await using (var take = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(x'46535245434F4E'::bigint)", other))
        {
            await take.ExecuteNonQueryAsync();
        }

        var overlapping = await reconciliation.RunAsync(CancellationToken.None);
        var dryRun = await reconciliation.RunAsync(new ReconciliationRun(DryRun: true), CancellationToken.None);

        Assert.True(overlapping.AlreadyRunning);
        Assert.Equal(0, overlapping.RowsRead);
        Assert.Equal(0L, await _feedSync.PendingAsync());
        Assert.Equal(1, dryRun.ProductsDiffering);

        await using (var release = new Npgsql.NpgsqlCommand("SELECT pg_advisory_unlock(x'46535245434F4E'::bigint)", other))
        {
            await release.ExecuteNonQueryAsync();
        }

        var after = await reconciliation.RunAsync(CancellationToken.None);
        Assert.False(after.AlreadyRunning);
        Assert.Equal(1, after.ProductsDiffering);
        await _feedSync.WaitUntilInStepAsync(Timeout);
    }

    private bool Concerns(MerchantEmulator.RecordedRequest call, string offerId) => _feedSync.RequestsFor(offerId).Contains(call);

    /// <summary>Google and last_pushed agree on a value the feed view does not have (an edit made in Merchant Center, say).</summary>
    private async Task TamperAsync(string sku, string attribute, JsonNode value)
    {
        var body = InputOf(_feedSync.Held(sku)!);
        body["productAttributes"]![attribute] = value.DeepClone();
        await InsertIntoEmulatorAsync(body);
        await _feedSync.Database.ExecuteAsync(
            "UPDATE feedsync.last_pushed SET payload = jsonb_set(payload, @path, @value::jsonb), content_hash = '\\x00'::bytea WHERE offer_id = @sku AND feed_label = 'US'",
            ("path", new[] { "productAttributes", attribute }), ("value", value.ToJsonString()), ("sku", sku));
    }

    /// <summary>A product Google and last_pushed hold although the feed view never had it.</summary>
    private async Task AddGhostAsync(string offerId, string productKey, string template)
    {
        var body = InputOf(_feedSync.Held(template)!);
        body["offerId"] = offerId;
        await InsertIntoEmulatorAsync(body);
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO feedsync.last_pushed (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at)
            VALUES (@offer, 'en', 'US', @key, '\x01'::bytea, @payload::jsonb, now(), now())
            """, ("offer", offerId), ("key", productKey), ("payload", body.ToJsonString()));
    }

    private static JsonObject InputOf(JsonObject held) => new()
    {
        ["offerId"] = held["offerId"]!.DeepClone(),
        ["contentLanguage"] = held["contentLanguage"]!.DeepClone(),
        ["feedLabel"] = held["feedLabel"]!.DeepClone(),
        ["productAttributes"] = held["productAttributes"]!.DeepClone(),
        ["customAttributes"] = held["customAttributes"]?.DeepClone() ?? new JsonArray(),
    };

    private async Task InsertIntoEmulatorAsync(JsonObject body)
    {
        using var http = new HttpClient { BaseAddress = new Uri(_feedSync.Emulator.Url) };
        var dataSource = Uri.EscapeDataString($"accounts/{FeedSyncHarness.AccountId}/dataSources/{FeedSyncHarness.DataSourceId}");
        using var response = await http.PostAsync(
            $"products/v1/accounts/{FeedSyncHarness.AccountId}/productInputs:insert?dataSource={dataSource}",
            new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
