using FeedSync.Catalog;

namespace FeedSync.Tests.Catalog;

public sealed class SqlIdentifierTests
{
    [Fact]
    public void TryParse_SchemaQualified_SplitsSchemaAndName()
    {
        Assert.True(SqlIdentifier.TryParse("catalog.feed", out var id));
        Assert.Equal("catalog", id.Schema);
        Assert.Equal("feed", id.Name);
    }

    [Fact]
    public void TryParse_Bare_ResolvesToPublicSchema()
    {
        Assert.True(SqlIdentifier.TryParse("feed", out var id));
        Assert.Null(id.Schema);
        Assert.Equal("public", id.SchemaOrPublic);
    }

    [Theory]
    [InlineData("feed; DROP TABLE products")]
    [InlineData("feed;")]
    [InlineData("\"feed\"")]
    [InlineData("a.b.c")]
    [InlineData("1feed")]
    [InlineData("cat alog.feed")]
    [InlineData("feed--")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void TryParse_Unsafe_False(string? text)
    {
        Assert.False(SqlIdentifier.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_Over63Chars_False()
    {
        Assert.False(SqlIdentifier.TryParse(new string('a', 64), out _));
    }

    [Fact]
    public void Quoted_SchemaQualified_QuotesEachPart()
    {
        Assert.Equal("\"catalog\".\"Feed\"", SqlIdentifier.Parse("catalog.Feed").Quoted);
    }

    [Fact]
    public void Parse_Invalid_ThrowsFormatExceptionNamingText()
    {
        var ex = Assert.Throws<FormatException>(() => SqlIdentifier.Parse("feed;drop"));

        Assert.Contains("feed;drop", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void QuoteColumn_Invalid_Throws()
    {
        Assert.Throws<FormatException>(() => SqlIdentifier.QuoteColumn("id\"--"));
    }

    [Fact]
    public void QuoteColumn_Valid_Quotes()
    {
        Assert.Equal("\"variant_id\"", SqlIdentifier.QuoteColumn("variant_id"));
    }
}
