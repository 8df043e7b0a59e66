using System.Text.Json.Nodes;
using FeedSync.Capture;
using FeedSync.Dashboard;
using FeedSync.Publish;
using Microsoft.Extensions.Options;

namespace FeedSync.Hosting;

/// <summary><c>/healthz</c> (the process answers), <c>/readyz</c> (it can do its work) and <c>/metrics</c> (Prometheus).</summary>
internal static class HealthEndpoints
{
    /// <summary>A 401/403 this recent means pushes cannot succeed until someone fixes the credentials.</summary>
    private static readonly TimeSpan CredentialWindow = TimeSpan.FromMinutes(5);

    public static WebApplication MapFeedSyncHealth(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (HttpContext context, Databases databases, OverviewQueries overview, IOptions<CaptureOptions> capture, MerchantResilience resilience, CancellationToken cancellationToken) =>
        {
            var checks = new JsonObject();
            var ready = true;
            void Check(string name, bool ok, string detail)
            {
                checks[name] = new JsonObject { ["ok"] = ok, ["detail"] = detail };
                ready &= ok;
            }

            try
            {
                await using var command = databases.State.CreateCommand(
                    $"SELECT count(*) FROM feedsync.push_log WHERE at > now() - interval '{(int)CredentialWindow.TotalSeconds} seconds' AND http_status IN (401, 403)");
                var refused = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
                Check("state_database", true, "reachable");
                Check("merchant_api_credentials", refused == 0, refused == 0 ? "no 401/403 in the last 5 minutes" : $"{refused} call(s) refused with 401/403 in the last 5 minutes");
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                Check("state_database", false, ex.Message);
            }

            // This instance's own state: paused since Google refused its credentials (the check above covers the fleet).
            Check("merchant_api_circuit", resilience.CredentialPauseUntil is null, resilience.CredentialPauseUntil is { } until
                ? $"calls paused until {until:u}: Google refused FeedSync's credentials (401/403)"
                : "calls flowing");

            try
            {
                var (lag, active) = await overview.CaptureLagAsync(cancellationToken);
                Check("catalog_database", true, "reachable");
                if (capture.Value.Enabled && capture.Value.Mode == CaptureMode.Trigger)
                {
                    var trigger = await overview.TriggerLagAsync(cancellationToken);
                    Check("capture", trigger is not null && trigger.OldestAge <= Overview.CaptureLagLimitAge,
                        trigger is null ? $"the trigger change log ({TriggerSetup.Schema}.change_log) is missing or unreadable; run `feedsync migrate`"
                        : trigger.Rows == 0 ? "every change-log row is recorded"
                        : $"{trigger.Rows} change-log row(s) not yet recorded, the oldest {trigger.OldestAge.TotalSeconds:0.0} s old");
                }
                else if (capture.Value.Enabled)
                {
                    Check("capture", active == true && lag <= Overview.CaptureLagLimitBytes,
                        active is null ? $"replication slot '{capture.Value.SlotName}' does not exist"
                        : active == false ? "no instance is reading the replication slot"
                        : $"{lag} bytes of WAL behind");
                }
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                Check("catalog_database", false, ex.Message);
            }

            var body = new JsonObject { ["status"] = ready ? "ready" : "not ready", ["checks"] = checks };
            return Results.Text(body.ToJsonString(), "application/json", statusCode: ready ? 200 : 503);
        });
        // The gauges exist once the instruments do: create them now, not at the first push (a stuck capture pushes nothing).
        app.Services.GetRequiredService<FeedSyncMetrics>();
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
