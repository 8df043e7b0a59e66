using System.Diagnostics;
using FeedSync.Catalog;
using FeedSync.Demo;
using FeedSync.Freshness;
using FeedSync.Hosting;
using FeedSync.Jobs;
using FeedSync.Publish;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;

namespace FeedSync.Benchmarks;

/// <summary>
/// reconcile [--products N] [--drift PERCENT] [--cold]: seeds N variants, records them all as pushed (as a completed
/// initial sync followed by one reconciliation would, so with their source checks), then times reconciliation with no
/// differences and with PERCENT % of products drifted, sampling the process's working set during each run. The drifted
/// products are then pushed to the emulator and timed apart. --cold first times a run with no source check stored
/// (the first reconciliation after upgrading), which maps every row and stores the checks.
/// </summary>
internal static class ReconciliationBench
{
    public static async Task RunAsync(string connectionString, string emulatorUrl, string database, int products, double driftPercent, bool cold)
    {
        await using var app = FeedSyncApp.BuildHost(new HostSettings
        {
            RunWorker = false,
            ConfigFiles = [DemoCatalog.ConfigFile],
            Overrides = new Dictionary<string, string?>
            {
                ["FeedSync:Catalog:ConnectionString"] = connectionString,
                ["FeedSync:State:ConnectionString"] = connectionString,
                ["FeedSync:MerchantCenter:Endpoint"] = emulatorUrl,
                ["FeedSync:MerchantCenter:AccountId"] = "1234567",
                ["FeedSync:MerchantCenter:DataSourceId"] = "7654321",
                ["FeedSync:Capture:SlotName"] = database,
                ["Serilog:MinimumLevel:Default"] = "Warning",
                ["Serilog:MinimumLevel:Override:FeedSync.Jobs.PushProcessor"] = "Error",
            },
        });
        var services = app.Services;
        await services.GetRequiredService<StateMigrator>().MigrateAsync(CancellationToken.None);
        var demo = services.GetRequiredService<DemoCatalog>();
        await demo.InstallAsync(CancellationToken.None);

        var watch = Stopwatch.StartNew();
        await demo.SeedIfEmptyAsync(products, CancellationToken.None);
        var rows = await ScalarAsync<long>(connectionString, "SELECT count(*) FROM catalog.feed");
        Console.WriteLine($"seeded {products:N0} variants ({rows:N0} feed rows) in {watch.Elapsed.TotalSeconds:0.0} s");

        watch.Restart();
        var recorded = await RecordAllAsPushedAsync(services, connectionString);
        Console.WriteLine($"recorded {recorded:N0} destinations as pushed in {watch.Elapsed.TotalSeconds:0.0} s");

        var reconciliation = services.GetRequiredService<Reconciliation>();
        if (cold)
        {
            await ExecuteAsync(connectionString, "UPDATE feedsync.last_pushed SET reconciled_source = NULL");
            await ExecuteAsync(connectionString, "VACUUM ANALYZE feedsync.last_pushed");
            await MeasureAsync("first run after the upgrade (no source checks stored)", connectionString, () => reconciliation.RunAsync(CancellationToken.None));
            await ExecuteAsync(connectionString, "VACUUM ANALYZE feedsync.last_pushed");
        }

        await MeasureAsync("no differences", connectionString, () => reconciliation.RunAsync(CancellationToken.None));

        var drifted = await ScalarAsync<long>(connectionString, $"""
            WITH d AS (UPDATE feedsync.last_pushed SET content_hash = '\x00'::bytea
                       WHERE product_key IN (SELECT DISTINCT product_key FROM feedsync.last_pushed WHERE random() < {driftPercent / 100.0:0.#####}) RETURNING product_key)
            SELECT count(DISTINCT product_key) FROM d
            """);
        await ExecuteAsync(connectionString, "VACUUM ANALYZE feedsync.last_pushed");
        Console.WriteLine($"drifted {drifted:N0} products ({driftPercent} %)");
        await MeasureAsync($"{driftPercent} % differences", connectionString, () => reconciliation.RunAsync(CancellationToken.None));

        watch.Restart();
        var processor = services.GetRequiredService<PushProcessor>();
        long calls = 0;
        while (await processor.PushOnceAsync(CancellationToken.None) is { Claimed: > 0 } step)
        {
            calls += step.Calls;
        }

        Console.WriteLine($"pushed the drifted products: {calls:N0} calls in {watch.Elapsed.TotalSeconds:0.0} s");
    }

