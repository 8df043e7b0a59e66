using FeedSync.Catalog;

namespace FeedSync.Tests.Catalog;

public sealed class TrackedTableOptionsTests
{
    [Fact]
    public void KeyQueryParameters_RepeatedParameters_DistinctInOrderOfFirstUse()
    {
        var options = new TrackedTableOptions
        {
            KeyQuery = "SELECT product_key FROM catalog.variants WHERE promo_id = @promotion_id OR sku = @sku OR old_promo = @promotion_id",
        };

        Assert.Equal(["promotion_id", "sku"], options.KeyQueryParameters());
    }

    [Fact]
    public void KeyQueryParameters_CastAndDoubleAt_NotParameters()
    {
        var options = new TrackedTableOptions
        {
            KeyQuery = "SELECT product_key FROM t WHERE id = @id::bigint AND tags @@ 'x' AND note <> 'a@@b' AND p = :@nope",
        };

        Assert.Equal(["id"], options.KeyQueryParameters());
    }

    [Fact]
    public void KeyQueryParameters_NoKeyQuery_Empty()
    {
        var options = new TrackedTableOptions { KeyColumn = "product_key" };

        Assert.Empty(options.KeyQueryParameters());
    }
}
