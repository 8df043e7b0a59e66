using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FeedSync.IntegrationTests;

/// <summary>Schema scripts upgrade a state database that an older release filled, not only an empty one.</summary>
public sealed class StateMigrationTests : IAsyncLifetime
{
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync() => _feedSync = await FeedSyncHarness.CreateAsync(variants: 0);

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task PerProductBudgetAndOldMarkers_AreCarriedToEachDestination_WhenUpgradingPastScript8()
    {
        await using var app = _feedSync.Build();
        var migrator = app.Services.GetRequiredService<StateMigrator>();
        await migrator.MigrateAsync(upTo: 7, CancellationToken.None);
        // As the release before script 8 left it: one budget row per product, an in-doubt write (emptied payload)
        // and an operator resync (emptied hash).
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO feedsync.last_pushed (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at) VALUES
                ('sku-1', 'en', 'US', 'p1', '\x01', '{"a":1}', now(), now()),
                ('sku-1', 'de', 'DE', 'p1', '\x00', '{}', now(), now()),
                ('sku-2', 'en', 'US', 'p2', '\x', '{"a":2}', now(), now());
            INSERT INTO feedsync.update_budget (product_key, critical_pushes, deferred_changes) VALUES ('p1', 3, 'title');
            """);

        await migrator.MigrateAsync(CancellationToken.None);

        Assert.Equal(2L, await _feedSync.Database.ScalarAsync<long>(
            "SELECT count(*) FROM feedsync.update_budget WHERE product_key = 'p1' AND critical_pushes = 3 AND deferred_changes = 'title' AND feed_label IN ('US', 'DE')"));
        Assert.Equal("in_doubt", await _feedSync.Database.ScalarAsync<string>("SELECT force_reason FROM feedsync.last_pushed WHERE feed_label = 'DE'"));
        Assert.Equal("operator_resync", await _feedSync.Database.ScalarAsync<string>("SELECT force_reason FROM feedsync.last_pushed WHERE offer_id = 'sku-2'"));
        Assert.Equal(0L, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed WHERE offer_id = 'sku-1' AND feed_label = 'US' AND force_reason IS NOT NULL"));
    }
}
