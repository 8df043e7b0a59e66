using System.Text.Json.Nodes;
using FeedSync.Catalog;
using FeedSync.Demo;
using FeedSync.Hosting;
using FeedSync.MerchantEmulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FeedSync.IntegrationTests.Infrastructure;

/// <summary>
/// Real parts for one test: its own PostgreSQL database with the demo catalog, the Merchant API emulator, and
/// FeedSync itself built exactly as <c>feedsync run</c> builds it (capture, Hangfire on PostgreSQL, push jobs).
/// </summary>
internal sealed class FeedSyncHarness : IAsyncDisposable
{
    public const string AccountId = "1234567";
    public const string DataSourceId = "7654321";

    /// <summary>Dashboard users every harness configures (outside Development FeedSync refuses an anonymous dashboard).</summary>
    public const string OperatorName = "olivia";
    public const string ViewerName = "victor";
    public const string Password = "correct horse battery";
    private static readonly Lazy<string> PasswordHash = new(() => FeedSync.Dashboard.PasswordHashing.Hash(Password));

    private readonly Dictionary<string, string?> _overrides;
    private WebApplication? _app;

    private FeedSyncHarness(TestDatabase database, MerchantEmulator.MerchantEmulator emulator, Dictionary<string, string?> overrides)
    {
        Database = database;
        Emulator = emulator;
        _overrides = overrides;
    }

    public TestDatabase Database { get; }

    public MerchantEmulator.MerchantEmulator Emulator { get; }

    /// <summary>The configuration this test's FeedSync runs with (CLI tests write it to a --config file; child processes get it as environment).</summary>
    public IReadOnlyDictionary<string, string?> Settings => _overrides;

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("FeedSync is not running.");

    /// <summary>The dashboard's base address, e.g. <c>http://127.0.0.1:41234</c>, once started.</summary>
    public string BaseUrl => _app?.Urls.First() ?? throw new InvalidOperationException("FeedSync is not running.");

    /// <summary>A database with the demo catalog seeded with <paramref name="variants"/> variants; FeedSync not started yet.</summary>
    public static async Task<FeedSyncHarness> CreateAsync(int variants = 40, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var database = await TestDatabase.CreateAsync();
        var emulator = MerchantEmulator.MerchantEmulator.Start();
        emulator.PutDataSource(AccountId, DataSourceId, new JsonObject { ["displayName"] = "FeedSync", ["primaryProductDataSource"] = new JsonObject() });
        var overrides = new Dictionary<string, string?>
        {
            ["FeedSync:Catalog:ConnectionString"] = database.ConnectionString,
            ["FeedSync:State:ConnectionString"] = database.ConnectionString,
            ["FeedSync:MerchantCenter:Endpoint"] = emulator.Url,
            ["FeedSync:MerchantCenter:AccountId"] = AccountId,
            ["FeedSync:MerchantCenter:DataSourceId"] = DataSourceId,
            ["FeedSync:Capture:SlotName"] = database.Name,
            ["FeedSync:Dashboard:Url"] = "http://127.0.0.1:0",
            ["Serilog:MinimumLevel:Default"] = "Warning",
            ["FeedSync:Dashboard:Users:0:Name"] = OperatorName,
            ["FeedSync:Dashboard:Users:0:PasswordHash"] = PasswordHash.Value,
            ["FeedSync:Dashboard:Users:0:Role"] = "operator",
            ["FeedSync:Dashboard:Users:1:Name"] = ViewerName,
            ["FeedSync:Dashboard:Users:1:PasswordHash"] = PasswordHash.Value,
            ["FeedSync:Dashboard:Users:1:Role"] = "viewer",
            ["FeedSync:StatusPull:Enabled"] = "false",

            // Tests of other behaviour expect every change at Google at once; the budget tests turn it back on.
            ["FeedSync:Freshness:CosmeticPushesPerDay"] = "0",

            // A pusher killed mid-push leaves its write lease behind; tests that kill processes should not wait minutes.
            ["FeedSync:Push:WriteLease"] = "00:00:30",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var harness = new FeedSyncHarness(database, emulator, overrides);
        await using (var setup = harness.Build())
        {
            var demo = setup.Services.GetRequiredService<DemoCatalog>();
            await demo.InstallAsync(CancellationToken.None);
            if (variants > 0)
            {
                await demo.SeedIfEmptyAsync(variants, CancellationToken.None);
            }
        }

        return harness;
    }

    /// <summary>The clock FeedSync runs on from the next start (a FakeTimeProvider in freshness tests).</summary>
    public TimeProvider? Time { get; set; }

    public WebApplication Build() => FeedSyncApp.BuildHost(new HostSettings { ConfigFiles = [DemoCatalog.ConfigFile], Overrides = _overrides, Time = Time });

    public async Task StartAsync()
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("FeedSync is already running.");
        }

