using FeedSync.Hosting;
using Microsoft.Extensions.Options;

namespace FeedSync.Freshness;

/// <summary>
/// Google expires a product 30 days after its last full insert (a patch does not count). This re-inserts every
/// product whose last insert is older than <see cref="FreshnessOptions.ExpiryRefreshAge"/>: it marks it with
/// <see cref="Diff.ForceReason.ExpiryRefresh"/> (so the next push is a full insert whatever else happened; a mark
/// already there, e.g. a write in doubt, is kept) and gives each product a refresh
/// boundary spread evenly over <see cref="FreshnessOptions.ExpiryRefreshSpread"/>, oldest first. It runs in the
/// database, so memory does not grow with the catalog, and it is idempotent: a product already waiting for its
/// refresh slot is not scheduled twice.
/// </summary>
internal sealed partial class ExpiryRefresh(
    Databases databases,
    BoundaryScheduler scheduler,
    TimeProvider time,
    IOptions<FreshnessOptions> options,
    ILogger<ExpiryRefresh> logger)
{
    public async Task<long> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = new Npgsql.NpgsqlCommand("""
            WITH stale AS (
                SELECT product_key, min(last_insert_at) AS oldest FROM feedsync.last_pushed
                WHERE last_insert_at < @threshold
                  AND NOT EXISTS (SELECT 1 FROM feedsync.boundaries b WHERE b.product_key = last_pushed.product_key AND b.kind = 'refresh')
                GROUP BY product_key),
            numbered AS (
                SELECT product_key, row_number() OVER (ORDER BY oldest, product_key) - 1 AS n, count(*) OVER () AS total FROM stale),
            scheduled AS (
                INSERT INTO feedsync.boundaries (product_key, at, kind)
                SELECT product_key, @now + @spread * (n::float8 / total), 'refresh' FROM numbered
                ON CONFLICT (product_key, at) DO UPDATE SET kind = 'refresh'
                RETURNING product_key),
            forced AS (
                UPDATE feedsync.last_pushed lp
                SET force_reason = coalesce(lp.force_reason, 'expiry_refresh'), forced_at = coalesce(lp.forced_at, now())
                FROM scheduled s WHERE lp.product_key = s.product_key AND lp.last_insert_at < @threshold
                RETURNING 1)
            SELECT (SELECT count(*) FROM scheduled), (SELECT count(*) FROM forced)
            """, connection, transaction);
        command.Parameters.AddWithValue("threshold", now - options.Value.ExpiryRefreshAge);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("spread", options.Value.ExpiryRefreshSpread);
        long products, destinations;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            products = reader.GetInt64(0);
            destinations = reader.GetInt64(1);
        }

        await transaction.CommitAsync(cancellationToken);
        scheduler.Signal();
        LogScheduled(products, destinations, options.Value.ExpiryRefreshSpread);
        return products;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Expiry refresh: {Products} products ({Destinations} destinations) re-inserted over the next {Spread}")]
    private partial void LogScheduled(long products, long destinations, TimeSpan spread);
}
