using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using FeedSync;
using FeedSync.Dashboard;
using FeedSync.Demo;
using FeedSync.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

/// <summary>
/// <c>dashboard [--products N] [--problems M]</c>: seeds FeedSync's state as if N products had been pushed (with a
/// day of audit log and a status pull) and M problems recorded, then times the dashboard pages over HTTP, signed in.
/// </summary>
internal static partial class DashboardBench
{
    public static async Task RunAsync(string connectionString, string database, int products, int problems)
    {
        var password = "bench password 123";
        var settings = new HostSettings
        {
            ConfigFiles = [DemoCatalog.ConfigFile],
            Overrides = new Dictionary<string, string?>
            {
                ["FeedSync:Catalog:ConnectionString"] = connectionString,
                ["FeedSync:State:ConnectionString"] = connectionString,
                ["FeedSync:MerchantCenter:Endpoint"] = "http://127.0.0.1:9/",
                ["FeedSync:MerchantCenter:AccountId"] = "1234567",
                ["FeedSync:MerchantCenter:DataSourceId"] = "7654321",
                ["FeedSync:Capture:Enabled"] = "false",
                ["FeedSync:Capture:SlotName"] = database,
                ["FeedSync:StatusPull:Enabled"] = "false",
                ["FeedSync:Dashboard:Url"] = "http://127.0.0.1:0",
                ["FeedSync:Dashboard:Users:0:Name"] = "bench",
                ["FeedSync:Dashboard:Users:0:PasswordHash"] = PasswordHashing.Hash(password),
                ["FeedSync:Dashboard:Users:0:Role"] = "operator",
                ["Serilog:MinimumLevel:Default"] = "Error",
            },
        };

        await using (var setup = FeedSyncApp.BuildHost(settings with { RunWorker = false }))
        {
            await setup.Services.GetRequiredService<DemoCatalog>().InstallAsync(CancellationToken.None);
            await setup.Services.GetRequiredService<StateMigrator>().MigrateAsync(CancellationToken.None);
        }

        var seeding = Stopwatch.StartNew();
        await SeedAsync(connectionString, products, problems);
        Console.WriteLine($"seeded {products:N0} pushed products, {products:N0} audit rows, {products:N0} statuses ({problems:N0} with issues), {problems:N0} problems in {seeding.Elapsed.TotalSeconds:0} s");

        await using var app = FeedSyncApp.BuildHost(settings);
        await app.StartAsync();
        var baseUrl = app.Urls.First();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(baseUrl) };
        await SignInAsync(http, password);

