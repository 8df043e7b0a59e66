using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FeedSync.Demo;
using FeedSync.Hosting;
using Npgsql;

namespace FeedSync.Cli;

/// <param name="Connections">Catalog connections the driver commits on; one connection cannot commit 1,000 single-row transactions/s on a busy machine.</param>
/// <param name="Warmup">Changes applied at the same rate before the measured ones, not measured (JIT, caches).</param>
/// <param name="Settle">Vacuum and analyze after the initial load, as autovacuum would in the minutes after it.</param>
/// <param name="LatenciesFile">
/// A CSV file to keep every measured change in (commit time in Unix ms, latency ms, variant), to see how the latency
/// moves during the run, e.g. a warm-up after start; both entry points take it from <c>FEEDSYNC_BENCH_LATENCIES</c>.
/// </param>
internal sealed record BenchSettings(
    int Products, double ChangesPerSecond, TimeSpan Duration, int Connections = 16, TimeSpan Warmup = default, bool Settle = true, string? LatenciesFile = null)
{
    public const string LatenciesFileVariable = "FEEDSYNC_BENCH_LATENCIES";
}

internal sealed record BenchReport(
    long Products,
    TimeSpan InitialSync,
    int Changes,
    double AchievedChangesPerSecond,
    int Observed,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs,
    long Calls,
    double CallsPerChange,
    long PeakWorkingSetBytes,
    double CpuMsPerChange,
    string Before)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"""
        products                 {Products:N0}
        initial sync             {InitialSync.TotalSeconds:0.0} s
        before measuring         {Before}
        changes applied          {Changes:N0} ({AchievedChangesPerSecond:0.0}/s)
        changes seen in Google   {Observed:N0}
        commit→emulator p50      {P50Ms:0} ms
        commit→emulator p95      {P95Ms:0} ms
        commit→emulator p99      {P99Ms:0} ms
        commit→emulator max      {MaxMs:0} ms
        Merchant API calls       {Calls:N0} ({CallsPerChange:0.00} per change)
        process peak memory      {PeakWorkingSetBytes / 1024.0 / 1024.0:0} MiB
        process CPU per change   {CpuMsPerChange:0.00} ms (this process, from the first change until all are pushed)
        """);
}

