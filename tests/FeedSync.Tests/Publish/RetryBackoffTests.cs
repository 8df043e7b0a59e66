using FeedSync.Jobs;
using Microsoft.Extensions.Options;

namespace FeedSync.Tests.Publish;

/// <summary>How long a product waits before the next push attempt after a transient or rate-limited failure.</summary>
public sealed class RetryBackoffTests
{
    // BackoffFor only reads options; the database is never touched.
    private static readonly PendingQueue Queue = new(null!, Options.Create(new PushOptions
    {
        RetryBackoff = TimeSpan.FromSeconds(5),
        MaxRetryBackoff = TimeSpan.FromMinutes(15),
    }));

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 10)]
    [InlineData(3, 40)]
    public void BackoffFor_Attempts_DoublesFromFirstBackoff(int attempts, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Queue.BackoffFor(attempts, null));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(int.MaxValue)]
    public void BackoffFor_ManyAttempts_CappedAtMaximum(int attempts)
    {
        Assert.Equal(TimeSpan.FromMinutes(15), Queue.BackoffFor(attempts, null));
    }

    [Fact]
    public void BackoffFor_ServerHintLonger_UsesHint()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Queue.BackoffFor(0, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void BackoffFor_ServerHintShorter_UsesExponential()
    {
        Assert.Equal(TimeSpan.FromSeconds(40), Queue.BackoffFor(3, TimeSpan.FromSeconds(1)));
    }
}