    private static async Task MeasureAsync(string label, string connectionString, Func<Task<ReconciliationResult>> run)
    {
        await ExecuteAsync(connectionString, "TRUNCATE feedsync.pending");
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var baseline = process.WorkingSet64;
        var cpuBefore = process.TotalProcessorTime;
        var serverCpuBefore = await ServerCpuAsync(connectionString);
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                await Task.Delay(50);
            }
        });

        var result = await run();
        await sampling.CancelAsync();
        await sampler;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var serverCpu = await ServerCpuAsync(connectionString) - serverCpuBefore;
        var pending = await ScalarAsync<long>(connectionString, "SELECT count(*) FROM feedsync.pending");
        Console.WriteLine(
            $"reconciliation, {label}: {result.Elapsed.TotalSeconds:0.0} s wall, {result.RowsRead:N0} rows read, {result.RowsMapped:N0} mapped, {result.ProductsDiffering:N0} differing, " +
            $"{result.ProductsGone:N0} gone, {pending:N0} pending; peak working set {peak / 1048576.0:0} MB (before the run {baseline / 1048576.0:0} MB); " +
            $"FeedSync process CPU {cpu.TotalSeconds:0.0} s, PostgreSQL CPU {(serverCpu is { } pg ? pg.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " s" : "not measurable here")}");
        Console.WriteLine($"    {result.Phases}");
    }

    /// <summary>Streams the view and COPYs every valid destination into last_pushed with the hash and source check FeedSync computes.</summary>
    private static async Task<long> RecordAllAsPushedAsync(IServiceProvider services, string connectionString)
    {
        var view = services.GetRequiredService<FeedView>();
        var now = DateTimeOffset.UtcNow;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        long written = 0;
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY feedsync.last_pushed (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at, reconciled_source) FROM STDIN (FORMAT BINARY)"))
        {
            string? after = null;
            while (true)
            {
                var page = await view.ReadSourcedPageAsync(after, 5000, CancellationToken.None);
                if (page.Count == 0)
                {
                    break;
                }

                // A full page may end inside a key's rows: leave that key for the next page.
                var full = page.Count == 5000;
                if (full)
                {
                    var lastKey = page[^1].Row.ProductKey;
                    page = page[..page.FindIndex(r => r.Row.ProductKey == lastKey)];
                }

                // Mapped on every core: at 1M products this set-up is the slow part of the benchmark.
                var mappedRows = new (string Key, ProductInput Input, byte[] Hash, string Json, byte[] Check)?[page.Count];
                Parallel.For(0, page.Count, i =>
                {
                    var (row, source) = page[i];
                    if (ProductMapper.Map(row, now) is { IsValid: true, Input: { } input })
                    {
                        var hash = input.ContentHash();
                        mappedRows[i] = (row.ProductKey, input, hash, input.ToCanonicalJson(), SourceCheck.Compute(source, SourceCheck.SaleInEffect(row, now), hash));
                    }
                });

                foreach (var mapped in mappedRows)
                {
                    if (mapped is not var (key, input, hash, json, check))
                    {
                        continue;
                    }

                    await copy.StartRowAsync();
                    await copy.WriteAsync(input.Identity.OfferId, NpgsqlDbType.Text);
                    await copy.WriteAsync(input.Identity.ContentLanguage, NpgsqlDbType.Text);
                    await copy.WriteAsync(input.Identity.FeedLabel, NpgsqlDbType.Text);
                    await copy.WriteAsync(key, NpgsqlDbType.Text);
                    await copy.WriteAsync(hash, NpgsqlDbType.Bytea);
                    await copy.WriteAsync(json, NpgsqlDbType.Jsonb);
                    await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
                    await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
                    await copy.WriteAsync(check, NpgsqlDbType.Bytea);
                    written++;
                }

                if (!full)
                {
                    break;
                }

                after = page[^1].Row.ProductKey;
            }

            await copy.CompleteAsync();
        }

        await ExecuteAsync(connectionString, "VACUUM ANALYZE feedsync.last_pushed");
        return written;
    }

    /// <summary>
    /// CPU used so far by the local PostgreSQL server: its live processes plus the children it has reaped (backends that
    /// ended), from /proc; null when the server is not a local Linux process. Load-independent, unlike wall time.
    /// </summary>
    private static async Task<TimeSpan?> ServerCpuAsync(string connectionString)
    {
        try
        {
            var dataDirectory = await ScalarAsync<string>(connectionString, "SELECT current_setting('data_directory')");
            var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
            long ticks = 0;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid))
                {
                    continue;
                }

                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(dir, "stat"));
                }
                catch (IOException)
                {
                    continue;
                }

                // Fields after the command name: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based overall.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                if (pid == postmaster)
                {
                    ticks += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)
                        + long.Parse(fields[13], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[14], System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (ppid == postmaster)
                {
                    ticks += long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            // Linux reports these in clock ticks of 1/100 s (USER_HZ).
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or Npgsql.PostgresException)
        {
            return null;
        }
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }
}
