using System.Text;
using FeedSync.Publish;

namespace FeedSync.Tests.Publish;

/// <summary>Product resource ids in URLs: unpadded base64url of the UTF-8 <c>lang~label~offer</c>.</summary>
public sealed class ProductIdentityTests
{
    public static TheoryData<string> AwkwardOfferIds => new()
    {
        "sku/123",
        "a~b",
        "v1.2",
        "50%off",
        "größe-ß-日本",
        "a+b=c?d#e f",
        "sku/1~v1.2%20ü",
        ">>>??",
        "x",
        "xy",
    };

    private static string DecodeBase64Url(string encoded)
    {
        var base64 = encoded.Replace('-', '+').Replace('_', '/');
        base64 += new string('=', (4 - (base64.Length % 4)) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
    }

    [Fact]
    public void EncodedId_SlashInOfferId_ExactUnpaddedBase64Url()
    {
        var identity = new ProductIdentity("en", "US", "sku/123");

        Assert.Equal("ZW5-VVN-c2t1LzEyMw", identity.EncodedId);
    }

    [Theory]
    [MemberData(nameof(AwkwardOfferIds))]
    public void EncodedId_AwkwardOfferId_DecodesToPlainId(string offerId)
    {
        var identity = new ProductIdentity("en", "US", offerId);

        Assert.Equal("en~US~" + offerId, DecodeBase64Url(identity.EncodedId));
    }

    [Theory]
    [MemberData(nameof(AwkwardOfferIds))]
    public void EncodedId_AwkwardOfferId_OnlyUrlSafeCharacters(string offerId)
    {
        var encoded = new ProductIdentity("en", "US", offerId).EncodedId;

        Assert.DoesNotContain('+', encoded);
        Assert.DoesNotContain('/', encoded);
        Assert.DoesNotContain('=', encoded);
        Assert.Matches("^[A-Za-z0-9_-]+$", encoded);
    }

    [Theory]
    [InlineData("???>>>", "ZW5-VVN-Pz8_Pj4-")] // standard base64 would give "ZW5+VVN+Pz8/Pj4+"
    [InlineData("\u00ff\u00fe", "ZW5-VVN-w7_Dvg")] // standard base64 would give "ZW5+VVN+w7/Dvg=="
    public void EncodedId_BytesOutsideStandardAlphabet_UsesDashUnderscoreWithoutPadding(string offerId, string expected)
    {
        Assert.Equal(expected, new ProductIdentity("en", "US", offerId).EncodedId);
    }

    [Fact]
    public void EncodedId_NonAsciiOfferId_EncodesUtf8Bytes()
    {
        var identity = new ProductIdentity("en", "US", "größe-ß-日本");

        Assert.Equal("ZW5-VVN-Z3LDtsOfZS3Dny3ml6XmnKw", identity.EncodedId);
    }

    [Fact]
    public void Id_Plain_JoinsWithTilde()
    {
        Assert.Equal("de~DE~a~b", new ProductIdentity("de", "DE", "a~b").Id);
    }
}
