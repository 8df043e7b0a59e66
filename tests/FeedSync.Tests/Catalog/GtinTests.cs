using FeedSync.Catalog;

namespace FeedSync.Tests.Catalog;

public sealed class GtinTests
{
    [Theory]
    [InlineData("73513537")]
    [InlineData("96385074")]
    [InlineData("036000291452")]
    [InlineData("4006381333931")]
    [InlineData("10012345678902")]
    public void IsValid_CorrectCheckDigit_True(string gtin)
    {
        Assert.True(Gtin.IsValid(gtin, out var expected));
        Assert.Equal(gtin[^1] - '0', expected);
    }

    [Theory]
    [InlineData("4006381333932", 1)]
    [InlineData("036000291453", 2)]
    [InlineData("73513530", 7)]
    public void IsValid_WrongCheckDigit_FalseWithExpectedDigit(string gtin, int expectedDigit)
    {
        Assert.False(Gtin.IsValid(gtin, out var expected));
        Assert.Equal(expectedDigit, expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1234567")]
    [InlineData("123456789")]
    [InlineData("123456789012345")]
    [InlineData("4006381333a31")]
    [InlineData("４００６３８１３３３９３１")] // full-width digits are not ASCII digits
    public void IsValid_WrongLengthOrNonDigits_FalseWithoutExpectedDigit(string gtin)
    {
        Assert.False(Gtin.IsValid(gtin, out var expected));
        Assert.Equal(-1, expected);
    }
}
