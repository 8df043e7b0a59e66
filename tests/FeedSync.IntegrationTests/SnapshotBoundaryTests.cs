using FeedSync.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace FeedSync.IntegrationTests;

/// <summary>
/// The initial load (every product of the slot's exported snapshot marked dirty) and the change stream meet
/// exactly, even while catalog writers commit throughout slot creation, the load and the first pushes.
/// </summary>
public sealed class SnapshotBoundaryTests(ITestOutputHelper output)
{
    private const int Writers = 3;

    [Fact]
    public async Task ChangesCommittedDuringTheInitialSnapshotLoad_AreNeitherMissedNorUndone()
    {
        await using var feedSync = await FeedSyncHarness.CreateAsync(150);
        var variants = new List<long>();
        await using (var connection = new NpgsqlConnection(feedSync.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT variant_id FROM catalog.prices WHERE market = 'US' ORDER BY variant_id", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                variants.Add(reader.GetInt64(0));
            }
        }

        using var stop = new CancellationTokenSource();
        var loaded = 0;
        var before = new int[Writers];
        var after = new int[Writers];

        // Each writer owns every Writers-th variant and only raises its prices, so a product's pushed price may skip values but never go back.
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(feedSync.Database.ConnectionString);
            await connection.OpenAsync();
            await using var update = new NpgsqlCommand("UPDATE catalog.prices SET amount = @amount WHERE variant_id = @variant AND market = 'US'", connection);
            var amount = update.Parameters.Add(new NpgsqlParameter("amount", NpgsqlTypes.NpgsqlDbType.Numeric));
            var variant = update.Parameters.Add(new NpgsqlParameter("variant", NpgsqlTypes.NpgsqlDbType.Bigint));
            var mine = variants.Where((_, i) => i % Writers == w).ToList();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                amount.Value = 2000m + (i * 0.01m);
                variant.Value = mine[i % mine.Count];
                await update.ExecuteNonQueryAsync();
                if (Volatile.Read(ref loaded) == 0)
                {
                    before[w]++;
                }
                else if (++after[w] >= 150)
                {
                    return;
                }
            }
        })).ToList();

        // Writers are committing before FeedSync creates its slot, and keep committing through the load and after it.
        await Wait.UntilAsync(() => before.Sum() >= 50, TimeSpan.FromSeconds(30), "the writers commit");
        await feedSync.StartAsync();
        await Wait.UntilAsync(
            async () => await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.capture_checkpoint") > 0,
            TimeSpan.FromSeconds(90),
            "the initial load is recorded");
        Volatile.Write(ref loaded, 1);
        await Task.WhenAll(writers);
        output.WriteLine($"commits before the load was recorded: {before.Sum()}, after: {after.Sum()}");

        await feedSync.WaitUntilInStepAsync(TimeSpan.FromSeconds(120));

        Assert.Empty(await feedSync.DifferencesAsync());
        Assert.True(after.Sum() >= Writers * 150);
        var wentBack = await PricesThatWentBackAsync(feedSync);
        Assert.True(wentBack.Count == 0, "pushed prices went back to an older value: " + string.Join("; ", wentBack.Take(5)));
    }

    /// <summary>Products whose successive pushed US prices decrease: an older change applied after a newer one.</summary>
    private static async Task<List<string>> PricesThatWentBackAsync(FeedSyncHarness feedSync)
    {
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        var wentBack = new List<string>();
        await using var connection = new NpgsqlConnection(feedSync.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT product_key, (request -> 'productAttributes' -> 'price' ->> 'amountMicros')::bigint
            FROM feedsync.push_log
            WHERE outcome = 'Success' AND feed_label = 'US' AND request -> 'productAttributes' -> 'price' ->> 'amountMicros' IS NOT NULL
            ORDER BY id
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var key = reader.GetString(0);
            var micros = reader.GetInt64(1);
            if (last.TryGetValue(key, out var previous) && micros < previous)
            {
                wentBack.Add($"{key}: {previous} then {micros}");
            }

            last[key] = micros;
        }

        return wentBack;
    }
}
