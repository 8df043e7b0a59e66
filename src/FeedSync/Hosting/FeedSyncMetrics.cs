using System.Diagnostics.Metrics;
using FeedSync.Dashboard;
using FeedSync.Jobs;

namespace FeedSync.Hosting;

/// <summary>
/// FeedSync's instruments (meter <c>FeedSync</c>), scraped at <c>/metrics</c>. Queue and capture gauges read the state
/// database at most every few seconds however often they are scraped; counters are recorded where the work happens.
/// </summary>
internal sealed class FeedSyncMetrics : IDisposable
{
    public const string MeterName = "FeedSync";
    private static readonly TimeSpan GaugeRefresh = TimeSpan.FromSeconds(5);

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _pushes;
    private readonly Histogram<double> _apiDuration;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private (long Pending, double OldestSeconds, long? LagBytes, double? LagSeconds, long BudgetDeferred) _gauges;
    private long _gaugesReadAt = long.MinValue;

    public FeedSyncMetrics(IServiceProvider services, TimeProvider time)
    {
        _services = services;
        _time = time;
        _pushes = _meter.CreateCounter<long>("feedsync.pushes", description: "Merchant API calls made for products, by action, outcome and Google's reason");
        _apiDuration = _meter.CreateHistogram<double>("feedsync.merchant_api.duration", unit: "s", description: "Merchant API call latency");
        _meter.CreateObservableGauge("feedsync.pending", () => Gauges().Pending, description: "Products waiting to be pushed");
        _meter.CreateObservableGauge("feedsync.pending.oldest_age", () => Gauges().OldestSeconds, unit: "s", description: "Age of the oldest pending change");
        _meter.CreateObservableGauge("feedsync.capture.lag", () => Gauges().LagBytes is { } lag ? [new Measurement<long>(lag)] : Array.Empty<Measurement<long>>(),
            unit: "By", description: "WAL the capture slot has not yet confirmed");
        _meter.CreateObservableGauge("feedsync.budget.deferred", () => Gauges().BudgetDeferred,
            description: "Destinations (offer id, content language, feed label) whose cosmetic change waits for the update budget (Google's about two updates a day)");
        _meter.CreateObservableGauge("feedsync.capture.lag_age", () => Gauges().LagSeconds is { } age ? [new Measurement<double>(age)] : Array.Empty<Measurement<double>>(),
            unit: "s", description: "Trigger mode: age of the oldest change-log row not yet recorded as pending (0 when caught up)");
    }

    public void RecordPushes(IEnumerable<DestinationOutcome> outcomes)
    {
        foreach (var outcome in outcomes)
        {
            _pushes.Add(1,
                new KeyValuePair<string, object?>("action", outcome.CalledAction.ToString().ToLowerInvariant()),
                new KeyValuePair<string, object?>("outcome", outcome.Result.Kind.ToString()),
                new KeyValuePair<string, object?>("reason", outcome.Result.Reason ?? "none"));
        }
    }

    public void RecordApiCall(string method, int status, TimeSpan elapsed) =>
        _apiDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("method", method),
            new KeyValuePair<string, object?>("status", status));

    private (long Pending, double OldestSeconds, long? LagBytes, double? LagSeconds, long BudgetDeferred) Gauges()
    {
        lock (_gate)
        {
            if (_gaugesReadAt != long.MinValue && _time.GetElapsedTime(_gaugesReadAt) < GaugeRefresh)
            {
                return _gauges;
            }

            try
            {
                var overview = _services.GetRequiredService<OverviewQueries>();
                var databases = _services.GetRequiredService<Databases>();
                using var command = databases.State.CreateCommand(
                    "SELECT count(*), coalesce(extract(epoch FROM now() - min(first_dirty_at)), 0)::float8 FROM feedsync.pending");
                using var reader = command.ExecuteReader();
                reader.Read();
                var lag = overview.CaptureLagAsync(CancellationToken.None).GetAwaiter().GetResult().LagBytes;
                var deferred = _services.GetRequiredService<UpdateBudgetQueries>().DeferralsAsync(CancellationToken.None).GetAwaiter().GetResult().Deferred;
                var triggerLag = overview.TriggerLagAsync(CancellationToken.None).GetAwaiter().GetResult();
                _gauges = (reader.GetInt64(0), reader.GetDouble(1), lag, triggerLag?.OldestAge.TotalSeconds, deferred);
            }
            catch (Npgsql.NpgsqlException)
            {
                // The database being away is what /readyz reports; the gauges keep their last values.
            }

            _gaugesReadAt = _time.GetTimestamp();
            return _gauges;
        }
    }

    public void Dispose() => _meter.Dispose();
}
