using FeedSync.Catalog;
using FeedSync.Hosting;

namespace FeedSync.Tests.Catalog;

/// <summary>Start-up validation of FeedSync:Catalog: each failure names the configuration key to fix.</summary>
public sealed class CatalogOptionsValidatorTests
{
    private static CatalogOptions Valid() => new()
    {
        ConnectionString = "Host=db;Database=shop;Username=feedsync",
        FeedView = "catalog.feed",
        TrackedTables =
        [
            new TrackedTableOptions { Table = "catalog.products", KeyColumn = "product_key" },
            new TrackedTableOptions { Table = "catalog.promotions", KeyQuery = "SELECT product_key FROM catalog.promotion_products WHERE promotion_id = @id" },
        ],
    };

    private static IEnumerable<string> Failures(CatalogOptions options) =>
        new CatalogOptionsValidator().Validate(null, options).Failures ?? [];

    [Fact]
    public void Validate_ValidOptions_Succeeds()
    {
        var result = new CatalogOptionsValidator().Validate(null, Valid());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_EmptyConnectionString_FailureNamesKey(string connectionString)
    {
        var options = Valid();
        options.ConnectionString = connectionString;

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:Catalog:ConnectionString ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MalformedConnectionString_FailureNamesKey()
    {
        var options = Valid();
        options.ConnectionString = "Host=db;NoSuchKeyword=1";

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:Catalog:ConnectionString ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("catalog.feed; DROP TABLE catalog.products")]
    [InlineData("catalog.feed;")]
    public void Validate_FeedViewWithSemicolon_FailureNamesKey(string feedView)
    {
        var options = Valid();
        options.FeedView = feedView;

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:Catalog:FeedView ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NoTrackedTables_FailureNamesKey()
    {
        var options = Valid();
        options.TrackedTables.Clear();

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:Catalog:TrackedTables ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_TrackedTableWithKeyColumnAndKeyQuery_FailureNamesKey()
    {
        var options = Valid();
        options.TrackedTables[1].KeyColumn = "promotion_id";

        var failure = Assert.Single(Failures(options));
        Assert.StartsWith("FeedSync:Catalog:TrackedTables:1", failure, StringComparison.Ordinal);
        Assert.Contains("KeyColumn", failure, StringComparison.Ordinal);
        Assert.Contains("KeyQuery", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TrackedTableWithNeitherKey_FailureNamesKey()
    {
        var options = Valid();
        options.TrackedTables[0].KeyColumn = null;

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:Catalog:TrackedTables:0", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_TrackedTableNameWithSemicolon_FailureNamesKey()
    {
        var options = Valid();
        options.TrackedTables[0].Table = "catalog.products;";

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:Catalog:TrackedTables:0:Table ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_KeyColumnNotAnIdentifier_FailureNamesKey()
    {
        var options = Valid();
        options.TrackedTables[0].KeyColumn = "product_key; --";

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:Catalog:TrackedTables:0:KeyColumn ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_KeyQueryNotSelect_FailureNamesKey()
    {
        var options = Valid();
        options.TrackedTables[1].KeyQuery = "DELETE FROM catalog.products WHERE id = @id";

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:Catalog:TrackedTables:1:KeyQuery ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_KeyQueryWithoutParameter_FailureNamesKey()
    {
        var options = Valid();
        options.TrackedTables[1].KeyQuery = "SELECT product_key FROM catalog.products";

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:Catalog:TrackedTables:1:KeyQuery ", StringComparison.Ordinal));
    }
}
