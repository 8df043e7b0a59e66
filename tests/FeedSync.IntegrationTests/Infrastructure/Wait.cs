using System.Diagnostics;

namespace FeedSync.IntegrationTests.Infrastructure;

/// <summary>Polls a condition instead of sleeping; fails with a description of what never became true.</summary>
internal static class Wait
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<Task<string>>? diagnostics = null)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        var detail = diagnostics is null ? "" : " " + await diagnostics();
        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting until {what}.{detail}");
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<Task<string>>? diagnostics = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what, diagnostics);
}
