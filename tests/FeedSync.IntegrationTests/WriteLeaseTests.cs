using FeedSync.Diff;
using FeedSync.IntegrationTests.Infrastructure;
using FeedSync.MerchantEmulator;
using static FeedSync.IntegrationTests.Freshness.FreshnessCatalog;

namespace FeedSync.IntegrationTests;

/// <summary>
/// A pusher that lost its claim connection mid-push cannot record, but its calls may still be in flight: another
/// pusher waits out its write lease, so the older write cannot land after the newer one.
/// </summary>
public sealed class WriteLeaseTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 8, new Dictionary<string, string?>
        {
            ["FeedSync:Push:WriteLease"] = "00:00:10",
            // Retries within a call end well inside half the lease, so a 5xx is answered, not abandoned.
            ["FeedSync:MerchantCenter:RetryBaseDelay"] = "00:00:00.050",
            ["FeedSync:MerchantCenter:MaxRetryDelay"] = "00:00:00.200",
        });
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task AWriteOfAPusherThatLostItsClaim_IsWaitedOut_ThenTheProductIsResentInFull()
    {
        var (_, variantId, sku) = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var key = variantId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // What a pusher leaves behind when its claim connection drops while its insert is on the way to Google.
        await _feedSync.Database.ExecuteAsync(
            "UPDATE feedsync.last_pushed SET force_reason = 'in_doubt', forced_at = now(), lease_until = now() + interval '1 hour' WHERE product_key = @k", ("k", key));
        var before = _feedSync.RequestsFor(sku).Count;
        var price = await _feedSync.Database.ScalarAsync<decimal>("SELECT amount FROM catalog.prices WHERE variant_id = @v AND market = 'US'", ("v", variantId));
        await _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = @a WHERE variant_id = @v AND market = 'US'", ("a", price + 1m), ("v", variantId));

        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce((SELECT last_error LIKE 'write_lease%' AND not_before > now() + interval '50 minutes' FROM feedsync.pending WHERE product_key = @k), false)", ("k", key)),
            Timeout,
            "the product waits for the other pusher's write lease");
        Assert.Equal(before, _feedSync.RequestsFor(sku).Count);

        // The lease runs out: the product goes as a full insert of the latest content.
        await _feedSync.Database.ExecuteAsync("""
            UPDATE feedsync.last_pushed SET lease_until = now() - interval '1 second' WHERE product_key = @k;
            UPDATE feedsync.pending SET not_before = now() WHERE product_key = @k;
            """, ("k", key));
        await _feedSync.WaitUntilInStepAsync(Timeout);
        var resent = Assert.Single(_feedSync.RequestsFor(sku).Skip(before));
        Assert.Equal("POST", resent.Method);
        Assert.Equal(ForceReason.Describe(ForceReason.InDoubt), await LastWhyAsync(key));
        Assert.True(await NothingForcedOrLeasedAsync(key));
    }

    [Fact]
    public async Task CallsNotAnsweredWithinHalfTheLease_AreAbandoned_KeepTheLease_SoTheNewerContentIsSentOnlyAfterTheLateWrite()
    {
        var (_, variantId, sku) = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var key = variantId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var before = _feedSync.RequestsFor(sku).Count;

        // Google answers (and applies) the patch only after 7 s: abandoned at half the 10 s lease, applied late.
        _feedSync.Emulator.Faults = new FaultSettings { LatencyMs = 7000 };
        var price = await _feedSync.Database.ScalarAsync<decimal>("SELECT amount FROM catalog.prices WHERE variant_id = @v AND market = 'US'", ("v", variantId));
        await SetPriceAsync(price + 1m);
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce((SELECT bool_and(force_reason = 'in_doubt' AND lease_until > now()) FROM feedsync.last_pushed WHERE product_key = @k), false)", ("k", key)),
            Timeout,
            "the patch is on its way (in doubt, under lease)");
        var leaseUntil = await _feedSync.Database.ScalarAsync<DateTime>("SELECT max(lease_until) FROM feedsync.last_pushed WHERE product_key = @k", ("k", key));

        // Newer content while the patch is in flight.
        await SetPriceAsync(price + 2m);
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce((SELECT last_error LIKE '%write_lease%' FROM feedsync.pending WHERE product_key = @k), false)", ("k", key)),
            Timeout,
            "the patch is abandoned at half the lease");
        Assert.True(
            await _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce(bool_and(force_reason = 'in_doubt' AND lease_until = @u), false) FROM feedsync.last_pushed WHERE product_key = @k", ("k", key), ("u", leaseUntil)),
            "the abandoned patch stays in doubt and keeps its lease (Google may still apply it)");

        // Retry at once (a short backoff): the product must still wait for the lease, not race the late patch.
        _feedSync.Emulator.Faults = FaultSettings.None;
        await _feedSync.Database.ExecuteAsync("UPDATE feedsync.pending SET not_before = now() WHERE product_key = @k", ("k", key));
        await Wait.UntilAsync(() => _feedSync.RequestsFor(sku).Skip(before).Any(r => r.Method == "PATCH"), Timeout, "the late patch reaches Google");
        await _feedSync.WaitUntilInStepAsync(Timeout);

        var resent = Assert.Single(_feedSync.RequestsFor(sku).Skip(before), r => r.Method == "POST");
        Assert.True(resent.ReceivedAt.UtcDateTime >= leaseUntil, $"the full insert was sent at {resent.ReceivedAt:O}, before the lease ran out at {leaseUntil:O}");
        Assert.Equal(
            ((long)((price + 2m) * 1_000_000m)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            _feedSync.Held(sku)!["productAttributes"]!["price"]!["amountMicros"]!.GetValue<string>());
        Assert.Equal(ForceReason.Describe(ForceReason.InDoubt), await _feedSync.Database.ScalarAsync<string>(
            "SELECT why FROM feedsync.push_log WHERE product_key = @k AND outcome = 'Success' ORDER BY id DESC LIMIT 1", ("k", key)));

        Task SetPriceAsync(decimal amount) =>
            _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = @a WHERE variant_id = @v AND market = 'US'", ("a", amount), ("v", variantId));
    }

    [Fact]
    public async Task ARecordThatLosesADeadlockRace_IsRecordedAgain_SoTheAnsweredWriteEndsItsLeaseWithoutASecondCall()
    {
        var (_, variantId, sku) = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var key = variantId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var before = _feedSync.RequestsFor(sku).Count;

        // The next audit insert fails as PostgreSQL fails the loser of a deadlock (a sequence is not rolled back, so only once).
        await _feedSync.Database.ExecuteAsync("""
            CREATE SEQUENCE public.deadlock_once;
            CREATE FUNCTION public.deadlock_once() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('public.deadlock_once') = 1 THEN RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = 'deadlock_detected'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER deadlock_once BEFORE INSERT ON feedsync.push_log FOR EACH STATEMENT EXECUTE FUNCTION public.deadlock_once();
            """);
        var price = await _feedSync.Database.ScalarAsync<decimal>("SELECT amount FROM catalog.prices WHERE variant_id = @v AND market = 'US'", ("v", variantId));
        await _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = @a WHERE variant_id = @v AND market = 'US'", ("a", price + 1m), ("v", variantId));

        await _feedSync.WaitUntilInStepAsync(Timeout);

        Assert.Equal(2L, await _feedSync.Database.ScalarAsync<long>("SELECT last_value FROM public.deadlock_once"));
        Assert.Single(_feedSync.RequestsFor(sku).Skip(before));
        Assert.True(await NothingForcedOrLeasedAsync(key));
    }

    [Fact]
    public async Task APatchGoogleAnswersWith500_StaysInDoubtWithoutALease_AndIsResentAsAFullInsert()
    {
        var (_, variantId, sku) = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var key = variantId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var before = _feedSync.RequestsFor(sku).Count;

        _feedSync.Emulator.Faults = new FaultSettings { Share500 = 1 };
        await _feedSync.Database.ExecuteAsync(
            "UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id = @v AND market = 'US'", ("v", variantId));
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce((SELECT last_error IS NOT NULL FROM feedsync.pending WHERE product_key = @k), false)", ("k", key)),
            Timeout,
            "Google answered the patch with 500 and the product waits for its retry");
        Assert.All(_feedSync.RequestsFor(sku).Skip(before), r => Assert.Equal(("PATCH", 500), (r.Method, r.Status)));
        Assert.True(
            await _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce(bool_or(force_reason = 'in_doubt' AND lease_until IS NULL), false) FROM feedsync.last_pushed WHERE product_key = @k", ("k", key)),
            "whether Google applied the patch is unknown, but nothing of it is in flight");

        _feedSync.Emulator.Faults = FaultSettings.None;
        await _feedSync.Database.ExecuteAsync("UPDATE feedsync.pending SET not_before = now() WHERE product_key = @k", ("k", key));
        await _feedSync.WaitUntilInStepAsync(Timeout);

        Assert.Equal("POST", _feedSync.RequestsFor(sku).Last().Method);
        Assert.Equal(ForceReason.Describe(ForceReason.InDoubt), await LastWhyAsync(key));
        Assert.True(await NothingForcedOrLeasedAsync(key));
    }

    [Fact]
    public async Task AResyncRequestedWhileAFullInsertIsInFlight_OutlivesThatInsert_SoTheNextPushIsAFullInsertToo()
    {
        var (_, variantId, sku) = (await PickUnpromotedAsync(_feedSync, 1))[0];
        var key = variantId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var before = _feedSync.RequestsFor(sku).Count;
        await _feedSync.Database.ExecuteAsync(
            "UPDATE feedsync.last_pushed SET force_reason = 'operator_resync', forced_at = now() WHERE product_key = @k", ("k", key));

        // Google answers after 2 s; while the full insert the first resync asked for is on its way, an operator asks
        // again (what ForcedResync writes).
        _feedSync.Emulator.Faults = new FaultSettings { LatencyMs = 2000 };
        await SetPriceAsync(_feedSync, variantId, 1m);
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce((SELECT bool_or(force_reason = 'in_doubt') FROM feedsync.last_pushed WHERE product_key = @k), false)", ("k", key)),
            Timeout,
            "the full insert is on its way");
        await _feedSync.Database.ExecuteAsync(
            "UPDATE feedsync.last_pushed SET force_reason = 'operator_resync', forced_at = now() WHERE product_key = @k", ("k", key));
        await Wait.UntilAsync(() => _feedSync.RequestsFor(sku).Skip(before).Any(r => r.Status == 200), Timeout, "Google answered the full insert");
        await Wait.UntilAsync(
            () => _feedSync.Database.ScalarAsync<bool>(
                "SELECT coalesce((SELECT bool_and(lease_until IS NULL) FROM feedsync.last_pushed WHERE product_key = @k), false)", ("k", key)),
            Timeout,
            "the full insert is recorded");
        _feedSync.Emulator.Faults = FaultSettings.None;
        Assert.Equal("operator_resync", await _feedSync.Database.ScalarAsync<string>(
            "SELECT force_reason FROM feedsync.last_pushed WHERE product_key = @k", ("k", key)));

        await SetPriceAsync(_feedSync, variantId, 2m);
        await _feedSync.WaitUntilInStepAsync(Timeout);

        Assert.Equal(["POST", "POST"], _feedSync.RequestsFor(sku).Skip(before).Select(r => r.Method));
        Assert.True(
            await NothingForcedOrLeasedAsync(key),
            "the second full insert ends the mark");

        static async Task SetPriceAsync(FeedSyncHarness feedSync, long variantId, decimal increase) => await feedSync.Database.ExecuteAsync(
            "UPDATE catalog.prices SET amount = amount + @a WHERE variant_id = @v AND market = 'US'", ("a", increase), ("v", variantId));
    }

    /// <summary>No full insert is due for the product's destinations and none of their writes is leased.</summary>
    private Task<bool> NothingForcedOrLeasedAsync(string key) => _feedSync.Database.ScalarAsync<bool>(
        "SELECT bool_and(force_reason IS NULL AND lease_until IS NULL) FROM feedsync.last_pushed WHERE product_key = @k", ("k", key));

    /// <summary>Why the product's last call was made, as the audit log says.</summary>
    private Task<string> LastWhyAsync(string key) => _feedSync.Database.ScalarAsync<string>(
        "SELECT why FROM feedsync.push_log WHERE product_key = @k ORDER BY id DESC LIMIT 1", ("k", key));
}