        Console.WriteLine($"{"page",-48} {"median",8} {"p95",8} {"max",8}   (20 requests after 3 warm-ups, signed in, over HTTP)");
        foreach (var path in new[]
                 {
                     "/hangfire/feedsync",
                     "/hangfire/feedsync/problems",
                     "/hangfire/feedsync/problems?kind=rejected&page=100",
                     "/hangfire/feedsync/problems?kind=rejected&source=google",
                     "/hangfire/feedsync/problems?kind=rejected&q=OFFER-0001",
                     "/hangfire/feedsync/problems?kind=google-issues",
                     "/hangfire/feedsync/problems?kind=google-issues&q=OFFER-00005",
                     "/hangfire/feedsync/product/500000",
                 })
        {
            var timings = new List<double>();
            for (var i = 0; i < 23; i++)
            {
                var watch = Stopwatch.StartNew();
                using var response = await http.GetAsync(path);
                var body = await response.Content.ReadAsStringAsync();
                watch.Stop();
                if (!response.IsSuccessStatusCode || body.Contains("sign-in", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
                }

                if (i >= 3)
                {
                    timings.Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            timings.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path,-48} {timings[timings.Count / 2],6:0} ms {timings[(int)(timings.Count * 0.95)],5:0} ms {timings[^1],5:0} ms"));
        }

        await app.StopAsync();
    }

    private static async Task SeedAsync(string connectionString, int products, int problems)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var sql = """
            INSERT INTO feedsync.last_pushed (offer_id, content_language, feed_label, product_key, content_hash, payload, pushed_at, last_insert_at)
            SELECT 'OFFER-' || lpad(g::text, 7, '0'), 'en', 'US', g::text, sha256(g::text::bytea),
                   jsonb_build_object('offerId', 'OFFER-' || g, 'productAttributes', jsonb_build_object('title', 'Product ' || g, 'price', jsonb_build_object('amountMicros', (g::bigint * 10000)::text, 'currencyCode', 'USD'))),
                   now() - (g % 86400) * interval '1 second', now() - (g % 86400) * interval '1 second'
            FROM generate_series(1, @products) g;
            INSERT INTO feedsync.push_log (at, product_key, offer_id, content_language, feed_label, action, update_mask, why, http_status, outcome, reason)
            SELECT now() - (g % 172800) * interval '1 second', g::text, 'OFFER-' || lpad(g::text, 7, '0'), 'en', 'US',
                   CASE WHEN g % 3 = 0 THEN 'Insert' ELSE 'Patch' END, CASE WHEN g % 3 = 0 THEN NULL ELSE 'productAttributes.price' END,
                   'price changed', CASE WHEN g % 50 = 0 THEN 400 ELSE 200 END, CASE WHEN g % 50 = 0 THEN 'DataError' ELSE 'Success' END,
                   CASE WHEN g % 50 = 0 THEN 'INVALID_ARGUMENT' END
            FROM generate_series(1, @products) g;
            INSERT INTO feedsync.google_status (offer_id, content_language, feed_label, disapproved, issue_count, destination_statuses, item_issues, changed_at)
            SELECT 'OFFER-' || lpad(g::text, 7, '0'), 'en', 'US', g % (@products / @problems) = 0 AND g % 2 = 0,
                   CASE WHEN g % (@products / @problems) = 0 THEN 1 ELSE 0 END,
                   '[{"reportingContext":"SHOPPING_ADS","approvedCountries":["US"]}]',
                   CASE WHEN g % (@products / @problems) = 0 THEN '[{"code":"image_link_broken","severity":"DISAPPROVED","description":"Invalid image"}]' ELSE '[]' END::jsonb,
                   now() - interval '10 minutes'
            FROM generate_series(1, @products) g;
            INSERT INTO feedsync.product_problems (product_key, offer_id, content_language, feed_label, source, reason, detail, occurred_at)
            SELECT (g * (@products / @problems))::text, 'OFFER-' || lpad((g * (@products / @problems))::text, 7, '0'), 'en', 'US',
                   CASE WHEN g % 2 = 0 THEN 'local' ELSE 'google' END, 'gtin check digit is wrong', 'gtin 4006381333932', now() - g * interval '1 minute'
            FROM generate_series(1, @problems) g;
            INSERT INTO feedsync.pending (product_key, dirty_gen, first_dirty_at, not_before)
            SELECT g::text, nextval('feedsync.dirty_gen_seq'), now() - interval '5 seconds', now() + interval '1 hour' FROM generate_series(1, 1000) g;
            """;
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 3600 };
        command.Parameters.AddWithValue("products", products);
        command.Parameters.AddWithValue("problems", problems);
        await command.ExecuteNonQueryAsync();

        // What autovacuum does soon after a bulk load: statistics, and visibility maps for index-only scans.
        await using var vacuum = new NpgsqlCommand(
            "VACUUM ANALYZE feedsync.last_pushed, feedsync.push_log, feedsync.push_stats, feedsync.google_status, feedsync.product_problems, feedsync.pending",
            connection) { CommandTimeout = 3600 };
        await vacuum.ExecuteNonQueryAsync();
    }

    private static async Task SignInAsync(HttpClient http, string password)
    {
        var page = await http.GetStringAsync("/login");
        var token = TokenField().Match(page);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [token.Groups[1].Value] = token.Groups[2].Value,
            ["username"] = "bench",
            ["password"] = password,
        });
        using var response = await http.PostAsync("/login", form);
        if (!response.IsSuccessStatusCode || response.RequestMessage?.RequestUri?.AbsolutePath != "/hangfire/feedsync")
        {
            throw new InvalidOperationException($"sign-in failed: {(int)response.StatusCode} at {response.RequestMessage?.RequestUri}");
        }
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
