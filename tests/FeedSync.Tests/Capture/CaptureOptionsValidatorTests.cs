using FeedSync.Capture;

namespace FeedSync.Tests.Capture;

public sealed class CaptureOptionsValidatorTests
{
    private static IEnumerable<string> Failures(CaptureOptions options) =>
        new CaptureOptionsValidator().Validate(null, options).Failures ?? [];

    [Fact]
    public void Defaults_AreValid()
    {
        Assert.Empty(Failures(new CaptureOptions()));
    }

    [Fact]
    public void UpperCaseSlotName_InLogicalMode_NamesTheKey()
    {
        var failure = Assert.Single(Failures(new CaptureOptions { SlotName = "FeedSync" }));
        Assert.Contains("FeedSync:Capture:SlotName", failure);
    }

    [Fact]
    public void ZeroPollInterval_NamesTheKeyAndTheFormat()
    {
        var failure = Assert.Single(Failures(new CaptureOptions { Mode = CaptureMode.Trigger, PollInterval = TimeSpan.Zero }));
        Assert.Contains("FeedSync:Capture:PollInterval", failure);
        Assert.Contains("00:00:01", failure);
    }

    [Fact]
    public void UnknownMode_IsRejected()
    {
        Assert.Contains(Failures(new CaptureOptions { Mode = (CaptureMode)7 }), f => f.Contains("LogicalReplication or Trigger", StringComparison.Ordinal));
    }
}
