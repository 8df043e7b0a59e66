using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FeedSync.Catalog;
using FeedSync.Dashboard;
using FeedSync.Diff;
using FeedSync.Hosting;
using FeedSync.Jobs;

namespace FeedSync.Cli;

/// <summary>
/// The engineers' verbs: <c>resync</c>, <c>diff</c>, <c>status</c>, <c>config validate</c>, <c>hash-password</c>.
/// Exit codes: 0 done (and, for status, fresh), 1 failed, 2 configuration problem, 3 status: the feed is not fresh.
/// </summary>
internal static class OperationsCommands
{
    public const int NotFresh = 3;

    private static readonly Option<bool> All = new("--all") { Description = "Every product in the feed view and every product Google holds (resync: reconciles, so only those that differ are pushed, unless --force)" };
    private static readonly Option<string[]> OfferIds = new("--offer-id") { Description = "These offer ids (repeat or list several)", AllowMultipleArgumentsPerToken = true };
    private static readonly Option<DateTimeOffset?> Since = new("--since") { Description = "Products FeedSync pushed or rejected at or after this time (ISO 8601, e.g. 2026-11-26T14:00Z)" };
    private static readonly Option<bool> Json = new("--json") { Description = "Machine-readable JSON instead of text" };

    public static void AddTo(RootCommand root, Option<string[]> configFiles)
    {
        root.Subcommands.Add(Resync(configFiles));
        root.Subcommands.Add(DiffCommand(configFiles));
        root.Subcommands.Add(Status(configFiles));
        root.Subcommands.Add(ConfigCommand(configFiles));
        root.Subcommands.Add(HashPassword());
    }

