using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Options;

namespace FeedSync.IntegrationTests;

/// <summary>Configuration that cannot work stops start-up with a message naming the key and the fix.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task TrackedTableWithoutPrimaryKey_FailsStartupNamingTheTable()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(variants: 0, new Dictionary<string, string?>
        {
            ["FeedSync:Catalog:TrackedTables:0:Table"] = "catalog.audit_notes",
            ["FeedSync:Catalog:TrackedTables:0:KeyColumn"] = "variant_id",
            ["FeedSync:Catalog:TrackedTables:0:KeyQuery"] = "",
        });
        await feedSync.Database.ExecuteAsync("CREATE TABLE catalog.audit_notes (variant_id bigint, note text)");

        var failure = await Assert.ThrowsAsync<StartupException>(feedSync.StartAsync);

        Assert.Contains(failure.Problems, p => p.Contains("FeedSync:Catalog:TrackedTables:0:Table", StringComparison.Ordinal)
                                               && p.Contains("catalog.audit_notes", StringComparison.Ordinal)
                                               && p.Contains("no primary key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FeedViewMissingARequiredColumn_FailsStartupNamingTheColumn()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(variants: 0, new Dictionary<string, string?>
        {
            ["FeedSync:Catalog:FeedView"] = "catalog.thin_feed",
        });
        await feedSync.Database.ExecuteAsync("CREATE VIEW catalog.thin_feed AS SELECT product_key, offer_id, content_language, feed_label, title, link, image_link, currency, availability FROM catalog.feed");

        var failure = await Assert.ThrowsAsync<StartupException>(feedSync.StartAsync);

        var problem = Assert.Single(failure.Problems);
        Assert.Contains("FeedSync:Catalog:FeedView", problem, StringComparison.Ordinal);
        Assert.Contains("lacks required column(s) price", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonNumericAccountId_FailsStartupNamingTheKey()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(variants: 0, new Dictionary<string, string?>
        {
            ["FeedSync:MerchantCenter:AccountId"] = "my-shop",
        });

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(feedSync.StartAsync);

        Assert.Contains(failure.Failures, f => f.Contains("FeedSync:MerchantCenter:AccountId 'my-shop'", StringComparison.Ordinal));
    }
}
