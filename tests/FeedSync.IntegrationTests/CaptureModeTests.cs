using FeedSync.IntegrationTests.Infrastructure;
using Npgsql;

namespace FeedSync.IntegrationTests;

/// <summary>Both capture modes turn every kind of catalog change into the right pending product keys.</summary>
public sealed class CaptureModeTests
{
    private static async Task<(FeedSyncHarness FeedSync, CaptureHost Capture)> StartAsync(string mode, int variants = 30)
    {
        var feedSync = await FeedSyncHarness.CreateAsync(variants, new Dictionary<string, string?>
        {
            ["FeedSync:Capture:Mode"] = mode,
            ["FeedSync:Capture:PollInterval"] = "00:00:00.200",
        });
        var capture = await CaptureHost.StartAsync(feedSync);
        await capture.WaitForInitialLoadAndClearAsync();
        return (feedSync, capture);
    }

    private static async Task<List<long>> VariantIdsAsync(FeedSyncHarness feedSync, int count)
    {
        var ids = new List<long>();
        await using var connection = new NpgsqlConnection(feedSync.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM catalog.variants ORDER BY id LIMIT @n", connection);
        command.Parameters.AddWithValue("n", count);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    [Theory]
    [InlineData("LogicalReplication")]
    [InlineData("Trigger")]
    public async Task InsertUpdateAndDelete_EachMarkExactlyTheirProductsPending(string mode)
    {
        var (feedSync, capture) = await StartAsync(mode);
        await using var _ = feedSync;
        await using var __ = capture;
        var ids = await VariantIdsAsync(feedSync, 3);

        var inserted = await feedSync.Database.ScalarAsync<long>(
            "INSERT INTO catalog.variants (product_id, sku) SELECT product_id, 'CAPTURE-NEW' FROM catalog.variants WHERE id = @id RETURNING id", ("id", ids[0]));
        await feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id = @id", ("id", ids[1]));
        await feedSync.Database.ExecuteAsync("DELETE FROM catalog.stock WHERE variant_id = @id", ("id", ids[2]));

        string[] expected = [inserted.ToString(), ids[1].ToString(), ids[2].ToString()];
        var pending = await capture.WaitForPendingAsync(expected);
        Assert.Equal(expected.Order(), pending.Order());
    }

    [Theory]
    [InlineData("LogicalReplication")]
    [InlineData("Trigger")]
    public async Task AnUpdateThatMovesARowToAnotherKey_MarksTheOldAndTheNewProductPending(string mode)
    {
        var (feedSync, capture) = await StartAsync(mode);
        await using var _ = feedSync;
        await using var __ = capture;
        var from = (await VariantIdsAsync(feedSync, 1))[0];
        var to = await feedSync.Database.ScalarAsync<long>(
            "INSERT INTO catalog.variants (product_id, sku) SELECT product_id, 'CAPTURE-MOVE' FROM catalog.variants WHERE id = @id RETURNING id", ("id", from));
        await capture.WaitForPendingAsync([to.ToString()]);
        await feedSync.Database.ExecuteAsync("DELETE FROM feedsync.pending");

        await feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET variant_id = @to WHERE variant_id = @from AND market = 'US'", ("to", to), ("from", from));

        string[] expected = [from.ToString(), to.ToString()];
        var pending = await capture.WaitForPendingAsync(expected);
        Assert.Equal(expected.Order(), pending.Order());
    }

    [Fact]
    public async Task LogicalMode_WithReplicaIdentityFull_UpdatesAndDeletesMarkExactlyTheirProductsPending()
    {
        var (feedSync, capture) = await StartAsync("LogicalReplication");
        await using var _ = feedSync;
        await using var __ = capture;
        var ids = await VariantIdsAsync(feedSync, 2);

        // FULL sends the whole old row with every update and delete (FullUpdateMessage, FullDeleteMessage) instead of the key alone.
        await feedSync.Database.ExecuteAsync("ALTER TABLE catalog.prices REPLICA IDENTITY FULL");
        await feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id = @id", ("id", ids[0]));
        await feedSync.Database.ExecuteAsync("DELETE FROM catalog.prices WHERE variant_id = @id", ("id", ids[1]));

        string[] expected = [ids[0].ToString(), ids[1].ToString()];
        var pending = await capture.WaitForPendingAsync(expected);
        Assert.Equal(expected.Order(), pending.Order());
    }

    [Theory]
    [InlineData("LogicalReplication")]
    [InlineData("Trigger")]
    public async Task OneTransactionOverSeveralTables_MarksEveryTouchedProductPending(string mode)
    {
        var (feedSync, capture) = await StartAsync(mode);
        await using var _ = feedSync;
        await using var __ = capture;
        var ids = await VariantIdsAsync(feedSync, 4);
        var siblings = new List<string>();
        await using (var connection = new NpgsqlConnection(feedSync.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand($"UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id IN ({ids[0]}, {ids[1]})"),
                    new NpgsqlBatchCommand($"UPDATE catalog.stock SET quantity = quantity + 1 WHERE variant_id = {ids[2]}"),
                    // Through a key query: a product's title change makes all its variants dirty.
                    new NpgsqlBatchCommand($"UPDATE catalog.products SET title = title || ' (new)' WHERE id = (SELECT product_id FROM catalog.variants WHERE id = {ids[3]})"),
                },
            };
            await batch.ExecuteNonQueryAsync();
            await using var read = new NpgsqlCommand($"SELECT id FROM catalog.variants WHERE product_id = (SELECT product_id FROM catalog.variants WHERE id = {ids[3]})", connection, transaction);
            await using (var reader = await read.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    siblings.Add(reader.GetInt64(0).ToString());
                }
            }

            await transaction.CommitAsync();
        }

        string[] expected = [ids[0].ToString(), ids[1].ToString(), ids[2].ToString(), .. siblings];
        var pending = await capture.WaitForPendingAsync(expected);
        Assert.Equal(expected.Distinct().Order(), pending.Order());
    }

