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
        Assert.True(await _feedSync.Database.ScalarAsync<bool>("SELECT in_doubt FROM feedsync.write_intent WHERE feed_label = 'DE'"));
        Assert.Equal(0L, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed WHERE feed_label = 'DE'"));
        Assert.Equal("operator_resync", await _feedSync.Database.ScalarAsync<string>("SELECT force_reason FROM feedsync.last_pushed WHERE offer_id = 'sku-2'"));
        Assert.Equal(0L, await _feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.last_pushed WHERE offer_id = 'sku-1' AND feed_label = 'US' AND force_reason IS NOT NULL"));
    }

    [Fact]
    public async Task InDoubtMarksAndLeases_MoveFromLastPushedToWriteIntent_WhenUpgradingPastScript11()
    {
        await using var app = _feedSync.Build();
        var migrator = app.Services.GetRequiredService<StateMigrator>();
        await migrator.MigrateAsync(upTo: 10, CancellationToken.None);
        // As the release before script 11 left it: a write in doubt under lease, a leased write of a destination an
        // operator marked for resync, and a first insert in doubt (a marker row: nothing accepted yet).
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO feedsync.last_pushed (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at, force_reason, forced_at, lease_until) VALUES
                ('sku-1', 'en', 'US', 'p1', '\x01', '{"a":1}', now(), now(), 'in_doubt', now(), now() + interval '1 hour'),
                ('sku-2', 'en', 'US', 'p2', '\x02', '{"a":2}', now(), now(), 'operator_resync', now(), now() + interval '1 hour'),
                ('sku-3', 'en', 'US', 'p3', '\x', '{}', 'epoch', 'epoch', 'in_doubt', now(), NULL);
            """);

        await migrator.MigrateAsync(CancellationToken.None);

        Assert.Equal("sku-1:true:true sku-2:false:true sku-3:true:false", await _feedSync.Database.ScalarAsync<string>(
            "SELECT string_agg(offer_id || ':' || in_doubt || ':' || coalesce(lease_until > now(), false), ' ' ORDER BY offer_id) FROM feedsync.write_intent"));
        Assert.Equal("sku-1: sku-2:operator_resync", await _feedSync.Database.ScalarAsync<string>(
            "SELECT string_agg(offer_id || ':' || coalesce(force_reason, ''), ' ' ORDER BY offer_id) FROM feedsync.last_pushed"));
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => _feedSync.Database.ExecuteAsync(
            "UPDATE feedsync.last_pushed SET force_reason = 'in_doubt' WHERE offer_id = 'sku-1'"));
        Assert.Equal(Npgsql.PostgresErrorCodes.CheckViolation, refused.SqlState);
    }
}
