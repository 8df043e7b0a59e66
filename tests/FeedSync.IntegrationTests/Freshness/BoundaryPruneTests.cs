using FeedSync.Freshness;
using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FeedSync.IntegrationTests.Freshness;

/// <summary>Boundaries that can never fire again are pruned; every other one is kept.</summary>
public sealed class BoundaryPruneTests : IAsyncLifetime
{
    private FeedSyncHarness _feedSync = null!;

    public async Task InitializeAsync() => _feedSync = await FeedSyncHarness.CreateAsync(variants: 0);

    public async Task DisposeAsync() => await _feedSync.DisposeAsync();

    [Fact]
    public async Task Prune_DropsBoundariesOfProductsGoneFromTheView_AndLongPastOnesAlreadyHandled_KeepsTheRest()
    {
        // FeedSync is not running, so no scheduler takes the past boundaries while the test looks at them.
        await using var app = _feedSync.Build();
        await app.Services.GetRequiredService<StateMigrator>().MigrateAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        await _feedSync.Database.ExecuteAsync("""
            INSERT INTO feedsync.last_pushed (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at)
            VALUES ('held', 'en', 'US', 'held', '\x01', '{}', @now - interval '30 minutes', @now - interval '30 minutes'),
                   ('late', 'en', 'US', 'late', '\x01', '{}', @now - interval '3 days', @now - interval '3 days');
            INSERT INTO feedsync.product_problems (product_key, offer_id, content_language, feed_label, source, reason)
            VALUES ('rejected', 'rejected', 'en', 'US', 'local', 'title is missing');
            INSERT INTO feedsync.pending (product_key, dirty_gen) VALUES ('pending', 1);
            INSERT INTO feedsync.boundaries (product_key, at, kind) VALUES
                ('gone', @now + interval '30 days', 'sale'),
                ('gone', @now - interval '2 days', 'budget'),
                ('held', @now + interval '30 days', 'sale'),
                ('held', @now - interval '2 days', 'sale'),
                ('held', @now - interval '10 minutes', 'availability'),
                ('late', @now - interval '2 days', 'sale'),
                ('rejected', @now + interval '30 days', 'sale'),
                ('pending', @now + interval '30 days', 'sale');
            """, ("now", now));

        await using var connection = await app.Services.GetRequiredService<Databases>().State.OpenConnectionAsync();
        var pruned = await BoundaryStore.PruneAsync(connection, now, TimeSpan.FromHours(1), CancellationToken.None);

        // Gone from the view (nothing held, no problem, nothing pending): both pruned. Held and pushed after a
        // boundary two days ago: that one pruned. Pushed before a passed boundary (FeedSync was down): kept, it fires.
        Assert.Equal(3, pruned);
        Assert.Equal(
            "held:availability, held:sale, late:sale, pending:sale, rejected:sale",
            await _feedSync.Database.ScalarAsync<string>("SELECT string_agg(product_key || ':' || kind, ', ' ORDER BY product_key, kind) FROM feedsync.boundaries"));
        Assert.Equal(0, await BoundaryStore.PruneAsync(connection, now, TimeSpan.FromHours(1), CancellationToken.None));
    }
}
