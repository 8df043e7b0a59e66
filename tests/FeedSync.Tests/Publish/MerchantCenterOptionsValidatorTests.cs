using FeedSync.Hosting;
using FeedSync.Publish;

namespace FeedSync.Tests.Publish;

/// <summary>Start-up validation of FeedSync:MerchantCenter: each failure names the configuration key to fix.</summary>
public sealed class MerchantCenterOptionsValidatorTests
{
    // Any file that exists: the validator only checks presence, and this keeps the test independent of GOOGLE_APPLICATION_CREDENTIALS.
    private static readonly string ExistingFile = typeof(MerchantCenterOptionsValidatorTests).Assembly.Location;

    private static MerchantCenterOptions Valid() => new()
    {
        Endpoint = new Uri("http://127.0.0.1:8089/"),
        AccountId = "123",
        DataSourceId = "456",
        CredentialsFile = ExistingFile,
    };

    private static IEnumerable<string> Failures(MerchantCenterOptions options) =>
        new MerchantCenterOptionsValidator().Validate(null, options).Failures ?? [];

    [Fact]
    public void Validate_ValidOptions_Succeeds()
    {
        var result = new MerchantCenterOptionsValidator().Validate(null, Valid());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("")]
    [InlineData("acme")]
    [InlineData("123abc")]
    [InlineData("-123")]
    public void Validate_NonNumericAccountId_FailureNamesKey(string accountId)
    {
        var options = Valid();
        options.AccountId = accountId;

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:MerchantCenter:AccountId ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NonNumericDataSourceId_FailureNamesKey()
    {
        var options = Valid();
        options.DataSourceId = "primary";

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:MerchantCenter:DataSourceId ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EndpointNotHttp_FailureNamesKey()
    {
        var options = Valid();
        options.Endpoint = new Uri("ftp://merchantapi.example/");

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:MerchantCenter:Endpoint ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MissingCredentialsFile_FailureNamesKey()
    {
        var options = Valid();
        options.CredentialsFile = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "key.json");

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:MerchantCenter:CredentialsFile ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    public void Validate_MaxConcurrencyOutOfRange_FailureNamesKey(int maxConcurrency)
    {
        var options = Valid();
        options.MaxConcurrency = maxConcurrency;

        Assert.Contains(Failures(options), f => f.StartsWith("FeedSync:MerchantCenter:MaxConcurrency ", StringComparison.Ordinal));
    }
}
