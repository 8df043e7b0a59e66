using FeedSync.Freshness;
using FeedSync.Hosting;
using Microsoft.Extensions.Options;

namespace FeedSync.Dashboard;

/// <summary>One row of <c>feedsync.update_budget</c> (one destination of a product) as the dashboard shows it: cosmetic pushes used in the rolling 24 h and what waits.</summary>
internal sealed record BudgetUse(
    string Scope,
    int CosmeticPushesLastDay,
    int CosmeticPushesPerDay,
    long CriticalPushes,
    DateTimeOffset? LastCriticalAt,
    DateTimeOffset? DeferredSince,
    DateTimeOffset? DeferredUntil,
    string? DeferredChanges);

/// <summary>Destinations whose cosmetic change waits for the update budget, and when the next one flushes.</summary>
internal sealed record BudgetDeferrals(long Deferred, DateTimeOffset? NextFlush, DateTimeOffset? OldestDeferredSince);

/// <summary>
/// The only reader of <c>feedsync.update_budget</c> outside the freshness gate, so a change of the table's key is
/// one edit here. The budget is per destination (offer id, content language, feed label): <see cref="BudgetUse.Scope"/>
/// names it as <c>offer lang~label</c>.
/// "Now" is FeedSync's clock, the same one the gate spends the budget with.
/// </summary>
internal sealed class UpdateBudgetQueries(Databases databases, IOptions<FreshnessOptions> options, TimeProvider time)
{
    public async Task<IReadOnlyList<BudgetUse>> ForProductAsync(string productKey, CancellationToken cancellationToken)
    {
        await using var command = databases.State.CreateCommand("""
            SELECT offer_id || ' ' || content_language || '~' || feed_label,
                   (SELECT count(*) FROM unnest(cosmetic_pushes) AS t WHERE t > @now - interval '1 day')::int,
                   critical_pushes, last_critical_at, deferred_since, deferred_until, deferred_changes
            FROM feedsync.update_budget WHERE product_key = @key ORDER BY 1
            """);
        command.Parameters.AddWithValue("key", productKey);
        command.Parameters.AddWithValue("now", time.GetUtcNow());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<BudgetUse>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new BudgetUse(reader.GetString(0), reader.GetInt32(1), options.Value.CosmeticPushesPerDay, reader.GetInt64(2),
                Nullable(reader, 3), Nullable(reader, 4), Nullable(reader, 5), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return rows;
    }

    /// <summary>From the partial index on <c>deferred_until</c>: only rows that wait are visited.</summary>
    public async Task<BudgetDeferrals> DeferralsAsync(CancellationToken cancellationToken)
    {
        await using var command = databases.State.CreateCommand(
            "SELECT count(*), min(deferred_until), min(deferred_since) FROM feedsync.update_budget WHERE deferred_until IS NOT NULL");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new BudgetDeferrals(reader.GetInt64(0), Nullable(reader, 1), Nullable(reader, 2));
    }

    private static DateTimeOffset? Nullable(Npgsql.NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}
