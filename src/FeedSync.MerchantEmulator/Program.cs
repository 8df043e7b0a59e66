using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using FeedSync.MerchantEmulator;

// feedsync-emulator [--port N] [--require-auth] [--count-only]: serves the Merchant API emulator until SIGINT or SIGTERM.
// --count-only counts calls (GET /emulator/stats) without keeping every request body, for long benchmarks.
// Faults (429/500/503 shares, latency, timeouts) are set at run time: POST /emulator/faults.
// The emulator keeps every product's input as text: ~0.5 GB at 100,000 products, rewritten on every patch. A blocking
// gen2 collection of that heap stalled every call for ~0.5 s, which the end-to-end benchmark counted as FeedSync's
// latency (docs/benchmarks.md); Google has no such pause to stand in for. This mode asks for background gen2
// collections only (blocking ones only under memory pressure).
GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;

var port = 8089;
var requireAuth = false;
var countOnly = false;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--require-auth")
    {
        requireAuth = true;
        continue;
    }

    if (args[i] == "--count-only")
    {
        countOnly = true;
        continue;
    }

    var value = args[i] switch
    {
        "--port" when i + 1 < args.Length => args[++i],
        var a when a.StartsWith("--port=", StringComparison.Ordinal) => a["--port=".Length..],
        _ => null,
    };
    if (value is null || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
    {
        Console.Error.WriteLine("usage: feedsync-emulator [--port N] [--require-auth] [--count-only]   (default 8089; 0 picks a free port; --require-auth answers 401 without a bearer token; --count-only keeps no request bodies)");
        return 2;
    }
}

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true; // We shut down ourselves, after disposing the server.
    stop.TrySetResult();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
MerchantEmulator emulator;
try
{
    emulator = MerchantEmulator.Start(port);
}
catch (Exception ex)
{
    // Usually the port is taken; say so in one line instead of a stack trace.
    Console.Error.WriteLine($"feedsync-emulator: cannot listen on 127.0.0.1:{port}: {ex.GetBaseException().Message}");
    return 1;
}

using var running = emulator;
emulator.RequireBearerToken = requireAuth;
emulator.KeepRequests = !countOnly;
Console.WriteLine($"Merchant API emulator listening on {emulator.Url}");
await stop.Task;
return 0;