        var app = Build();
        try
        {
            await app.StartAsync();
            _app = app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Starts FeedSync and waits until the initial full sync has put every valid feed row into the emulator.</summary>
    public async Task StartAndSyncAsync()
    {
        await StartAsync();
        await WaitUntilInStepAsync(TimeSpan.FromSeconds(60));
    }

    public Task<long> PendingAsync() => Database.ScalarAsync<long>("SELECT count(*) FROM feedsync.pending");

    /// <summary>The product input the emulator holds for a destination, or null.</summary>
    public JsonObject? Held(string offerId, string language = "en", string feedLabel = "US") =>
        Emulator.Products.GetValueOrDefault($"accounts/{AccountId}/productInputs/{language}~{feedLabel}~{offerId}");

    /// <summary>The Merchant API requests the emulator received for one offer id (any destination).</summary>
    public List<RecordedRequest> RequestsFor(string offerId) => Emulator.Requests.Where(r => r.Path.Contains("/productInputs", StringComparison.Ordinal) && RequestConcerns(r, offerId)).ToList();

    public int CallsFor(string offerId) => Emulator.Requests.Count(r => r.Path.Contains("/productInputs", StringComparison.Ordinal) && RequestConcerns(r, offerId));

    private static bool RequestConcerns(RecordedRequest request, string offerId)
    {
        if (request.Method == "POST")
        {
            return request.Body is { } body && JsonNode.Parse(body)?["offerId"]?.GetValue<string>() == offerId;
        }

        var encoded = request.Path[(request.Path.LastIndexOf('/') + 1)..];
        var decoded = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(encoded));
        return decoded.EndsWith("~" + offerId, StringComparison.Ordinal);
    }

    /// <summary>Waits until nothing is pending and the emulator holds exactly the valid rows of the feed view.</summary>
    public Task WaitUntilInStepAsync(TimeSpan timeout) =>
        Wait.UntilAsync(
            async () => await PendingAsync() == 0 && (await DifferencesAsync()).Count == 0,
            timeout,
            "the emulator holds exactly the feed view",
            async () => $"pending={await PendingAsync()}; differences: {string.Join("; ", (await DifferencesAsync()).Take(5))}");

    /// <summary>Every way the emulator differs from the feed view (valid rows only; invalid rows must not be there unless pushed before).</summary>
    public async Task<List<string>> DifferencesAsync()
    {
        var expected = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        await using (var connection = new NpgsqlConnection(Database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT * FROM catalog.feed", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    values[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                // As FeedSync maps it: a sale counts only while it is in effect on FeedSync's clock.
                var mapped = ProductMapper.Map(new FeedRow(Convert.ToString(values["product_key"], System.Globalization.CultureInfo.InvariantCulture)!, values), (Time ?? TimeProvider.System).GetUtcNow());
                if (mapped.Input is { } input)
                {
                    expected[$"accounts/{AccountId}/productInputs/{input.Identity.Id}"] = input.ToJson();
                }
            }
        }

        var held = Emulator.Products;
        var differences = new List<string>();
        foreach (var (name, want) in expected)
        {
            if (!held.TryGetValue(name, out var have))
            {
                differences.Add($"{name} missing");
            }
            else if (!SameContent(want, have))
            {
                differences.Add($"{name} differs: want {want["productAttributes"]?.ToJsonString()} have {have["productAttributes"]?.ToJsonString()}");
            }
        }

        differences.AddRange(held.Keys.Where(k => !expected.ContainsKey(k)).Select(k => $"{k} should not be there"));
        return differences;
    }

    private static bool SameContent(JsonObject want, JsonObject have) =>
        JsonNode.DeepEquals(Normalize(want["productAttributes"]), Normalize(have["productAttributes"]))
        && JsonNode.DeepEquals(Normalize(want["customAttributes"]) ?? new JsonArray(), Normalize(have["customAttributes"]) ?? new JsonArray());

    private static JsonNode? Normalize(JsonNode? node) => node is null ? null : JsonNode.Parse(node.ToJsonString());

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Emulator.Dispose();
        await Database.DisposeAsync();
    }
}
