using System.Diagnostics;
using System.Globalization;
using FeedSync.Capture;
using FeedSync.Demo;
using FeedSync.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Cli;

internal sealed record CaptureBenchReport(string Mode, long RowChanges, int Transactions, TimeSpan Commit, long PendingKeys, TimeSpan Drain)
{
    public double RowsPerSecond => RowChanges / Drain.TotalSeconds;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"""
        capture mode             {Mode}
        row changes              {RowChanges:N0} in {Transactions:N0} transactions, committed in {Commit.TotalSeconds:0.00} s
        products pending         {PendingKeys:N0}
        backlog recorded in      {Drain.TotalSeconds:0.00} s
        capture throughput       {RowsPerSecond:N0} row changes/s
        """);
}

/// <summary>
/// <c>feedsync bench --capture-throughput</c>: capture alone (no pushes). With capture stopped, commits price
/// updates of <c>rowChanges</c> rows in transactions of 1,000 rows, then starts capture and measures how
/// long it takes until every one of them is recorded in <c>feedsync.pending</c> (slot confirmed past the last
/// commit, or the change log drained).
/// </summary>
internal static class CaptureBench
{
    private const int RowsPerTransaction = 1_000;

    public static async Task<CaptureBenchReport> RunAsync(HostSettings host, int products, int rowChanges, TextWriter progress, CancellationToken cancellationToken)
    {
        var overrides = new Dictionary<string, string?>(host.Overrides)
        {
            ["FeedSync:Dashboard:Url"] = "http://127.0.0.1:0",
            ["FeedSync:Capture:HeartbeatInterval"] = "00:00:00.100",
            ["FeedSync:Capture:PollInterval"] = "00:00:00.100",
        };
        host = host with { Overrides = overrides };
        string mode;
        await using (var app = FeedSyncApp.BuildHost(host))
        {
            CliApp.ValidateOptions(app.Services);
            mode = app.Services.GetRequiredService<IOptions<CaptureOptions>>().Value.Mode.ToString();
            var demo = app.Services.GetRequiredService<DemoCatalog>();
            await demo.InstallAsync(cancellationToken);
            await demo.SeedIfEmptyAsync(products, cancellationToken);
            await app.Services.GetRequiredService<StateMigrator>().MigrateAsync(cancellationToken);
            await progress.WriteLineAsync("Initial load…");
            await RunCaptureUntilAsync(app, databases => Scalar<bool>(databases.State, "SELECT EXISTS (SELECT 1 FROM feedsync.capture_checkpoint) OR EXISTS (SELECT 1 FROM feedsync.capture_cursor)"), cancellationToken);
        }

        await using (var app = FeedSyncApp.BuildHost(host))
        {
            var databases = app.Services.GetRequiredService<Databases>();
            await using (var clear = databases.State.CreateCommand("DELETE FROM feedsync.pending"))
            {
                await clear.ExecuteNonQueryAsync(cancellationToken);
            }

            await progress.WriteLineAsync($"Committing {rowChanges:N0} row changes with capture stopped…");
            var commitWatch = Stopwatch.StartNew();
            var (rows, transactions) = await ApplyAsync(databases, rowChanges, cancellationToken);
            var commit = commitWatch.Elapsed;
            var done = mode == nameof(CaptureMode.Trigger)
                ? $"SELECT NOT EXISTS (SELECT 1 FROM {TriggerSetup.Schema}.change_log)"
                : $"SELECT confirmed_flush_lsn >= '{await Scalar<string>(databases.Catalog, "SELECT pg_current_wal_lsn()::text")}'::pg_lsn FROM pg_replication_slots WHERE slot_name = '{app.Services.GetRequiredService<IOptions<CaptureOptions>>().Value.SlotName}'";

            await progress.WriteLineAsync("Recording the backlog…");
            var watch = Stopwatch.StartNew();
            await RunCaptureUntilAsync(app, d => Scalar<bool>(d.Catalog, done), cancellationToken);
            var drain = watch.Elapsed;
            var pending = await Scalar<long>(databases.State, "SELECT count(*) FROM feedsync.pending");
            return new CaptureBenchReport(mode, rows, transactions, commit, pending, drain);
        }
    }

    private static async Task RunCaptureUntilAsync(WebApplication app, Func<Databases, Task<bool>> done, CancellationToken cancellationToken)
    {
        var capture = app.Services.GetServices<IHostedService>().Single(s => s is LogicalReplicationCapture or TriggerCapture);
        await capture.StartAsync(cancellationToken);
        try
        {
            var databases = app.Services.GetRequiredService<Databases>();
            while (!await done(databases))
            {
                await Task.Delay(20, cancellationToken);
            }
        }
        finally
        {
            await capture.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<(long Rows, int Transactions)> ApplyAsync(Databases databases, int rowChanges, CancellationToken cancellationToken)
    {
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        var ids = new List<long>();
        await using (var read = new NpgsqlCommand("SELECT variant_id FROM catalog.prices WHERE market = 'US' ORDER BY variant_id", connection))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
            }
        }

        long rows = 0;
        var transactions = 0;
        await using var update = new NpgsqlCommand("UPDATE catalog.prices SET amount = amount + 0.01 WHERE market = 'US' AND variant_id = ANY(@ids)", connection);
        var parameter = new NpgsqlParameter<long[]>("ids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint) { TypedValue = [] };
        update.Parameters.Add(parameter);
        var offset = 0;
        while (rows < rowChanges)
        {
            parameter.TypedValue = Enumerable.Range(0, Math.Min(RowsPerTransaction, rowChanges - (int)rows)).Select(i => ids[(offset + i) % ids.Count]).Distinct().ToArray();
            offset += parameter.TypedValue!.Length;
            rows += await update.ExecuteNonQueryAsync(cancellationToken);
            transactions++;
        }

        return (rows, transactions);
    }

    private static async Task<T> Scalar<T>(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
