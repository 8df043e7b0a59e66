using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FeedSync.Publish;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FeedSync.Benchmarks;

/// <summary>
/// <c>transport [--updates N] [--latency-ms L] [--concurrency C] [--batch-size B]</c>: product updates per second and
/// client CPU per 1,000 pushes through <see cref="MerchantApiClient"/>, batch against concurrent requests, to the
/// emulator running as its own process (so its CPU is not counted) with L ms of latency per HTTP request.
/// </summary>
internal static class TransportBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var updates = IntArg(args, "--updates", 20_000);
        var latency = IntArg(args, "--latency-ms", 100);
        var concurrency = IntArg(args, "--concurrency", 16);
        var batchSize = IntArg(args, "--batch-size", 100);

        using var emulator = EmulatorProcess.Start();
        using var admin = new HttpClient { BaseAddress = new Uri(emulator.Url) };
        await emulator.SetFaultsAsync(new { latencyMs = latency });
        Console.WriteLine($"transport: {updates:N0} products, {latency} ms latency per HTTP request, emulator pid {emulator.Pid} at {emulator.Url}");
        Console.WriteLine("mode                          inserts/s   price patches/s   client CPU s per 1,000 pushes   failed");

        (MerchantTransport Transport, int Concurrency)[] runs =
            [(MerchantTransport.Batch, concurrency), (MerchantTransport.Concurrent, concurrency), (MerchantTransport.Concurrent, 256)];
        foreach (var (transport, parallel) in runs)
        {
            (await admin.PostAsync("emulator/reset", null)).EnsureSuccessStatusCode();
            var options = new MerchantCenterOptions
            {
                Endpoint = new Uri(emulator.Url),
                AccountId = "1234567",
                DataSourceId = "7654321",
                Transport = transport,
                MaxConcurrency = parallel,
                BatchSize = batchSize,
                CallsPerMinute = 10_000_000,
            };
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 256 };
            using var http = new HttpClient(handler) { BaseAddress = options.Endpoint, Timeout = options.RequestTimeout };
            var wrapped = Options.Create(options);
            using var limiter = new MerchantRateLimiter(wrapped, TimeProvider.System, NullLogger<MerchantRateLimiter>.Instance);
            var client = new MerchantApiClient(http, wrapped, new MerchantResilience(wrapped, limiter, TimeProvider.System, NullLogger<MerchantResilience>.Instance),
                NullLogger<MerchantApiClient>.Instance);

            var inserts = Enumerable.Range(0, updates).Select(i => MerchantCall.Insert(Product(i, 19.99m))).ToList();
            var patches = Enumerable.Range(0, updates).Select(i => MerchantCall.Patch(Product(i, 17.49m), ["productAttributes.price"])).ToList();
            var (insertRate, _, insertFailed) = await Measure(client, inserts);
            var (patchRate, cpuPerThousand, patchFailed) = await Measure(client, patches);
            var label = transport == MerchantTransport.Batch ? $"batch ({batchSize}/request, {parallel} in flight)" : $"concurrent ({parallel} in flight)";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label,-29} {insertRate,9:N0}   {patchRate,15:N0}   {cpuPerThousand,29:0.000}   {insertFailed + patchFailed}"));
        }

        var stats = JsonNode.Parse(await admin.GetStringAsync("emulator/stats"));
        Console.WriteLine($"emulator calls in the last run: {stats?["calls"]}");
    }

    private static async Task<(double PerSecond, double CpuSecondsPerThousand, int Failed)> Measure(MerchantApiClient client, List<MerchantCall> calls)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var results = await client.ExecuteAsync(calls, CancellationToken.None);
        watch.Stop();
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        return (calls.Count / watch.Elapsed.TotalSeconds, cpu / calls.Count * 1000, results.Count(r => !r.IsSuccess));
    }

    private static ProductInput Product(int i, decimal price) => new(
        new ProductIdentity("en", "US", $"bench-{i}"),
        new JsonObject
        {
            ["title"] = $"Benchmark shirt {i}",
            ["link"] = $"https://shop.example/p/bench-{i}",
            ["imageLink"] = $"https://shop.example/img/bench-{i}.jpg",
            ["availability"] = "IN_STOCK",
            ["condition"] = "NEW",
            ["price"] = new JsonObject { ["amountMicros"] = ((long)(price * 1_000_000)).ToString(CultureInfo.InvariantCulture), ["currencyCode"] = "USD" },
        },
        []);

    private static int IntArg(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}

/// <summary>The emulator executable (copied next to the benchmark) in its own process on a free port.</summary>
internal sealed class EmulatorProcess : IDisposable
{
    private readonly Process _process;

    private EmulatorProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public int Pid => _process.Id;

    /// <summary>CPU time the emulator process has used so far.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Sets the faults the emulator injects from now on (its <c>POST /emulator/faults</c>), e.g. <c>new { latencyMs = 100 }</c>.</summary>
    public async Task SetFaultsAsync(object faults)
    {
        using var admin = new HttpClient { BaseAddress = new Uri(Url) };
        using var response = await admin.PostAsJsonAsync("emulator/faults", faults);
        response.EnsureSuccessStatusCode();
    }

    public static EmulatorProcess Start(params string[] options)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "feedsync-emulator.dll");
        var process = Process.Start(new ProcessStartInfo("dotnet", [dll, "--port", "0", .. options]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("could not start the emulator");
        const string Prefix = "Merchant API emulator listening on ";
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the emulator exited before listening");
        return new EmulatorProcess(process, line.StartsWith(Prefix, StringComparison.Ordinal) ? line[Prefix.Length..] : throw new InvalidOperationException(line));
    }

    public void Dispose()
    {
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}
