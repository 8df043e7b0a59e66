using System.CommandLine;
using FeedSync.Capture;
using FeedSync.Dashboard;
using FeedSync.Demo;
using FeedSync.Hosting;
using Microsoft.Extensions.Options;

namespace FeedSync.Cli;

/// <summary>The verbs of the <c>feedsync</c> executable. Exit codes: 0 done, 1 failed, 2 configuration problem.</summary>
internal static class CliApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int ConfigurationProblem = 2;

    private static readonly Option<string[]> ConfigFiles = new("--config")
    {
        Description = "Extra JSON configuration file(s), applied after config/appsettings*.json and before environment variables",
        Recursive = true,
        AllowMultipleArgumentsPerToken = true,
    };

    public static Task<int> RunAsync(string[] args) => RunAsync(args, null);

    /// <summary>Runs a verb; tests pass their own output and error writers.</summary>
    public static Task<int> RunAsync(string[] args, InvocationConfiguration? invocation)
    {
        var root = new RootCommand("FeedSync keeps Google Merchant Center in step with a PostgreSQL catalog.");
        root.Options.Add(ConfigFiles);
        root.Subcommands.Add(RunCommand());
        root.Subcommands.Add(MigrateCommand());
        root.Subcommands.Add(DemoCommand());
        root.Subcommands.Add(BenchCommand.Create(ConfigFiles));
        OperationsCommands.AddTo(root, ConfigFiles);
        return root.Parse(args).InvokeAsync(invocation);
    }

    private static Command RunCommand()
    {
        var command = new Command("run", "Run the worker: change capture, push jobs and the dashboard.");
        command.SetAction((parse, cancellationToken) => Guarded(async () =>
        {
            await using var app = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = parse.GetValue(ConfigFiles) ?? [] });
            await app.StartAsync(cancellationToken);
            PrintDashboard(app);
            await app.WaitForShutdownAsync(cancellationToken);
            return Ok;
        }));
        return command;
    }

    private static Command MigrateCommand()
    {
        var drop = new Option<bool>("--drop-capture") { Description = "Remove the replication slot and publication, or the capture triggers (per FeedSync:Capture:Mode), instead (stop FeedSync first)" };
        var stateOnly = new Option<bool>("--state-only") { Description = "Only create or upgrade FeedSync's own schema" };
        var merchantCenter = new Option<bool>("--merchant-center") { Description = "Create a primary API data source in Merchant Center (if FeedSync:MerchantCenter:DataSourceId is empty) and print its id" };
        var command = new Command("migrate", "Create or upgrade FeedSync's schema and the catalog's publication and replication slot (or capture triggers).") { drop, stateOnly, merchantCenter };
        command.SetAction((parse, cancellationToken) => Guarded(async () =>
        {
            if (parse.GetValue(merchantCenter))
            {
                return await MerchantCenterMigration.RunAsync(parse.GetValue(ConfigFiles) ?? [], Console.Out, cancellationToken);
            }

            await using var app = FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = parse.GetValue(ConfigFiles) ?? [], RunWorker = false });
            ValidateOptions(app.Services);
            var setup = app.Services.GetRequiredService<CaptureMigration>();
            if (parse.GetValue(drop))
            {
                Console.WriteLine(await setup.DropAsync(cancellationToken));
                return Ok;
            }

            await app.Services.GetRequiredService<StateMigrator>().MigrateAsync(cancellationToken);
            Console.WriteLine("FeedSync state schema is up to date.");
            if (!parse.GetValue(stateOnly))
            {
                Console.WriteLine(await setup.EnsureAsync(cancellationToken));
            }

            return Ok;
        }));
        return command;
    }

    private static Command DemoCommand()
    {
        var products = new Option<int>("--products") { Description = "Variants to seed into an empty demo catalog", DefaultValueFactory = _ => 10_000 };
        var rate = new Option<double>("--changes-per-second") { Description = "Gentle stream of random catalog changes (0 = none)", DefaultValueFactory = _ => 2 };
        var command = new Command("demo", "Install and seed the demo catalog, then run FeedSync against it with a stream of changes.") { products, rate };
        command.SetAction((parse, cancellationToken) => Guarded(async () =>
        {
            await using var app = FeedSyncApp.BuildHost(new HostSettings
            {
                ConfigFiles = [DemoCatalog.ConfigFile, .. parse.GetValue(ConfigFiles) ?? []],
                DemoChangesPerSecond = parse.GetValue(rate),
            });
            ValidateOptions(app.Services);
            var demo = app.Services.GetRequiredService<DemoCatalog>();
            Console.WriteLine("Installing the demo catalog…");
            await demo.InstallAsync(cancellationToken);
            var seeded = await demo.SeedIfEmptyAsync(parse.GetValue(products), cancellationToken);
            Console.WriteLine($"Demo catalog holds {seeded:N0} variants. Starting FeedSync (Ctrl-C stops).");
            await app.StartAsync(cancellationToken);
            PrintDashboard(app);
            await app.WaitForShutdownAsync(cancellationToken);
            return Ok;
        }));
        return command;
    }

    internal static void PrintDashboard(WebApplication app)
    {
        var dashboard = app.Services.GetRequiredService<IOptions<FeedSyncDashboardOptions>>().Value;
        Console.WriteLine($"Dashboard: {dashboard.Url.GetLeftPart(UriPartial.Authority)}{dashboard.Path.TrimEnd('/')}/feedsync");
    }

    /// <summary>Resolves every validated options type so configuration problems surface before any work starts.</summary>
    internal static void ValidateOptions(IServiceProvider services)
    {
        _ = services.GetRequiredService<IOptions<FeedSync.Catalog.CatalogOptions>>().Value;
        _ = services.GetRequiredService<IOptions<StateOptions>>().Value;
        _ = services.GetRequiredService<IOptions<FeedSync.Publish.MerchantCenterOptions>>().Value;
        _ = services.GetRequiredService<IOptions<FeedSync.Jobs.PushOptions>>().Value;
    }

    /// <summary>Turns the known failure kinds into a clear message and an exit code instead of a stack trace.</summary>
    internal static async Task<int> Guarded(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync("FeedSync cannot start; fix the configuration:");
            foreach (var failure in ex.Failures)
            {
                await Console.Error.WriteLineAsync("  - " + failure);
            }

            return ConfigurationProblem;
        }
        catch (StartupException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return ConfigurationProblem;
        }
        catch (CaptureSetupException ex)
        {
            await Console.Error.WriteLineAsync("Change capture cannot be set up: " + ex.Message);
            return ConfigurationProblem;
        }
        catch (Npgsql.NpgsqlException ex) when (ex.InnerException is System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"Cannot reach PostgreSQL: {ex.Message}. Check the host and port in FeedSync:Catalog:ConnectionString and FeedSync:State:ConnectionString.");
            return ConfigurationProblem;
        }
        catch (OperationCanceledException)
        {
            return Ok;
        }
    }
}
