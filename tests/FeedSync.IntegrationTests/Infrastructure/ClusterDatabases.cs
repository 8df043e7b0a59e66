using Npgsql;

namespace FeedSync.IntegrationTests.Infrastructure;

/// <summary>Databases on the extra clusters some tests start (misconfigured, password-protected).</summary>
internal static class ClusterDatabases
{
    /// <summary>Creates <paramref name="name"/> on the cluster and returns a connection string for it.</summary>
    public static async Task<string> CreateAsync(string adminConnectionString, string name)
    {
        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name }.ConnectionString;
    }
}
