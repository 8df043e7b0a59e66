using System.Globalization;
using FeedSync.Cli;
using FeedSync.Demo;
using FeedSync.Hosting;
using FeedSync.MerchantEmulator;
using Npgsql;

// FeedSync benchmarks: figures, not pass/fail. Run through scripts/bench.sh, which starts a throwaway PostgreSQL.
//   end-to-end [--products N] [--rate R] [--duration S] [--connections C] [--separate-state] [--emulator-latency-ms L]
//                                                        commit-to-emulator latency, calls per change, peak memory, CPU per change
//                                                        (--emulator-latency-ms: every API call answered after L to 1.5 L ms,
//                                                        as Google's are, instead of at once)
//   reconcile [--products N] [--drift PERCENT] [--cold]  reconciliation wall time and peak memory, no drift and PERCENT % drift
//                                                        (--cold: also the first run after the upgrade, before any check is stored)
//   transport [--updates N] [--latency-ms L] [--concurrency C] [--batch-size B]   batch vs concurrent pushes (no PostgreSQL)
//   dashboard [--products N] [--problems M]               dashboard page render times over seeded state
// FEEDSYNC_BENCH_STEPLOG=Information prints every push step (products claimed, calls, elapsed) and every status pull for end-to-end runs.
if (args.Length > 0 && args[0] == "transport")
{
    await FeedSync.Benchmarks.TransportBenchmark.RunAsync(args);
    return;
}

var admin = Environment.GetEnvironmentVariable("FEEDSYNC_BENCH_PG")
    ?? throw new InvalidOperationException("Set FEEDSYNC_BENCH_PG to an admin connection string (scripts/bench.sh does).");
var products = IntArg("--products", 10_000);
var rate = IntArg("--rate", 200);
var duration = IntArg("--duration", 60);

var database = "bench_" + Guid.NewGuid().ToString("N")[..8];
await Execute(admin, $"CREATE DATABASE {database}");
var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;
if (args.FirstOrDefault() == "dashboard")
{
    try
    {
        await DashboardBench.RunAsync(connectionString, database, IntArg("--products", 1_000_000), IntArg("--problems", 10_000));
    }
    finally
    {
        NpgsqlConnection.ClearAllPools();
        if (Environment.GetEnvironmentVariable("FEEDSYNC_BENCH_KEEP") is null)
        {
            await Execute(admin, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
        else
        {
            Console.WriteLine($"kept database {database} (FEEDSYNC_BENCH_KEEP)");
        }
    }

    return;
}

// The emulator runs in its own process (as Google would be elsewhere): its heap and GC pauses are not FeedSync's,
// and this process's CPU time is FeedSync's and the driver's alone. It counts calls but keeps no request bodies.
using var emulator = FeedSync.Benchmarks.EmulatorProcess.Start("--count-only");
try
{
    if (args.FirstOrDefault() == "reconcile")
    {
        var drift = args.IndexOf("--drift") is var d and >= 0 && d + 1 < args.Length ? double.Parse(args[d + 1], CultureInfo.InvariantCulture) : 1.0;
        await FeedSync.Benchmarks.ReconciliationBench.RunAsync(connectionString, emulator.Url, database, IntArg("--products", 100_000), drift, args.Contains("--cold"));
        return;
    }

    // --separate-state: FeedSync's own tables in a second database, as in production. Logical decoding then skips
    // FeedSync's writes (another database) instead of decoding each of them and dropping it at the publication.
    var stateConnectionString = connectionString;
    if (args.Contains("--separate-state"))
    {
        await Execute(admin, $"CREATE DATABASE {database}_state");
        stateConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = database + "_state" }.ConnectionString;
    }

    var apiLatency = IntArg("--emulator-latency-ms", 0);
    if (apiLatency > 0)
    {
        await emulator.SetFaultsAsync(new { latencyMs = apiLatency, latencyJitterMs = apiLatency / 2 });
    }

    Console.WriteLine($"end-to-end: {products:N0} products, {rate} changes/s for {duration} s, Merchant API emulator at {emulator.Url}"
        + (apiLatency > 0 ? $" answering after {apiLatency}–{apiLatency * 3 / 2} ms" : "")
        + (stateConnectionString == connectionString ? "" : "; FeedSync state in its own database"));
    var report = await BenchCommand.RunAsync(
        new HostSettings
        {
            ConfigFiles = [DemoCatalog.ConfigFile],
            Overrides = new Dictionary<string, string?>
            {
                ["FeedSync:Catalog:ConnectionString"] = connectionString,
                ["FeedSync:State:ConnectionString"] = stateConnectionString,
                ["FeedSync:MerchantCenter:Endpoint"] = emulator.Url,
                ["FeedSync:MerchantCenter:AccountId"] = "1234567",
                ["FeedSync:MerchantCenter:DataSourceId"] = "7654321",
                ["FeedSync:Capture:SlotName"] = database,
                // The host refuses an anonymous dashboard outside Development; nobody logs in during a benchmark.
                ["FeedSync:Dashboard:Users:0:Name"] = "bench",
                ["FeedSync:Dashboard:Users:0:PasswordHash"] = FeedSync.Dashboard.PasswordHashing.Hash(Guid.NewGuid().ToString("N")),
                ["FeedSync:Dashboard:Users:0:Role"] = "viewer",
                ["Serilog:MinimumLevel:Default"] = "Error",
                ["Serilog:MinimumLevel:Override:FeedSync.Jobs.PushProcessor"] = Environment.GetEnvironmentVariable("FEEDSYNC_BENCH_STEPLOG") ?? "Error",
                ["Serilog:MinimumLevel:Override:FeedSync.Jobs.StatusPullJob"] = Environment.GetEnvironmentVariable("FEEDSYNC_BENCH_STEPLOG") ?? "Error",
            },
        },
        new BenchSettings(products, rate, TimeSpan.FromSeconds(duration), IntArg("--connections", 16), TimeSpan.FromSeconds(IntArg("--warmup", 0)), !args.Contains("--no-settle"),
            Environment.GetEnvironmentVariable(BenchSettings.LatenciesFileVariable)),
        Console.Out,
        CancellationToken.None);
    Console.WriteLine(report);
    using var emulatorAdmin = new HttpClient { BaseAddress = new Uri(emulator.Url) };
    var stats = System.Text.Json.Nodes.JsonNode.Parse(await emulatorAdmin.GetStringAsync("emulator/stats"))!;
    Console.WriteLine($"emulator (own process)        {stats["calls"]} calls received, {stats["contractViolations"]} contract violations, {emulator.ProcessorTime.TotalSeconds:0.0} s CPU over the whole run");
}
finally
{
    NpgsqlConnection.ClearAllPools();
    await Execute(admin, $"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '{database}' AND NOT active");
    if (Environment.GetEnvironmentVariable("FEEDSYNC_BENCH_KEEP") is null)
    {
        await Execute(admin, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        await Execute(admin, $"DROP DATABASE IF EXISTS {database}_state WITH (FORCE)");
    }
    else
    {
        Console.WriteLine($"kept database {database} (FEEDSYNC_BENCH_KEEP)");
    }
}

int IntArg(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

static async Task Execute(string connectionString, string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    await command.ExecuteNonQueryAsync();
}
