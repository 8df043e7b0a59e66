using FeedSync.Publish;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeedSync.Tests.Publish;

/// <summary>A <see cref="MerchantApiClient"/> wired as in production (rate limiter, retries, circuit breaker), for one test.</summary>
internal sealed class MerchantClients : IDisposable
{
    public MerchantClients(HttpClient http, MerchantCenterOptions options, TimeProvider? time = null, ILoggerFactory? logs = null)
    {
        time ??= TimeProvider.System;
        logs ??= NullLoggerFactory.Instance;
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        Limiter = new MerchantRateLimiter(wrapped, time, logs.CreateLogger<MerchantRateLimiter>());
        Resilience = new MerchantResilience(wrapped, Limiter, time, logs.CreateLogger<MerchantResilience>());
        Client = new MerchantApiClient(http, wrapped, Resilience, logs.CreateLogger<MerchantApiClient>());
    }

    public MerchantApiClient Client { get; }

    public MerchantRateLimiter Limiter { get; }

    public MerchantResilience Resilience { get; }

    /// <summary>Options for a test account; retries are off unless a test turns them on, so each answer is seen as is.</summary>
    public static MerchantCenterOptions Options(string endpoint, int retries = 0) => new()
    {
        AccountId = "123",
        DataSourceId = "456",
        Endpoint = new Uri(endpoint),
        MaxRetryAttempts = retries,
    };

    public void Dispose()
    {
        Resilience.Dispose();
        Limiter.Dispose();
    }
}
