using Npgsql;

namespace FeedSync.Hosting;

/// <summary>The two databases FeedSync talks to. They may be the same database.</summary>
/// <param name="catalogConnectionString">The catalog's full connection string (null: the data source's).</param>
internal sealed class Databases(NpgsqlDataSource catalog, NpgsqlDataSource state, string? catalogConnectionString = null) : IAsyncDisposable
{
    /// <summary>The retailer's catalog: FeedSync only reads it (and replicates from it).</summary>
    public NpgsqlDataSource Catalog { get; } = catalog;

    /// <summary>
    /// For replication connections, which a data source cannot open. A data source's own ConnectionString leaves the
    /// password out, so a replication connection built from it fails wherever pg_hba asks for a password. Never log it.
    /// </summary>
    public string CatalogConnectionString { get; } = catalogConnectionString ?? catalog.ConnectionString;

    /// <summary>FeedSync's own schema and Hangfire's.</summary>
    public NpgsqlDataSource State { get; } = state;

    public async ValueTask DisposeAsync()
    {
        await Catalog.DisposeAsync();
        await State.DisposeAsync();
    }
}