/// <summary>
/// <c>feedsync bench</c>: seeds the demo catalog, lets FeedSync sync it, then applies price changes at a fixed
/// rate and measures, per change, the time from the catalog commit until the Merchant API acknowledged a push
/// carrying it (or a newer price). Prints figures; it does not pass or fail.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(Option<string[]> configFiles)
    {
        var products = new Option<int>("--products") { Description = "Variants in the demo catalog", DefaultValueFactory = _ => 10_000 };
        var rate = new Option<double>("--rate") { Description = "Price changes per second", DefaultValueFactory = _ => 200 };
        var duration = new Option<int>("--duration") { Description = "Seconds of changes", DefaultValueFactory = _ => 60 };
        var captureOnly = new Option<bool>("--capture-throughput") { Description = "Measure capture alone: row changes per second recorded as pending (no pushes)" };
        var rowChanges = new Option<int>("--row-changes") { Description = "Row changes for --capture-throughput", DefaultValueFactory = _ => 100_000 };
        var connections = new Option<int>("--connections") { Description = "Catalog connections the change driver commits on", DefaultValueFactory = _ => 16 };
        var warmup = new Option<int>("--warmup") { Description = "Seconds of changes at the same rate before the measured ones (not measured)", DefaultValueFactory = _ => 0 };
        var noSettle = new Option<bool>("--no-settle") { Description = "Measure right after the initial load, while autovacuum is still working through the loaded tables" };
        var command = new Command("bench", "Measure commit-to-Merchant-API latency and calls per change against the configured endpoint (use the emulator).") { products, rate, duration, captureOnly, rowChanges, connections, warmup, noSettle };
        command.SetAction((parse, cancellationToken) => CliApp.Guarded(async () =>
        {
            if (parse.GetValue(captureOnly))
            {
                Console.WriteLine(await CaptureBench.RunAsync(
                    new HostSettings { ConfigFiles = [DemoCatalog.ConfigFile, .. parse.GetValue(configFiles) ?? []] },
                    parse.GetValue(products),
                    parse.GetValue(rowChanges),
                    Console.Out,
                    cancellationToken));
                return CliApp.Ok;
            }

            var report = await RunAsync(
                new HostSettings { ConfigFiles = [DemoCatalog.ConfigFile, .. parse.GetValue(configFiles) ?? []] },
                new BenchSettings(
                    parse.GetValue(products),
                    parse.GetValue(rate),
                    TimeSpan.FromSeconds(parse.GetValue(duration)),
                    Math.Max(1, parse.GetValue(connections)),
                    TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(warmup))),
                    !parse.GetValue(noSettle),
                    Environment.GetEnvironmentVariable(BenchSettings.LatenciesFileVariable)),
                Console.Out,
                cancellationToken);
            Console.WriteLine(report);
            return CliApp.Ok;
        }));
        return command;
    }

    public static async Task<BenchReport> RunAsync(HostSettings host, BenchSettings bench, TextWriter progress, CancellationToken cancellationToken)
    {
        // Nobody uses the dashboard during a bench: an ephemeral loopback port, and no local users (the policy still requires a login).
        var overrides = new Dictionary<string, string?>(host.Overrides)
        {
            ["FeedSync:Dashboard:Url"] = "http://127.0.0.1:0",
            ["FeedSync:Dashboard:ExternalAuthentication"] = "true",
        };
        await using var app = FeedSyncApp.BuildHost(host with { Overrides = overrides });
        CliApp.ValidateOptions(app.Services);
        var databases = app.Services.GetRequiredService<Databases>();
        var demo = app.Services.GetRequiredService<DemoCatalog>();
        await demo.InstallAsync(cancellationToken);
        var products = await demo.SeedIfEmptyAsync(bench.Products, cancellationToken);

        var syncWatch = Stopwatch.StartNew();
        await app.StartAsync(cancellationToken);
        await progress.WriteLineAsync($"Initial sync of {products:N0} variants…");
        await using (var rowsInView = databases.Catalog.CreateCommand("SELECT count(*) FROM catalog.feed"))
        {
            var feedRows = (long)(await rowsInView.ExecuteScalarAsync(cancellationToken))!;
            await WaitUntilNothingPendingAsync(databases, progress, TimeSpan.FromMinutes(30), cancellationToken, feedRows);
        }

        var initialSync = syncWatch.Elapsed;

        var variants = await UsVariantsAsync(databases, cancellationToken);
        await progress.WriteLineAsync($"Initial sync done in {initialSync.TotalSeconds:0.0} s.");
        var before = new List<string>();
        if (bench.Settle)
        {
            // A bulk load leaves every page of the loaded tables for autovacuum's first pass (hint bits, visibility map)
            // and statistics to gather; measured through, the figure is autovacuum's (at 100k products it held one core
            // for ~25 s), and it happens once in production, right after the initial sync.
            await progress.WriteLineAsync("VACUUM ANALYZE of the loaded databases…");
            var settleWatch = Stopwatch.StartNew();
            await SettleAsync(databases, cancellationToken);
            before.Add($"VACUUM ANALYZE ({settleWatch.Elapsed.TotalSeconds:0} s)");
        }

        if (bench.Warmup > TimeSpan.Zero)
        {
            await progress.WriteLineAsync($"Warm-up: {bench.ChangesPerSecond}/s price changes for {bench.Warmup.TotalSeconds:0} s, not measured…");
            await ApplyChangesAsync(databases, variants, bench with { Duration = bench.Warmup }, WarmupPrices, cancellationToken);
            await WaitUntilCapturedAsync(databases, DateTimeOffset.UtcNow, cancellationToken);
            await WaitUntilNothingPendingAsync(databases, progress, TimeSpan.FromMinutes(2), cancellationToken);
            before.Add($"{bench.Warmup.TotalSeconds:0} s of changes, not measured");
        }

        await progress.WriteLineAsync($"Measuring: applying {bench.ChangesPerSecond}/s price changes for {bench.Duration.TotalSeconds:0} s on {bench.Connections} connections…");
        var benchStart = DateTimeOffset.UtcNow;
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var changes = await ApplyChangesAsync(databases, variants, bench, MeasuredPrices, cancellationToken);
        var applyEnd = DateTimeOffset.UtcNow;
        await WaitUntilCapturedAsync(databases, applyEnd, cancellationToken);
        await WaitUntilNothingPendingAsync(databases, progress, TimeSpan.FromMinutes(2), cancellationToken);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;

        var pushes = await PushesSinceAsync(databases, benchStart, cancellationToken);
        var latencies = Latencies(changes, pushes, bench.LatenciesFile);
        await app.StopAsync(CancellationToken.None);

        latencies.Sort();
        return new BenchReport(
            products,
            initialSync,
            changes.Count,
            changes.Count / (applyEnd - benchStart).TotalSeconds,
            latencies.Count,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95),
            Percentile(latencies, 0.99),
            latencies.Count == 0 ? double.NaN : latencies[^1],
            pushes.Count,
            changes.Count == 0 ? 0 : pushes.Count / (double)changes.Count,
            Process.GetCurrentProcess().PeakWorkingSet64,
            changes.Count == 0 ? 0 : cpu.TotalMilliseconds / changes.Count,
            before.Count == 0 ? "nothing (measured right after the initial sync)" : string.Join("; ", before));
    }

    // Warm-up and measured changes set different prices: a measured change must never be a no-op update.
    private const decimal WarmupPrices = 5000m;
    private const decimal MeasuredPrices = 1000m;

    private sealed record Change(string VariantId, long AmountMicros, DateTimeOffset CommittedAt);

    private sealed record Push(string VariantId, long AmountMicros, DateTimeOffset At);

    private static async Task<List<string>> UsVariantsAsync(Databases databases, CancellationToken cancellationToken)
    {
        await using var command = databases.Catalog.CreateCommand("""
            SELECT product_key::text FROM catalog.feed f WHERE feed_label = 'US'
              AND NOT EXISTS (SELECT 1 FROM catalog.demo_invalid_offers i WHERE i.product_key = f.product_key)
            ORDER BY product_key
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }

    /// <summary>
    /// One price update per transaction on a fixed open-loop schedule (change i is due at i / rate, whether or not
    /// earlier ones were slow), spread over several connections. Each connection owns its own share of the
    /// variants, so one product's changes commit in order; each amount is unique so its push can be recognised.
    /// </summary>
    private static async Task<List<Change>> ApplyChangesAsync(Databases databases, List<string> variants, BenchSettings bench, decimal prices, CancellationToken cancellationToken)
    {
        var total = (int)(bench.ChangesPerSecond * bench.Duration.TotalSeconds);
        var clock = Stopwatch.StartNew();
        var drivers = Enumerable.Range(0, bench.Connections).Select(c => Task.Run(
            () => DriveAsync(databases, variants.Where((_, i) => i % bench.Connections == c).ToList(), c, bench, total, prices, clock, cancellationToken),
            cancellationToken));
        return (await Task.WhenAll(drivers)).SelectMany(c => c).ToList();
    }

    private static async Task<List<Change>> DriveAsync(
        Databases databases, List<string> mine, int connectionIndex, BenchSettings bench, int total, decimal prices, Stopwatch clock, CancellationToken cancellationToken)
    {
        var random = new Random(42 + connectionIndex);
        var changes = new List<Change>((total / bench.Connections) + 1);
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        await using var update = new NpgsqlCommand("UPDATE catalog.prices SET amount = @amount WHERE variant_id = @variant::bigint AND market = 'US'", connection);
        var amount = update.Parameters.Add(new NpgsqlParameter("amount", NpgsqlTypes.NpgsqlDbType.Numeric));
        var variant = update.Parameters.Add(new NpgsqlParameter("variant", NpgsqlTypes.NpgsqlDbType.Text));
        await update.PrepareAsync(cancellationToken);
        for (var i = connectionIndex; i < total; i += bench.Connections)
        {
            // One reading of the clock: read twice, a thread preempted in between could pass Task.Delay a wait of
            // -1 to -2 ms, which it truncates to -1 ms, "wait forever" (it hung a run 3 s into its measured phase).
            var wait = TimeSpan.FromSeconds(i / bench.ChangesPerSecond) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            var price = prices + (i * 0.01m);
            amount.Value = price;
            variant.Value = mine[random.Next(mine.Count)];
            await update.ExecuteNonQueryAsync(cancellationToken);
            changes.Add(new Change((string)variant.Value, (long)(price * 1_000_000m), DateTimeOffset.UtcNow));
        }

        return changes;
    }

    private static async Task<List<Push>> PushesSinceAsync(Databases databases, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = databases.State.CreateCommand("""
            SELECT product_key, (request -> 'productAttributes' -> 'price' ->> 'amountMicros')::bigint, at
            FROM feedsync.push_log
            WHERE at >= @since AND outcome = 'Success' AND feed_label = 'US'
            """);
        command.Parameters.AddWithValue("since", since);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var pushes = new List<Push>();
        while (await reader.ReadAsync(cancellationToken))
        {
            pushes.Add(new Push(reader.GetString(0), reader.IsDBNull(1) ? -1 : reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return pushes;
    }

    /// <summary>
    /// A change counts as delivered by the first successful push, after its commit, carrying its price or a
    /// later price of the same product (coalescing may skip straight to the newer value).
    /// </summary>
    private static List<double> Latencies(List<Change> changes, List<Push> pushes, string? csv)
    {
        var pushesByVariant = pushes.GroupBy(p => p.VariantId).ToDictionary(g => g.Key, g => g.OrderBy(p => p.At).ToList());
        var changesByVariant = changes.GroupBy(c => c.VariantId).ToDictionary(g => g.Key, g => g.ToList());
        var latencies = new List<double>(changes.Count);

        var perChange = csv is null ? null : new List<string>(changes.Count) { "committed_unix_ms,latency_ms,variant" };
        foreach (var (variantId, variantChanges) in changesByVariant)
        {
            var variantPushes = pushesByVariant.GetValueOrDefault(variantId) ?? [];
            for (var i = 0; i < variantChanges.Count; i++)
            {
                var change = variantChanges[i];
                var acceptable = variantChanges.Skip(i).Select(c => c.AmountMicros).ToHashSet();
                var delivered = variantPushes.FirstOrDefault(p => p.At >= change.CommittedAt.AddMilliseconds(-5) && acceptable.Contains(p.AmountMicros));
                if (delivered is not null)
                {
                    latencies.Add(Math.Max(0, (delivered.At - change.CommittedAt).TotalMilliseconds));
                    perChange?.Add(FormattableString.Invariant($"{change.CommittedAt.ToUnixTimeMilliseconds()},{latencies[^1]:0},{variantId}"));
                }
            }
        }

        if (csv is not null)
        {
            File.WriteAllLines(csv, perChange!);
        }

        return latencies;
    }

    /// <summary>Waits until nothing is pending and at least <paramref name="settledDestinations"/> destinations are pushed or rejected.</summary>
    private static async Task WaitUntilNothingPendingAsync(Databases databases, TextWriter progress, TimeSpan timeout, CancellationToken cancellationToken, long settledDestinations = 0)
    {
        var watch = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        while (watch.Elapsed < timeout)
        {
            await using var command = databases.State.CreateCommand(
                "SELECT (SELECT count(*) FROM feedsync.pending), (SELECT count(*) FROM feedsync.last_pushed) + (SELECT count(*) FROM feedsync.product_problems)");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var pending = reader.GetInt64(0);
            if (pending == 0 && reader.GetInt64(1) >= settledDestinations)
            {
                return;
            }

            if (watch.Elapsed - lastReport > TimeSpan.FromSeconds(5))
            {
                lastReport = watch.Elapsed;
                await progress.WriteLineAsync($"  {pending:N0} products pending ({watch.Elapsed.TotalSeconds:0} s)");
            }

            await Task.Delay(100, cancellationToken);
        }

        await progress.WriteLineAsync("  gave up waiting for the pending set to empty");
    }

    private static async Task SettleAsync(Databases databases, CancellationToken cancellationToken)
    {
        var catalog = new NpgsqlConnectionStringBuilder(databases.Catalog.ConnectionString);
        var state = new NpgsqlConnectionStringBuilder(databases.State.ConnectionString);
        var sameDatabase = catalog.Host == state.Host && catalog.Port == state.Port && catalog.Database == state.Database;
        foreach (var source in sameDatabase ? [databases.State] : new[] { databases.State, databases.Catalog })
        {
            await using var vacuum = source.CreateCommand("VACUUM (ANALYZE)");
            vacuum.CommandTimeout = 0;
            await vacuum.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Waits until capture has recorded transactions committed up to <paramref name="committedBy"/>.</summary>
    private static async Task WaitUntilCapturedAsync(Databases databases, DateTimeOffset committedBy, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await using var command = databases.State.CreateCommand(
                "SELECT coalesce(greatest((SELECT max(updated_at) FROM feedsync.capture_checkpoint), (SELECT max(updated_at) FROM feedsync.capture_cursor)) >= @at, false)");
            command.Parameters.AddWithValue("at", committedBy);
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
