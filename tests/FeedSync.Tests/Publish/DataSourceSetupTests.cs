using FeedSync.Publish;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MerchantEmulatorServer = FeedSync.MerchantEmulator.MerchantEmulator;

namespace FeedSync.Tests.Publish;

/// <summary><c>feedsync migrate --merchant-center</c>'s call: create a primary API data source.</summary>
public sealed class DataSourceSetupTests
{
    [Fact]
    public async Task CreatePrimaryAsync_AgainstTheEmulator_ReturnsTheNewIdAndFitsTheContract()
    {
        using var emulator = MerchantEmulatorServer.Start();
        var services = new ServiceCollection();
        services.AddHttpClient(MerchantCenterOptions.AdminHttpClient, http => http.BaseAddress = new Uri(emulator.Url));
        await using var provider = services.BuildServiceProvider();
        var setup = new DataSourceSetup(provider.GetRequiredService<IHttpClientFactory>(), Options.Create(MerchantClients.Options(emulator.Url)));

        var id = await setup.CreatePrimaryAsync("FeedSync", CancellationToken.None);

        Assert.Matches("^[0-9]+$", id);
        var created = emulator.DataSources[$"accounts/123/dataSources/{id}"];
        Assert.Equal("FeedSync", created["displayName"]!.GetValue<string>());
        Assert.NotNull(created["primaryProductDataSource"]);
        Assert.Empty(emulator.ContractViolations);
    }
}
