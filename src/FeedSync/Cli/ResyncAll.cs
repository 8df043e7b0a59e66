using System.Globalization;
using FeedSync.Freshness;

namespace FeedSync.Cli;

/// <summary>
/// <c>resync --all</c> without <c>--force</c>: one reconciliation streams the whole view and marks pending only the
/// products that differ from what Google holds or left the view, so an in-step catalog costs reads, not calls.
/// Progress goes to stderr, the summary to stdout. A dry run compares the same way and writes nothing.
/// </summary>
internal static class ResyncAll
{
    public static async Task<int> RunAsync(IServiceProvider services, bool dryRun, bool inline, TextWriter output, TextWriter progress, CancellationToken cancellationToken)
    {
        var reconciliation = services.GetRequiredService<Reconciliation>();
        TimeSpan? lastReport = null;
        var result = await reconciliation.RunAsync(new ReconciliationRun(dryRun, running =>
        {
            // The first page, then once a second: plenty for a terminal, and the final totals follow.
            if (lastReport is null || running.Elapsed - lastReport >= TimeSpan.FromSeconds(1))
            {
                lastReport = running.Elapsed;
                Report(progress, running);
            }
        }), cancellationToken);
        if (result.AlreadyRunning)
        {
            await output.WriteLineAsync("Another reconciliation is running (the nightly one, a dashboard \"Resync all\" or another resync --all): it marks what differs the same way. Nothing was done; try again when it has finished, or use --dry-run to compare now.");
            return CliApp.Failed;
        }

        Report(progress, result);
        await progress.WriteLineAsync();

        var toPush = result.ProductsDiffering + result.ProductsGone;
        var compared = string.Create(CultureInfo.InvariantCulture,
            $"Compared {result.RowsRead:N0} feed rows with what Google holds in {result.Elapsed.TotalSeconds:0.0} s ({result.RowsMapped:N0} mapped): " +
            $"{result.ProductsDiffering:N0} product(s) differ, {result.ProductsGone:N0} left the view.");
        await output.WriteLineAsync(compared);
        if (dryRun)
        {
            await output.WriteLineAsync($"Dry run: would push {toPush:N0} product(s) (all products). Nothing was marked or sent.");
            return CliApp.Ok;
        }

        if (toPush == 0)
        {
            await output.WriteLineAsync("Merchant Center is in step with the feed view: nothing to push. Use --force to send every product in full anyway.");
            return CliApp.Ok;
        }

        if (!inline)
        {
            await output.WriteLineAsync($"Marked {toPush:N0} product(s) pending; the running FeedSync pushes them.");
            return CliApp.Ok;
        }

        return await OperationsCommands.InlinePushAsync(services, toPush, output, progress, cancellationToken);
    }

    private static void Report(TextWriter progress, ReconciliationResult running) =>
        progress.Write(string.Create(CultureInfo.InvariantCulture,
            $"\rReconciling: {running.RowsRead:N0} feed rows compared ({running.RowsMapped:N0} mapped), {running.ProductsDiffering:N0} products differ   "));
}
