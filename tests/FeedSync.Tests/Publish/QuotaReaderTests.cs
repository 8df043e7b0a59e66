using FeedSync.Publish;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MerchantEmulatorServer = FeedSync.MerchantEmulator.MerchantEmulator;

namespace FeedSync.Tests.Publish;

/// <summary>Reading the product-write quota from the Quota sub-API.</summary>
public sealed class QuotaReaderTests
{
    [Fact]
    public void Parse_GroupListingProductInputsInsert_ReturnsItsMinuteLimit()
    {
        const string Page = """
            {"quotaGroups":[
              {"name":"accounts/1/quotas/reports","quotaUsage":"3","quotaLimit":"1000","quotaMinuteLimit":"50",
               "methodDetails":[{"method":"reports.v1.ReportService.Search","version":"v1","subapi":"reports","path":"reports/v1/reports.search"}]},
              {"name":"accounts/1/quotas/products","quotaUsage":"120","quotaLimit":"2000000","quotaMinuteLimit":"2500",
               "methodDetails":[{"method":"products.v1.ProductInputsService.InsertProductInput","version":"v1","subapi":"products","path":"products/v1/productInputs.insert"}]}],
             "nextPageToken":"abc"}
            """;

        var (limit, next) = QuotaReader.Parse(Page);

        Assert.Equal(2500, limit);
        Assert.Equal("abc", next);
    }

    [Fact]
    public async Task ReadMinuteLimitAsync_AgainstTheEmulator_ReadsTheAccountQuota()
    {
        using var emulator = MerchantEmulatorServer.Start();
        emulator.QuotaMinuteLimit = 1234;
        var services = new ServiceCollection();
        services.AddHttpClient(QuotaReader.HttpClientName, http => http.BaseAddress = new Uri(emulator.Url));
        await using var provider = services.BuildServiceProvider();
        var options = Options.Create(MerchantClients.Options(emulator.Url));
        using var limiter = new MerchantRateLimiter(options, TimeProvider.System, NullLogger<MerchantRateLimiter>.Instance);
        var reader = new QuotaReader(provider.GetRequiredService<IHttpClientFactory>(), options, limiter, TimeProvider.System, NullLogger<QuotaReader>.Instance);

        var limit = await reader.ReadMinuteLimitAsync(CancellationToken.None);
        limiter.SetCallsPerMinute((int)limit!.Value);

        Assert.Equal(1234, limit);
        Assert.Equal(1234, limiter.CallsPerMinute);
    }
}
