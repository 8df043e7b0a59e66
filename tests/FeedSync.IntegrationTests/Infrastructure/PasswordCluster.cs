using Npgsql;

namespace FeedSync.IntegrationTests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster that asks TCP clients for a password (scram-sha-256), as production servers do;
/// the shared test cluster trusts every local connection, so it cannot show what a password-less connection string does.
/// Started once per test class.
/// </summary>
public sealed class PasswordCluster : IAsyncLifetime
{
    public const string Password = "correct horse battery staple";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "feedsync-password-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Admin connection string (with the password) to the cluster's <c>postgres</c> database.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        if (!OperatingSystem.IsWindows())
        {
            // The server runs as `postgres` when the tests run as root: it must be able to enter the directory.
            File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
        }

        var data = Path.Combine(_directory, "pg");
        var trusted = (await MisconfiguredCluster.PgShAsync("start", data)).Trim().Split('\n')[^1];
        await using (var connection = new NpgsqlConnection(trusted))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"ALTER ROLE postgres PASSWORD '{Password}'", connection);
            await command.ExecuteNonQueryAsync();

            // Overwriting keeps the file's owner and mode; the reload makes every new TCP connection authenticate.
            await File.WriteAllTextAsync(Path.Combine(data, "data", "pg_hba.conf"), """
                local all         all                trust
                local replication all                trust
                host  all         all   127.0.0.1/32 scram-sha-256
                host  replication all   127.0.0.1/32 scram-sha-256

                """);
            await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection);
            await reload.ExecuteNonQueryAsync();
        }

        NpgsqlConnection.ClearAllPools();
        ConnectionString = new NpgsqlConnectionStringBuilder(trusted) { Password = Password }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await MisconfiguredCluster.PgShAsync("stop", Path.Combine(_directory, "pg"));
        Directory.Delete(_directory, recursive: true);
    }
}
