using Npgsql;

namespace FeedSync.Hosting;

/// <summary>The two databases FeedSync talks to. They may be the same database.</summary>
internal sealed class Databases(NpgsqlDataSource catalog, NpgsqlDataSource state) : IAsyncDisposable
{
    /// <summary>The retailer's catalog: FeedSync only reads it (and replicates from it).</summary>
    public NpgsqlDataSource Catalog { get; } = catalog;

    /// <summary>FeedSync's own schema and Hangfire's.</summary>
    public NpgsqlDataSource State { get; } = state;

    public async ValueTask DisposeAsync()
    {
        await Catalog.DisposeAsync();
        await State.DisposeAsync();
    }
}
