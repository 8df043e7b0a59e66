using System.Reflection;
using Npgsql;

namespace FeedSync.Hosting;

/// <summary>
/// Applies the numbered scripts in <c>Hosting/Schema</c> to FeedSync's state database, each once, in order.
/// An advisory lock keeps several instances starting together from racing.
/// </summary>
internal sealed partial class StateMigrator(Databases databases, ILogger<StateMigrator> logger)
{
    private const long MigrationLock = 0x46_53_4D_49_47; // "FSMIG"

    public Task MigrateAsync(CancellationToken cancellationToken) => MigrateAsync(int.MaxValue, cancellationToken);

    /// <summary>Applies the scripts up to <paramref name="upTo"/> (tests use it to build a database as an older release left it).</summary>
    internal async Task MigrateAsync(int upTo, CancellationToken cancellationToken)
    {
        await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
        await Execute(connection, $"SELECT pg_advisory_lock({MigrationLock})", cancellationToken);
        try
        {
            await Execute(connection, """
                CREATE SCHEMA IF NOT EXISTS feedsync;
                CREATE TABLE IF NOT EXISTS feedsync.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
                """, cancellationToken);
            await using var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM feedsync.schema_version", connection);
            var current = (int)(await read.ExecuteScalarAsync(cancellationToken))!;

            foreach (var (version, name) in Scripts().Where(s => s.Version > current && s.Version <= upTo))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await Execute(connection, ReadResource(name), cancellationToken);
                await Execute(connection, $"INSERT INTO feedsync.schema_version (version) VALUES ({version})", cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                LogApplied(version, name);
            }
        }
        finally
        {
            await Execute(connection, $"SELECT pg_advisory_unlock({MigrationLock})", CancellationToken.None);
        }
    }

    private static IEnumerable<(int Version, string Name)> Scripts() =>
        Assembly.GetExecutingAssembly().GetManifestResourceNames()
            .Where(n => n.Contains(".Hosting.Schema.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Version: int.Parse(n.Split(".Hosting.Schema.")[1].Split('_')[0].TrimStart('_'), System.Globalization.CultureInfo.InvariantCulture), Name: n))
            .OrderBy(s => s.Version);

    internal static string ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied state schema migration {Version} ({Script})")]
    private partial void LogApplied(int version, string script);
}