    private static Command Resync(Option<string[]> configFiles)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Only say which products would be resynced; mark and send nothing" };
        var inline = new Option<bool>("--inline") { Description = "Push here and now (with progress and a summary) instead of leaving it to the running FeedSync" };
        var force = new Option<bool>("--force") { Description = "Send every selected product in full (a re-insert) even if FeedSync believes Google holds it unchanged; with --all, every product" };
        var command = new Command("resync", "Push what differs from what Google holds: --all streams the whole feed view through reconciliation and marks only differing products (and those that left the view); --offer-id/--since mark the chosen products. The running FeedSync pushes them, or --inline here.")
        {
            All, OfferIds, Since, dryRun, inline, force,
        };
        command.SetAction((parse, cancellationToken) => CliApp.Guarded(async () =>
        {
            var output = parse.InvocationConfiguration.Output;
            var selection = Selection(parse);
            if (selection.Problem() is { } problem)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(problem);
                return CliApp.ConfigurationProblem;
            }

            await using var app = await OneShotHostAsync(parse, configFiles, cancellationToken);
            var services = app.Services;
            if (selection.All && !parse.GetValue(force))
            {
                return await ResyncAll.RunAsync(services, parse.GetValue(dryRun), parse.GetValue(inline), output, parse.InvocationConfiguration.Error, cancellationToken);
            }

            var queue = services.GetRequiredService<PendingQueue>();
            var databases = services.GetRequiredService<Databases>();
            long selected = 0;
            var sample = new List<string>();
            await foreach (var (keys, _) in selection.ChunksAsync(databases, services.GetRequiredService<FeedView>(), cancellationToken))
            {
                selected += keys.Count;
                sample.AddRange(keys.Take(Math.Max(0, 10 - sample.Count)));
                if (parse.GetValue(dryRun))
                {
                    continue;
                }

                if (parse.GetValue(force))
                {
                    await services.GetRequiredService<ForcedResync>().MarkAsync(keys, cancellationToken);
                }
                else
                {
                    await queue.MarkDirtyAsync(keys, cancellationToken);
                }
            }

            if (selected == 0)
            {
                await output.WriteLineAsync($"No products match {selection.Describe()}.");
                return CliApp.Failed;
            }

            if (parse.GetValue(dryRun))
            {
                await output.WriteLineAsync($"Dry run: would resync {selected} product(s) ({selection.Describe()}), e.g. {string.Join(", ", sample)}. Nothing was marked or sent.");
                return CliApp.Ok;
            }

            if (!parse.GetValue(inline))
            {
                await output.WriteLineAsync($"Marked {selected} product(s) pending; the running FeedSync pushes whatever differs from what Google holds.");
                return CliApp.Ok;
            }

            return await InlinePushAsync(services, selected, output, parse.InvocationConfiguration.Error, cancellationToken);
        }));
        return command;
    }

    /// <summary>Pushes due products here until nothing we can push is left; progress on stderr, summary on stdout.</summary>
    internal static async Task<int> InlinePushAsync(IServiceProvider services, long selected, TextWriter output, TextWriter progress, CancellationToken cancellationToken)
    {
        var processor = services.GetRequiredService<PushProcessor>();
        var databases = services.GetRequiredService<Databases>();
        var totals = new PushStepResult();
        var idleRounds = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var step = await processor.PushOnceAsync(cancellationToken);
            totals = new PushStepResult(totals.Claimed + step.Claimed, totals.Calls + step.Calls, totals.Unchanged + step.Unchanged, totals.Rejected + step.Rejected, totals.RetryLater + step.RetryLater);
            await progress.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"\rPushed {totals.Claimed}/{selected} products: {totals.Calls} calls, {totals.Unchanged} unchanged, {totals.Rejected} rejected, {totals.RetryLater} to retry   "));
            if (step.Claimed > 0)
            {
                idleRounds = 0;
                continue;
            }

            // Products inside their coalescing window become due shortly; products backing off after a failure do not.
            await using var command = databases.State.CreateCommand("SELECT count(*) FROM feedsync.pending WHERE attempts = 0 AND not_before <= now() + interval '5 seconds'");
            var waiting = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
            if (waiting == 0 || ++idleRounds > 100)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        await progress.WriteLineAsync();
        await output.WriteLineAsync($"Done: {totals.Claimed} products pushed with {totals.Calls} Merchant API calls; {totals.Unchanged} destinations unchanged, {totals.Rejected} rejected, {totals.RetryLater} left pending to retry.");
        return totals.RetryLater > 0 ? CliApp.Failed : CliApp.Ok;
    }

    private static Command DiffCommand(Option<string[]> configFiles)
    {
        var showUnchanged = new Option<bool>("--unchanged") { Description = "List unchanged destinations too" };
        var command = new Command("diff", "Preview what a push would send (insert, patch with its update mask, delete, or local rejection); sends nothing.")
        {
            All, OfferIds, Since, Json, showUnchanged,
        };
        command.SetAction((parse, cancellationToken) => CliApp.Guarded(async () =>
        {
            var output = parse.InvocationConfiguration.Output;
            var selection = Selection(parse);
            if (selection.OfferIds.Count == 0 && selection.Since is null)
            {
                selection = selection with { All = true };
            }

            if (selection.Problem() is { } problem)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(problem);
                return CliApp.ConfigurationProblem;
            }

            await using var app = await OneShotHostAsync(parse, configFiles, cancellationToken);
            var preview = ActivatorUtilities.CreateInstance<DiffPreview>(app.Services);
            var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
            var json = parse.GetValue(Json);
            var changes = new JsonArray();
            if (!json)
            {
                await output.WriteLineAsync($"{"ACTION",-8} {"OFFER ID",-28} {"DESTINATION",-12} WHY");
            }

            await foreach (var (keys, gone) in selection.ChunksAsync(app.Services.GetRequiredService<Databases>(), app.Services.GetRequiredService<FeedView>(), cancellationToken))
            {
                foreach (var line in await preview.PreviewAsync(keys, gone, cancellationToken))
                {
                    counts[line.Action] = counts.GetValueOrDefault(line.Action) + 1;
                    if (line.Action == "none" && !parse.GetValue(showUnchanged))
                    {
                        continue;
                    }

                    if (json)
                    {
                        changes.Add(new JsonObject
                        {
                            ["productKey"] = line.ProductKey,
                            ["offerId"] = line.OfferId,
                            ["destination"] = line.Destination,
                            ["action"] = line.Action,
                            ["why"] = line.Reason,
                            ["updateMask"] = new JsonArray(line.UpdateMask.Select(m => (JsonNode)m).ToArray()),
                        });
                    }
                    else
                    {
                        var why = line.UpdateMask.Count > 0 ? $"{line.Reason} [{string.Join(",", line.UpdateMask)}]" : line.Reason;
                        await output.WriteLineAsync($"{line.Action,-8} {line.OfferId,-28} {line.Destination,-12} {why}");
                    }
                }
            }

            if (json)
            {
                var summary = new JsonObject();
                foreach (var (action, count) in counts)
                {
                    summary[action] = count;
                }

                await output.WriteLineAsync(new JsonObject { ["summary"] = summary, ["changes"] = changes }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                await output.WriteLineAsync("Summary: " + (counts.Count == 0 ? "no products" : string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"))) + ". Nothing was sent.");
            }

            return CliApp.Ok;
        }));
        return command;
    }

    private static Command Status(Option<string[]> configFiles)
    {
        var command = new Command("status", "Is the feed fresh right now? The dashboard's overview in the terminal. Exit code 3 when it is not fresh.") { Json };
        command.SetAction((parse, cancellationToken) => CliApp.Guarded(async () =>
        {
            var output = parse.InvocationConfiguration.Output;
            await using var app = await OneShotHostAsync(parse, configFiles, cancellationToken);
            var overview = await ActivatorUtilities.CreateInstance<OverviewQueries>(app.Services).ReadAsync(cancellationToken);
            var alarms = overview.Alarms();
            if (parse.GetValue(Json))
            {
                var node = JsonSerializer.SerializeToNode(overview, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase })!.AsObject();
                node["oldestPendingAgeSeconds"] = overview.OldestPendingAge?.TotalSeconds;
                node.Remove("oldestPendingAge");
                node["captureLagAgeSeconds"] = overview.CaptureLagAge?.TotalSeconds;
                node.Remove("captureLagAge");
                node["fresh"] = alarms.Count == 0;
                node["alarms"] = new JsonArray(alarms.Select(a => (JsonNode)a).ToArray());
                await output.WriteLineAsync(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                await output.WriteLineAsync(alarms.Count == 0 ? "FRESH: Merchant Center is in step with the catalog" : "NOT FRESH: " + string.Join("; ", alarms));
                foreach (var (label, value) in new (string, string)[]
                         {
                             ("Pending products", $"{overview.Pending} ({overview.PendingDue} due now)"),
                             ("Oldest pending change", FeedSyncPages.Age(overview.OldestPendingAge)),
                             ("Last successful push", FeedSyncPages.When(overview.LastSuccessfulPush)),
                             ("Calls last hour", $"{overview.PushesLastHour} ({overview.FailuresLastHour} failed)"),
                             ("Calls last day", $"{overview.PushesLastDay} ({overview.FailuresLastDay} failed)"),
                             ("Credentials", overview.CredentialFailuresLastHour == 0 ? "accepted" : $"refused {overview.CredentialFailuresLastHour} time(s) in the last hour"),
                             ("Products Google holds", overview.ProductsInGoogle.ToString(CultureInfo.InvariantCulture)),
                             ("Rejected locally / by Google", $"{overview.LocalProblems} / {overview.GoogleProblems}"),
                             ("Google issues / disapproved", $"{overview.GoogleIssues} / {overview.GoogleDisapproved} (pulled {FeedSyncPages.When(overview.LastStatusPull)})"),
                             ("Last change captured", FeedSyncPages.When(overview.LastCaptureAt)),
                             ("Capture lag", FeedSyncPages.CaptureLag(overview)),
                         })
                {
                    await output.WriteLineAsync($"  {label,-30} {value}");
                }
            }

            return alarms.Count == 0 ? CliApp.Ok : NotFresh;
        }));
        return command;
    }

    private static Command ConfigCommand(Option<string[]> configFiles)
    {
        var validate = new Command("validate", "Check configuration, database access, capture set-up and Merchant Center access; say exactly what is wrong. Exit code 2 if anything is.");
        validate.SetAction((parse, cancellationToken) => CliApp.Guarded(async () =>
        {
            await using var app = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = parse.GetValue(configFiles) ?? [], RunWorker = false });
            var report = await ActivatorUtilities.CreateInstance<ConfigValidation>(app.Services, app.Environment).RunAsync(cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            foreach (var check in report)
            {
                await output.WriteLineAsync($"{(check.Ok ? "ok  " : check.Warning ? "warn" : "FAIL")}  {check.Name}: {check.Detail}");
            }

            var failed = report.Count(c => !c.Ok && !c.Warning);
            await output.WriteLineAsync(failed == 0 ? "Configuration is valid." : $"{failed} problem(s) found.");
            return failed == 0 ? CliApp.Ok : CliApp.ConfigurationProblem;
        }));
        var command = new Command("config", "Configuration tools.") { validate };
        return command;
    }

    private static Command HashPassword()
    {
        var command = new Command("hash-password", "Read a dashboard password from standard input and print the hash to put in FeedSync:Dashboard:Users:N:PasswordHash.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!Console.IsInputRedirected)
            {
                await parse.InvocationConfiguration.Error.WriteAsync("Password (not shown): ");
            }

            var password = Console.IsInputRedirected ? await Console.In.ReadLineAsync(cancellationToken) : ReadHidden();
            if (string.IsNullOrEmpty(password) || password.Length < 12)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("Use a password of at least 12 characters.");
                return CliApp.ConfigurationProblem;
            }

            await parse.InvocationConfiguration.Output.WriteLineAsync(PasswordHashing.Hash(password));
            return CliApp.Ok;
        });
        return command;
    }

    private static string ReadHidden()
    {
        var password = new System.Text.StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace && password.Length > 0)
            {
                password.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return password.ToString();
    }

    private static ProductSelection Selection(ParseResult parse) =>
        new(parse.GetValue(All), parse.GetValue(OfferIds) ?? [], parse.GetValue(Since));

    /// <summary>A host without worker or dashboard, options validated and FeedSync's schema up to date.</summary>
    private static async Task<WebApplication> OneShotHostAsync(ParseResult parse, Option<string[]> configFiles, CancellationToken cancellationToken)
    {
        var app = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = parse.GetValue(configFiles) ?? [], RunWorker = false });
        try
        {
            CliApp.ValidateOptions(app.Services);
            await app.Services.GetRequiredService<StateMigrator>().MigrateAsync(cancellationToken);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}
