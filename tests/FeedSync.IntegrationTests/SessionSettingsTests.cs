using FeedSync.Hosting;
using FeedSync.IntegrationTests.Infrastructure;
using Npgsql;

namespace FeedSync.IntegrationTests;

/// <summary>FeedSync's sessions run without PostgreSQL's JIT, also after the pool has reset a connection.</summary>
public sealed class SessionSettingsTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task FeedSyncSession_HasJitOff_AfterThePoolResetsIt()
    {
        await using var source = NpgsqlDataSource.Create(FeedSyncServices.ForFeedSync(_database.ConnectionString, "feedsync-test"));
        for (var use = 1; use <= 2; use++)
        {
            // The second use gets the same physical connection after Npgsql's reset (DISCARD ALL).
            await using var connection = await source.OpenConnectionAsync();
            await using var show = new NpgsqlCommand("SELECT current_setting('jit'), current_setting('application_name')", connection);
            await using var reader = await show.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal("off", reader.GetString(0));
            Assert.Equal("feedsync-test", reader.GetString(1));
        }
    }

    [Fact]
    public async Task ConnectionStringThatSetsJit_KeepsItsOwnSetting()
    {
        var own = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Options = "-c jit=on -c statement_timeout=60000" }.ConnectionString;
        await using var source = NpgsqlDataSource.Create(FeedSyncServices.ForFeedSync(own, "feedsync-test"));

        await using var show = source.CreateCommand("SELECT current_setting('jit') || ' ' || current_setting('statement_timeout')");
        Assert.Equal("on 1min", (string)(await show.ExecuteScalarAsync())!);
    }
}
