using FeedSync.Hosting;
using Npgsql;

namespace FeedSync.Tests.Hosting;

/// <summary>FeedSync turns PostgreSQL's JIT off in its sessions unless the connection string's Options set jit itself.</summary>
public sealed class SessionOptionsTests
{
    [Fact]
    public void ForFeedSync_OptionsSetOnlyJitAboveCost_StillTurnsJitOff()
    {
        var options = Options("-c jit_above_cost=500000");

        Assert.Equal("-c jit_above_cost=500000 -c jit=off", options);
    }

    [Theory]
    [InlineData("-c jit=on")]
    [InlineData("-cjit=on")]
    [InlineData("--jit=on")]
    [InlineData("-c statement_timeout=60000 -c JIT=on")]
    public void ForFeedSync_OptionsSetJit_LeftAsTheyAre(string own)
    {
        Assert.Equal(own, Options(own));
    }

    private static string? Options(string own) =>
        new NpgsqlConnectionStringBuilder(FeedSyncServices.ForFeedSync($"Host=localhost;Options={own}", "feedsync-test")).Options;
}
