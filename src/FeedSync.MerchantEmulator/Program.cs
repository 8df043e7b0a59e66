using System.Globalization;
using System.Runtime.InteropServices;
using FeedSync.MerchantEmulator;

// feedsync-emulator [--port N]: serves the Merchant API emulator until SIGINT or SIGTERM.
var port = 8089;
for (var i = 0; i < args.Length; i++)
{
    var value = args[i] switch
    {
        "--port" when i + 1 < args.Length => args[++i],
        var a when a.StartsWith("--port=", StringComparison.Ordinal) => a["--port=".Length..],
        _ => null,
    };
    if (value is null || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
    {
        Console.Error.WriteLine("usage: feedsync-emulator [--port N]   (default 8089; 0 picks a free port)");
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
Console.WriteLine($"Merchant API emulator listening on {emulator.Url}");
await stop.Task;
return 0;
