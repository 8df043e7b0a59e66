using System.Collections.Concurrent;
using System.Diagnostics;
using FeedSync.Demo;

namespace FeedSync.IntegrationTests.Infrastructure;

/// <summary>
/// A real <c>feedsync run</c> child process for a harness's database and emulator, configured through
/// <c>FeedSync__…</c> environment variables, so a test can kill it with SIGKILL like an operator's crash.
/// </summary>
internal sealed class FeedSyncProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private FeedSyncProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    /// <summary>Also this process's catalog <c>application_name</c>, so a test can see which instance holds the capture lock.</summary>
    public string Name { get; }

    public bool HasExited => _process.HasExited;

    public static FeedSyncProcess Start(FeedSyncHarness feedSync, string name)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "feedsync.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "run", "--config", DemoCatalog.ConfigFile },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (key, value) in feedSync.Settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["FeedSync__Catalog__ConnectionString"] =
            new Npgsql.NpgsqlConnectionStringBuilder(feedSync.Database.ConnectionString) { ApplicationName = name }.ConnectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start feedsync.");
        var child = new FeedSyncProcess(process, name);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The first kept line the process wrote that contains <paramref name="text"/>, or null.</summary>
    public string? LineContaining(string text) => _output.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string Tail => string.Join(Environment.NewLine, _output.TakeLast(20));

    /// <summary>SIGKILL: no shutdown code runs, connections just drop.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
