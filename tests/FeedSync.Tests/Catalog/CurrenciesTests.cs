using FeedSync.Catalog;

namespace FeedSync.Tests.Catalog;

public sealed class CurrenciesTests
{
    [Theory]
    [InlineData("JPY", 0)]
    [InlineData("KRW", 0)]
    [InlineData("KWD", 3)]
    [InlineData("BHD", 3)]
    [InlineData("USD", 2)]
    [InlineData("EUR", 2)]
    public void MinorUnits_KnownCurrency_IsoMinorUnits(string code, int minorUnits)
    {
        Assert.Equal(minorUnits, Currencies.MinorUnits(code));
    }

    [Theory]
    [InlineData("XYZ")]
    [InlineData("usd")]
    [InlineData("")]
    public void IsKnown_NotAnUppercaseIsoCode_False(string code)
    {
        Assert.False(Currencies.IsKnown(code));
    }

    [Theory]
    [InlineData("USD")]
    [InlineData("JPY")]
    [InlineData("KWD")]
    public void IsKnown_IsoCode_True(string code)
    {
        Assert.True(Currencies.IsKnown(code));
    }
}
