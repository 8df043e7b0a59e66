using System.Text.Json.Nodes;
using FeedSync.Dashboard;
using FeedSync.Publish;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace FeedSync.Tests.Dashboard;

public sealed class PasswordHashingTests
{
    [Fact]
    public void Verify_AcceptsTheHashedPassword_AndRejectsAnyOther()
    {
        var hash = PasswordHashing.Hash("correct horse battery");

        Assert.StartsWith("pbkdf2-sha256$", hash, StringComparison.Ordinal);
        Assert.DoesNotContain("correct horse", hash, StringComparison.Ordinal);
        Assert.True(PasswordHashing.Verify("correct horse battery", hash));
        Assert.False(PasswordHashing.Verify("correct horse batterY", hash));
        Assert.False(PasswordHashing.Verify("", hash));
    }

    [Fact]
    public void Hash_UsesAFreshSaltEachTime()
    {
        Assert.NotEqual(PasswordHashing.Hash("same password"), PasswordHashing.Hash("same password"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("correct horse battery")]
    [InlineData("pbkdf2-sha256$100$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==")]
    [InlineData("md5$1$x$y")]
    public void Verify_RejectsMalformedOrWeakHashes(string stored)
    {
        Assert.False(PasswordHashing.IsWellFormed(stored));
        Assert.False(PasswordHashing.Verify("correct horse battery", stored));
    }
}

public sealed class DashboardOptionsValidatorTests
{
    [Fact]
    public void Production_WithoutUsers_FailsNamingTheKey()
    {
        var result = new DashboardOptionsValidator(Environment("Production")).Validate(null, new FeedSyncDashboardOptions());

        Assert.True(result.Failed);
        Assert.Contains("FeedSync:Dashboard:Users is empty", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Development_WithoutUsers_IsAllowed_LocalRequestsOnly()
    {
        var options = new FeedSyncDashboardOptions();

        Assert.True(new DashboardOptionsValidator(Environment("Development")).Validate(null, options).Succeeded);
        Assert.False(options.RequiresSignIn);
    }

    [Fact]
    public void Production_WithExternalAuthentication_IsAllowed()
    {
        var result = new DashboardOptionsValidator(Environment("Production")).Validate(null, new FeedSyncDashboardOptions { ExternalAuthentication = true });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void UserWithPlainPasswordOrUnknownRole_FailsNamingTheUserKey()
    {
        var options = new FeedSyncDashboardOptions
        {
            Users = [new DashboardUser { Name = "ops", PasswordHash = "hunter2hunter2", Role = "admin" }],
        };

        var result = new DashboardOptionsValidator(Environment("Production")).Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith("FeedSync:Dashboard:Users:0:PasswordHash", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("FeedSync:Dashboard:Users:0:Role 'admin'", StringComparison.Ordinal));
    }

    private static TestEnvironment Environment(string name) => new TestEnvironment { EnvironmentName = name };

    private sealed class TestEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "";

        public string ApplicationName { get; set; } = "feedsync";

        public string ContentRootPath { get; set; } = "";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}

public sealed class ProductStatusReaderTests
{
    [Fact]
    public void Parse_ReadsIdentityIssuesAndDisapproval()
    {
        var product = JsonNode.Parse("""
            { "offerId": "SKU-1", "contentLanguage": "en", "feedLabel": "US",
              "productStatus": {
                "destinationStatuses": [{ "reportingContext": "SHOPPING_ADS", "approvedCountries": ["US"], "disapprovedCountries": [] }],
                "itemLevelIssues": [{ "code": "missing_gtin", "severity": "DEMOTED" }] } }
            """)!.AsObject();

        var status = ProductStatusReader.Parse(product);

        Assert.Equal(new ProductIdentity("en", "US", "SKU-1"), status.Identity);
        Assert.False(status.Disapproved);
        Assert.Single(status.ItemIssues);
    }

    [Theory]
    [InlineData("""{ "destinationStatuses": [{ "disapprovedCountries": ["DE"] }] }""")]
    [InlineData("""{ "itemLevelIssues": [{ "code": "x", "severity": "DISAPPROVED" }] }""")]
    public void Parse_MarksDisapproved_FromCountriesOrIssueSeverity(string productStatus)
    {
        var product = new JsonObject { ["offerId"] = "A", ["contentLanguage"] = "de", ["feedLabel"] = "DE", ["productStatus"] = JsonNode.Parse(productStatus) };

        Assert.True(ProductStatusReader.Parse(product).Disapproved);
    }
}
