using FeedSync.Freshness;

namespace FeedSync.Tests.Freshness;

/// <summary>Freshness settings are checked at start; every message names the key and the fix.</summary>
public sealed class FreshnessOptionsValidatorTests
{
    private static List<string> Problems(FreshnessOptions options) =>
        new FreshnessOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Defaults_AreValid() => Assert.Empty(Problems(new FreshnessOptions()));

    [Fact]
    public void CosmeticPushesPerDay_Negative_NamesTheKey() =>
        Assert.Contains(Problems(new FreshnessOptions { CosmeticPushesPerDay = -1 }), p => p.Contains("FeedSync:Freshness:CosmeticPushesPerDay", StringComparison.Ordinal));

    [Fact]
    public void CosmeticPushesPerDay_Zero_TurnsTheBudgetOff() => Assert.Empty(Problems(new FreshnessOptions { CosmeticPushesPerDay = 0 }));

    [Fact]
    public void ExpiryRefreshAge_ThirtyDays_IsTooLate() =>
        Assert.Contains(Problems(new FreshnessOptions { ExpiryRefreshAge = TimeSpan.FromDays(30) }), p => p.Contains("ExpiryRefreshAge", StringComparison.Ordinal) && p.Contains("30 days", StringComparison.Ordinal));

    [Theory]
    [InlineData("every night")]
    [InlineData("* * *")]
    [InlineData("")]
    public void ReconciliationCron_NotCron_NamesTheKeyAndAnExample(string cron) =>
        Assert.Contains(Problems(new FreshnessOptions { ReconciliationCron = cron }), p => p.Contains("FeedSync:Freshness:ReconciliationCron", StringComparison.Ordinal) && p.Contains("15 3 * * *", StringComparison.Ordinal));

    [Fact]
    public void TimeZone_Unknown_NamesTheKey() =>
        Assert.Contains(Problems(new FreshnessOptions { TimeZone = "Mars/Olympus" }), p => p.Contains("FeedSync:Freshness:TimeZone", StringComparison.Ordinal));

    [Fact]
    public void TimeZone_Iana_IsAccepted() => Assert.Empty(Problems(new FreshnessOptions { TimeZone = "Europe/Berlin" }));
}
