using FeedSync.IntegrationTests.Infrastructure;

namespace FeedSync.IntegrationTests;

/// <summary>
/// Drain jobs outlive a quiet moment: changes that follow one another are pushed without a Hangfire job each; and
/// while they keep up, their claims are spaced so steps stay large.
/// </summary>
public sealed class DrainJobTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync()
    {
        // Long enough that a slow machine cannot end the drain between two changes of this test; claims spaced far
        // more than a push step takes here, so the spacing shows.
        _feedSync = await FeedSyncHarness.CreateAsync(variants: 20, new Dictionary<string, string?>
        {
            ["FeedSync:Push:DrainIdleWait"] = "00:00:30",
            ["FeedSync:Push:MinClaimInterval"] = "00:00:01",
        });
        await _feedSync.StartAndSyncAsync();
    }

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task ChangesOneAfterAnother_ArePushedByTheDrainJobsAlreadyStarted()
    {
        var variantId = await _feedSync.Database.ScalarAsync<long>("SELECT min(variant_id) FROM catalog.prices WHERE market = 'US'");
        var jobsBefore = await DrainJobsAsync();

        for (var change = 1; change <= 6; change++)
        {
            var calls = _feedSync.Emulator.Requests.Count;
            await _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id = @v AND market = 'US'", ("v", variantId));
            await Wait.UntilAsync(() => _feedSync.Emulator.Requests.Count > calls, Timeout, $"change {change} reached the emulator");
        }

        // Before drains waited for work, each of these commits started up to two drain jobs (12 here). The initial
        // sync's drains may all have ended before the first change; then the dispatcher starts one or two, which
        // take every later change.
        Assert.InRange(await DrainJobsAsync() - jobsBefore, 0, 2);
        await _feedSync.WaitUntilInStepAsync(Timeout);
    }

    [Fact]
    public async Task AChangeCommittedJustAfterAPush_WaitsForTheNextClaimSlot()
    {
        var variants = await _feedSync.Database.ScalarAsync<long[]>("SELECT array_agg(variant_id ORDER BY variant_id) FROM catalog.prices WHERE market = 'US'");
        var first = await PushedAtAsync(variants[0]);

        var second = await PushedAtAsync(variants[1]);

        // The second claim may start no sooner than 1 s after the first; the first call left after its claim, by the
        // few milliseconds of its read and plan. Unspaced, the second change would follow within its capture time.
        Assert.True(second - first >= TimeSpan.FromMilliseconds(600), $"pushed {(second - first).TotalMilliseconds:0} ms apart");
    }

    /// <summary>Changes the variant's price and returns when the emulator received the call that carried it.</summary>
    private async Task<DateTimeOffset> PushedAtAsync(long variantId)
    {
        var calls = _feedSync.Emulator.Requests.Count;
        await _feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id = @v AND market = 'US'", ("v", variantId));
        await Wait.UntilAsync(() => _feedSync.Emulator.Requests.Count > calls, Timeout, $"the change of variant {variantId} reached the emulator");
        return _feedSync.Emulator.Requests[calls].ReceivedAt;
    }

    private Task<long> DrainJobsAsync() =>
        _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM hangfire.job WHERE invocationdata::text LIKE '%PushDrainJob%'");
}
