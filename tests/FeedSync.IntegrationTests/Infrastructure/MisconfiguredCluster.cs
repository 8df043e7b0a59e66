using System.Diagnostics;

namespace FeedSync.IntegrationTests.Infrastructure;

/// <summary>
/// A second throwaway PostgreSQL cluster set up the way operators get it wrong: <c>wal_level = replica</c>, and a
/// pg_hba.conf that lets TCP clients reach only the <c>postgres</c> database (plus the physical <c>replication</c>
/// keyword), so a logical replication connection to any other database is refused. Started once per test class.
/// </summary>
public sealed class MisconfiguredCluster : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "feedsync-misconf-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Admin connection string to the cluster's <c>postgres</c> database.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        if (!OperatingSystem.IsWindows())
        {
            // The server runs as `postgres` when the tests run as root: it must be able to enter the directory.
            File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
        }
        var output = await PgShAsync("start", Path.Combine(_directory, "pg"), "--wal-level", "replica", "--hba-databases", "postgres");
        ConnectionString = output.Trim().Split('\n')[^1];
    }

    public async Task DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await PgShAsync("stop", Path.Combine(_directory, "pg"));
        Directory.Delete(_directory, recursive: true);
    }

    internal static async Task<string> PgShAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "scripts", "pg.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run scripts/pg.sh");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/pg.sh {string.Join(' ', arguments)} failed: {await stderr}");
        }

        return await stdout;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "scripts", "pg.sh")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("scripts/pg.sh not found above " + AppContext.BaseDirectory);
    }
}
