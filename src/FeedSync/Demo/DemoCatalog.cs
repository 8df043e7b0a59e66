using System.Diagnostics;
using FeedSync.Hosting;
using Npgsql;

namespace FeedSync.Demo;

/// <summary>
/// The demo retail catalog (products, variants, prices, stock per warehouse, promotions) and its feed view,
/// installed into the catalog database. Used by <c>feedsync demo</c>, the tests and the benchmarks.
/// </summary>
internal sealed partial class DemoCatalog(Databases databases, ILogger<DemoCatalog> logger)
{
    private static readonly string[] Scripts = ["schema.sql", "seed.sql", "changes.sql"];

    /// <summary>The demo's tracked-table configuration, as in <c>config/appsettings.Demo.json</c>.</summary>
    public const string ConfigFile = "appsettings.Demo.json";

    public async Task InstallAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        foreach (var script in Scripts)
        {
            await using var command = new NpgsqlCommand(StateMigrator.ReadResource($"FeedSync.Demo.Sql.{script}"), connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Seeds <paramref name="variants"/> products (variants) if the catalog is empty; returns how many exist afterwards.</summary>
    public async Task<long> SeedIfEmptyAsync(int variants, CancellationToken cancellationToken)
    {
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM catalog.variants", connection))
        {
            var existing = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            if (existing > 0)
            {
                LogAlreadySeeded(existing);
                return existing;
            }
        }

        var stopwatch = Stopwatch.StartNew();
        await using var seed = new NpgsqlCommand("SELECT catalog.seed(@n)", connection) { CommandTimeout = 0 };
        seed.Parameters.AddWithValue("n", variants);
        var created = Convert.ToInt64(await seed.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        LogSeeded(created, stopwatch.Elapsed.TotalSeconds);
        return created;
    }

    /// <summary>Applies <paramref name="changes"/> random realistic catalog changes in one transaction.</summary>
    public async Task<int> ApplyRandomChangesAsync(int changes, CancellationToken cancellationToken)
    {
        await using var command = databases.Catalog.CreateCommand("SELECT catalog.random_changes(@n)");
        command.Parameters.AddWithValue("n", changes);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo catalog already holds {Variants} variants; not seeding")]
    private partial void LogAlreadySeeded(long variants);

    [LoggerMessage(Level = LogLevel.Information, Message = "Seeded the demo catalog with {Variants} variants in {Seconds:0.0} s")]
    private partial void LogSeeded(long variants, double seconds);
}