    [Theory]
    [InlineData("LogicalReplication")]
    [InlineData("Trigger")]
    public async Task ATransactionTouching10000Rows_MarksAll10000ProductsPending(string mode)
    {
        var (feedSync, capture) = await StartAsync(mode, variants: 10);
        await using var _ = feedSync;
        await using var __ = capture;

        await feedSync.Database.ExecuteAsync("""
            INSERT INTO catalog.variants (product_id, sku)
            SELECT (SELECT min(id) FROM catalog.products), 'BULK-' || g FROM generate_series(1, 10000) g
            """);

        var expected = new List<string>();
        await using (var connection = new NpgsqlConnection(feedSync.Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT id FROM catalog.variants WHERE sku LIKE 'BULK-%'", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                expected.Add(reader.GetInt64(0).ToString());
            }
        }

        Assert.Equal(10_000, expected.Count);
        var pending = await capture.WaitForPendingAsync(expected, TimeSpan.FromSeconds(120));
        Assert.Equal(expected.Order(), pending.Order());
    }

    [Theory]
    [InlineData("LogicalReplication")]
    [InlineData("Trigger")]
    public async Task TruncatingATrackedTable_MarksEveryProductPending(string mode)
    {
        var (feedSync, capture) = await StartAsync(mode);
        await using var _ = feedSync;
        await using var __ = capture;
        var all = (await VariantIdsAsync(feedSync, 1_000)).Select(id => id.ToString()).ToList();

        await feedSync.Database.ExecuteAsync("TRUNCATE catalog.promotion_products");

        var pending = await capture.WaitForPendingAsync(all);
        Assert.True(pending.IsSupersetOf(all));
    }

    [Theory]
    [InlineData("LogicalReplication")]
    [InlineData("Trigger")]
    public async Task RecordingACapturedChange_CommitsSynchronously_ThoughTheStateDatabaseDefaultsToAsynchronousCommit(string mode)
    {
        var (feedSync, capture) = await StartAsync(mode);
        await using var _ = feedSync;
        await using var __ = capture;
        // The test cluster runs with synchronous_commit = off (scripts/pg.sh); a trigger notes the setting in force
        // in each transaction that records pending keys.
        await feedSync.Database.ExecuteAsync("""
            CREATE TABLE public.recording_commit_modes (setting text NOT NULL);
            CREATE FUNCTION public.note_commit_mode() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO public.recording_commit_modes VALUES (current_setting('synchronous_commit'));
                RETURN NULL;
            END $$;
            CREATE TRIGGER note_commit_mode AFTER INSERT ON feedsync.pending FOR EACH STATEMENT EXECUTE FUNCTION public.note_commit_mode();
            """);
        Assert.Equal("off", await feedSync.Database.ScalarAsync<string>("SHOW synchronous_commit"));
        var id = (await VariantIdsAsync(feedSync, 1))[0];

        await feedSync.Database.ExecuteAsync("UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id = @id", ("id", id));

        await capture.WaitForPendingAsync([id.ToString()]);
        Assert.Equal(["on"], (await feedSync.Database.ScalarAsync<string>("SELECT string_agg(DISTINCT setting, ',') FROM public.recording_commit_modes")).Split(','));
    }

