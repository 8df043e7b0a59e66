using FeedSync.Diff;
using FeedSync.IntegrationTests.Infrastructure;
using FeedSync.MerchantEmulator;
using static FeedSync.IntegrationTests.Freshness.FreshnessCatalog;

namespace FeedSync.IntegrationTests;

/// <summary>
/// A write whose first attempt timed out and whose retry Google answered: the first attempt may still land. Had a
/// newer write gone out before that, Google would end up with the older one (a late patch restores an old price, a
/// late delete removes a product that came back) while FeedSync records the newer. So the answered write keeps the
/// write lease of its unanswered attempt, and the product's next write waits for it.
/// </summary>
public sealed class UnansweredAttemptTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 8, new Dictionary<string, string?>
        {
            ["FeedSync:Push:WriteLease"] = "00:00:10",
            // An attempt times out after 1 s and is retried at once, well inside half the lease.
            ["FeedSync:MerchantCenter:RequestTimeout"] = "00:00:01",
            ["FeedSync:MerchantCenter:RetryBaseDelay"] = "00:00:00.050",
            ["FeedSync:MerchantCenter:MaxRetryDelay"] = "00:00:00.200",
        });
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task ADeleteAnsweredOnlyOnRetry_KeepsItsLease_SoTheProductBackInTheViewIsInsertedOnlyAfterTheLateDelete()
    {
        var (_, variantId, sku) = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var key = variantId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // One destination, so its delete is a single DELETE request (two would go as one batch POST).
        await _feedSync.Database.ExecuteAsync("DELETE FROM catalog.prices WHERE variant_id = @v AND market <> 'US'", ("v", variantId));
        await _feedSync.WaitUntilInStepAsync(Timeout);
        var before = _feedSync.RequestsFor(sku).Count;

        // The first delete attempt reaches Google but is answered (and applied) only after 3 s; the retry at once.
        _feedSync.Emulator.Faults = new FaultSettings { LatencyMs = 3000, LatencyMethod = "DELETE", LatencyCount = 1 };
        await SetActiveAsync(false);
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce((SELECT last_error LIKE 'write_lease%' FROM feedsync.pending WHERE product_key = @k), false)", ("k", key)),
            Timeout,
            "the retry of the delete is answered and the product waits for the lease of the first attempt");
        Assert.Null(_feedSync.Held(sku));
        Assert.True(
            await _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce(bool_and(force_reason = 'in_doubt' AND lease_until > now()), false) FROM feedsync.last_pushed WHERE product_key = @k", ("k", key)),
            "the deleted destination stays recorded, in doubt and under its lease");
        var leaseUntil = await _feedSync.Database.ScalarAsync<DateTime>("SELECT max(lease_until) FROM feedsync.last_pushed WHERE product_key = @k", ("k", key));

        // Back in the view while the first attempt may still land: the full insert waits for the lease.
        await SetActiveAsync(true);
        await _feedSync.WaitUntilInStepAsync(Timeout);

        var sent = _feedSync.RequestsFor(sku).Skip(before).ToList();
        Assert.Equal(["DELETE", "DELETE", "POST"], sent.OrderBy(r => r.ReceivedAt).Select(r => r.Method));
        var insert = sent.Single(r => r.Method == "POST");
        Assert.True(insert.ReceivedAt.UtcDateTime >= leaseUntil, $"the full insert was sent at {insert.ReceivedAt:O}, before the lease ran out at {leaseUntil:O}");
        Assert.NotNull(_feedSync.Held(sku));
        Assert.Equal(ForceReason.Describe(ForceReason.InDoubt), await _feedSync.Database.ScalarAsync<string>(
            "SELECT why FROM feedsync.push_log WHERE product_key = @k AND outcome = 'Success' ORDER BY id DESC LIMIT 1", ("k", key)));

        Task SetActiveAsync(bool active) =>
            _feedSync.Database.ExecuteAsync("UPDATE catalog.variants SET active = @a WHERE id = @v", ("a", active), ("v", variantId));
    }

    [Fact]
    public async Task APatchAnsweredOnlyOnRetry_KeepsItsLease_SoTheNewerPriceIsSentOnlyAfterTheLatePatch()
    {
        var (_, variantId, sku) = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var key = variantId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var price = await _feedSync.Database.ScalarAsync<decimal>("SELECT amount FROM catalog.prices WHERE variant_id = @v AND market = 'US'", ("v", variantId));
        var before = _feedSync.RequestsFor(sku).Count;

        // The first patch attempt is answered (and applied) only after 3 s; FeedSync gives up after 1 s and the retry
        // is answered at once.
        _feedSync.Emulator.Faults = new FaultSettings { LatencyMs = 3000, LatencyMethod = "PATCH", LatencyCount = 1 };
        await SetPriceAsync(price + 1m);
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>(
                "SELECT NOT EXISTS (SELECT 1 FROM feedsync.pending WHERE product_key = @k) AND coalesce((SELECT max(lease_until) > now() FROM feedsync.last_pushed WHERE product_key = @k), false)",
                ("k", key)),
            Timeout,
            "the retry of the patch is answered and recorded, with the lease of the first attempt");
        var leaseUntil = await _feedSync.Database.ScalarAsync<DateTime>("SELECT max(lease_until) FROM feedsync.last_pushed WHERE product_key = @k", ("k", key));

        // A newer price while the first attempt may still land: its patch waits for the lease.
        await SetPriceAsync(price + 2m);
        await _feedSync.WaitUntilInStepAsync(Timeout);

        var patches = _feedSync.RequestsFor(sku).Skip(before).Where(r => r.Method == "PATCH").OrderBy(r => r.ReceivedAt).ToList();
        Assert.Equal(3, patches.Count);
        Assert.True(patches[2].ReceivedAt.UtcDateTime >= leaseUntil, $"the newer patch was sent at {patches[2].ReceivedAt:O}, before the lease ran out at {leaseUntil:O}");
        Assert.Equal(
            ((long)((price + 2m) * 1_000_000m)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            _feedSync.Held(sku)!["productAttributes"]!["price"]!["amountMicros"]!.GetValue<string>());

        Task SetPriceAsync(decimal amount) =>
            _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = @a WHERE variant_id = @v AND market = 'US'", ("a", amount), ("v", variantId));
    }
}