    [Fact]
    public async Task TriggerMode_ALongTransactionThatCommitsAfterALaterOne_IsStillCaptured_AndTheLogIsPruned()
    {
        var (feedSync, capture) = await StartAsync("Trigger");
        await using var _ = feedSync;
        await using var __ = capture;
        var ids = await VariantIdsAsync(feedSync, 2);

        await using var early = new NpgsqlConnection(feedSync.Database.ConnectionString);
        await early.OpenAsync();
        await using var longTransaction = await early.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand($"UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id = {ids[0]}", early, longTransaction))
        {
            await update.ExecuteNonQueryAsync();
        }

        // A later transaction (higher xid and seq) commits first.
        await feedSync.Database.ExecuteAsync($"UPDATE catalog.prices SET amount = amount + 1 WHERE variant_id = {ids[1]}");

        // Give the poller several rounds in which a sequence-number cursor would move past the open transaction's row.
        await Task.Delay(TimeSpan.FromSeconds(1));
        await longTransaction.CommitAsync();

        string[] expected = [ids[0].ToString(), ids[1].ToString()];
        var pending = await capture.WaitForPendingAsync(expected);
        Assert.Equal(expected.Order(), pending.Order());
        await Wait.UntilAsync(
            async () => await feedSync.Database.ScalarAsync<long>("SELECT count(*) FROM feedsync_capture.change_log") == 0,
            TimeSpan.FromSeconds(30),
            "recorded change-log rows are pruned");
    }

    [Fact]
    public async Task TriggerMode_InstalledOnceByTheOwner_RunsAsALeastPrivilegeRole()
    {
        var (feedSync, capture) = await StartAsync("Trigger");
        await using var _ = feedSync;
        await capture.DisposeAsync();
        var role = "trig_" + feedSync.Database.Name;
        // The grants of deploy/catalog-role-trigger.sql.
        await feedSync.Database.ExecuteAsync($"""
            CREATE ROLE {role} LOGIN;
            GRANT USAGE ON SCHEMA catalog TO {role};
            GRANT SELECT ON ALL TABLES IN SCHEMA catalog TO {role};
            GRANT USAGE ON SCHEMA feedsync_capture TO {role};
            GRANT SELECT, DELETE ON feedsync_capture.change_log TO {role};
            """);
        try
        {
            var limited = new NpgsqlConnectionStringBuilder(feedSync.Database.ConnectionString) { Username = role }.ConnectionString;
            await using var limitedCapture = await CaptureHost.StartAsync(feedSync, new Dictionary<string, string?> { ["FeedSync:Catalog:ConnectionString"] = limited });
            var id = (await VariantIdsAsync(feedSync, 1))[0].ToString();

            await feedSync.Database.ExecuteAsync($"UPDATE catalog.stock SET quantity = quantity + 1 WHERE variant_id = {id}");

            var pending = await limitedCapture.WaitForPendingAsync([id]);
            Assert.Equal([id], pending);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await feedSync.Database.ExecuteAsync($"DROP OWNED BY {role}; DROP ROLE {role}");
        }
    }

    [Fact]
    public async Task TriggerMode_APositionAheadOfTheCatalogsTransactionCounter_ResyncsEverything()
    {
        var (feedSync, capture) = await StartAsync("Trigger");
        await using var _ = feedSync;
        await capture.DisposeAsync();
        var all = (await VariantIdsAsync(feedSync, 1_000)).Select(id => id.ToString()).ToList();
        // As after restoring the catalog into a new cluster: the recorded position is beyond any xid the server has handed out.
        await feedSync.Database.ExecuteAsync("UPDATE feedsync.capture_cursor SET xid = 1000000000000");

        await using var restarted = await CaptureHost.StartAsync(feedSync);

        var pending = await restarted.WaitForPendingAsync(all);
        Assert.True(pending.IsSupersetOf(all));
        var id = all[0];
        await feedSync.Database.ExecuteAsync("DELETE FROM feedsync.pending");
        await feedSync.Database.ExecuteAsync($"UPDATE catalog.stock SET quantity = quantity + 1 WHERE variant_id = {id}");
        Assert.Equal([id], await restarted.WaitForPendingAsync([id]));
    }
}
