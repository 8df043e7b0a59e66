using System.Diagnostics;
using FeedSync.Catalog;
using FeedSync.Diff;
using FeedSync.Freshness;
using FeedSync.Hosting;
using FeedSync.Publish;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Jobs;

/// <summary>Counts from one push step, for logs, progress and benchmarks.</summary>
internal readonly record struct PushStepResult(int Claimed, int Calls, int Unchanged, int Rejected, int RetryLater);

/// <summary>
/// One push step: claim due product keys, re-read them from the feed view, build and validate each destination,
/// diff against what Google holds, make only the calls that matter, record the results in one transaction, then
/// release the claims. The latest catalog state always wins; event order never matters.
/// </summary>
internal sealed partial class PushProcessor(
    Databases databases,
    PendingQueue queue,
    FeedView feedView,
    IMerchantCenter merchant,
    FreshnessGate freshness,
    TimeProvider time,
    IOptions<PushOptions> pushOptions,
    FeedSyncMetrics metrics,
    ILogger<PushProcessor> logger)
{
    private const int MaxRecordAttempts = 3;

    public async Task<PushStepResult> PushOnceAsync(CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        await using var connection = await databases.State.OpenConnectionAsync(cancellationToken);
        List<(string, ProductIdentity)> leased = [];
        try
        {
            var claims = await PendingQueue.ClaimAsync(connection, pushOptions.Value.BatchSize, cancellationToken);
            if (claims.Count == 0)
            {
                return default;
            }

            var claimedAt = stopwatch.ElapsedMilliseconds;
            var keys = claims.Select(c => c.ProductKey).ToList();

            // The feed view lives in the catalog database, on its own connection: both reads run at once.
            var reading = feedView.ReadAsync(keys, cancellationToken);
            var loading = PushRecorder.LoadAsync(connection, keys, cancellationToken);
            await Task.WhenAll(reading, loading);
            var (rows, lastPushed) = (await reading, await loading);

            var readAt = stopwatch.ElapsedMilliseconds;
            var decisions = new List<(string ProductKey, PushDecision Decision)>();
            var localProblems = new List<LocalProblem>();
            var healthy = new List<(string, ProductIdentity)>();
            var now = time.GetUtcNow();
            var waiting = WriteLease.Waiting(lastPushed);
            foreach (var key in keys.Where(k => !waiting.ContainsKey(k)))
            {
                Plan(key, rows.GetValueOrDefault(key) ?? [], lastPushed.GetValueOrDefault(key) ?? [], now, decisions, localProblems, healthy);
            }

            // Boundaries to remember, and cosmetic changes the update budget holds back (turned into no call).
            var freshnessPlan = await freshness.PlanAsync(connection, keys, rows, lastPushed, decisions, now, cancellationToken);

            var calls = decisions.Where(d => d.Decision.Action != PushAction.None).ToList();
            var writes = calls.Select(c => (c.ProductKey, c.Decision.Identity)).ToList();
            leased = writes;
            await PushRecorder.RecordIntentAsync(connection, writes, pushOptions.Value.WriteLease, cancellationToken);

            // From here Google may receive the calls, and a failure or cancellation may leave one unanswered yet
            // applied later: only the recorded answers (or the lease running out) end the lease.
            leased = [];
            var plannedAt = stopwatch.ElapsedMilliseconds;
            var outcomes = await WriteLease.CallAsync(merchant, calls, pushOptions.Value.WriteLease, cancellationToken);
            var calledAt = stopwatch.ElapsedMilliseconds;
            var previous = lastPushed.Values.SelectMany(l => l).ToDictionary(l => l.Identity);
            var restore = outcomes
                .Where(o => NotApplied(o.Result) && previous.ContainsKey(o.Decision.Identity))
                .Select(o => previous[o.Decision.Identity])
                .ToList();

            var releases = claims.Select(c => waiting.TryGetValue(c.ProductKey, out var left) ? WriteLease.Wait(c, left) : ReleaseFor(c, outcomes)).ToList();
            healthy.AddRange(outcomes.Where(o => o.Result.IsSuccess && o.CalledAction != PushAction.Delete).Select(o => (o.ProductKey, o.Decision.Identity)));

            await RecordAsync(
                connection,
                () => PushRecorder.RecordCommands(outcomes, localProblems, healthy, restore).Concat(FreshnessGate.RecordCommands(freshnessPlan, outcomes)),
                cancellationToken);
            freshness.Recorded(freshnessPlan);

            // The release is its own short transaction: capture upserts the same pending rows and would otherwise
            // wait for the whole record transaction. Dying between the two only leaves the keys pending: the next
            // push re-reads them, finds them recorded as pushed and makes no call.
            await queue.ReleaseAsync(releases, connection, cancellationToken);

            metrics.RecordPushes(outcomes);

            var result = new PushStepResult(
                claims.Count,
                outcomes.Count,
                decisions.Count(d => d.Decision.Action == PushAction.None),
                localProblems.Count + outcomes.Count(o => o.Result.Kind == ResultKind.DataError),
                releases.Count(r => r.RetryAfter is not null));
            var elapsed = stopwatch.ElapsedMilliseconds;
            LogStep(result.Claimed, result.Calls, result.Unchanged, result.Rejected, result.RetryLater, elapsed, claimedAt, readAt - claimedAt, plannedAt - readAt, calledAt - plannedAt, elapsed - calledAt);
            foreach (var configurationError in outcomes.Where(o => o.Result.Kind == ResultKind.ConfigurationError).Take(1))
            {
                LogConfigurationError(configurationError.Result.HttpStatus, configurationError.Result.Reason, configurationError.Result.Message);
            }

            return result;
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                // Failed or cancelled before any call was made, and the claims were held throughout: no one else
                // can be writing these products, so the lease just taken can end now.
                await PushRecorder.EndLeaseAsync(connection, leased, CancellationToken.None);
                await PendingQueue.UnlockAllAsync(connection, CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Runs the record statements as one batch: one round trip and one implicit transaction, so all of it is stored
    /// or none of it.
    /// </summary>
    private async Task RecordAsync(NpgsqlConnection connection, Func<IEnumerable<NpgsqlBatchCommand>> commands, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var batch = new NpgsqlBatch(connection);
                foreach (var command in commands())
                {
                    batch.BatchCommands.Add(command);
                }

                if (batch.BatchCommands.Count > 0)
                {
                    await batch.ExecuteNonQueryAsync(cancellationToken);
                }

                return;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < MaxRecordAttempts)
            {
                // Google has answered: the answers must be recorded. The batch lost a race with another writer and
                // was rolled back whole, so running it again is safe; giving up would leave the products in doubt
                // until their write lease runs out.
                LogRecordRetried(attempt, ex.SqlState);
            }
        }
    }

    /// <summary>
    /// Answers after which Google certainly did not apply the write (unlike a timeout or a 5xx), and no earlier attempt
    /// of it went unanswered.
    /// </summary>
    private static bool NotApplied(MerchantResult result) =>
        !result.Unanswered
        && result.Kind is ResultKind.DataError or ResultKind.Stale or ResultKind.ConfigurationError or ResultKind.RateLimited or ResultKind.CircuitOpen;

    /// <summary>Decides each destination of one product key: current view rows against what was last pushed.</summary>
    private void Plan(
        string key,
        List<FeedRow> rows,
        List<LastPushed> lastPushed,
        DateTimeOffset now,
        List<(string, PushDecision)> decisions,
        List<LocalProblem> localProblems,
        List<(string, ProductIdentity)> healthy)
    {
        var seen = new HashSet<ProductIdentity>();
        foreach (var row in rows)
        {
            var mapped = ProductMapper.Map(row, now);
            var identity = mapped.Identity ?? new ProductIdentity(row.Text("content_language") ?? "", row.Text("feed_label") ?? "", row.Text("offer_id") ?? "");
            if (!seen.Add(identity))
            {
                localProblems.Add(new LocalProblem(key, identity, [$"the feed view has more than one row for {identity}"]));
                continue;
            }

            if (!mapped.IsValid)
            {
                // Google keeps the last valid version; the problem is shown until the row is fixed.
                localProblems.Add(new LocalProblem(key, identity, mapped.Problems));
                LogRejected(key, identity.Id, string.Join("; ", mapped.Problems));
                continue;
            }

            var decision = ProductDiff.Decide(identity, mapped.Input, lastPushed.FirstOrDefault(l => l.Identity == identity));
            decisions.Add((key, decision));
            if (decision.Action == PushAction.None)
            {
                healthy.Add((key, identity));
            }
        }

        // Destinations Google holds that the view no longer has: delete them there only.
        foreach (var gone in lastPushed.Where(l => !seen.Contains(l.Identity)))
        {
            decisions.Add((key, ProductDiff.Decide(gone.Identity, null, gone)));
        }
    }

    private Release ReleaseFor(Claim claim, IEnumerable<DestinationOutcome> outcomes)
    {
        var mine = outcomes.Where(o => o.ProductKey == claim.ProductKey).ToList();
        var failed = mine.Where(o => o.Result.ShouldRetryLater).ToList();
        if (failed.Count == 0)
        {
            return mine.Any(WriteLease.DeleteMayLandLate)
                ? WriteLease.WaitForLateDelete(claim, pushOptions.Value.WriteLease)
                : new Release(claim, Called: mine.Count > 0, RetryAfter: null, Error: null);
        }

        var hint = failed.Max(f => f.Result.RetryAfter);
        return new Release(claim, Called: true, queue.BackoffFor(claim.Attempts, hint), failed[0].Result.ToString());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Push step: {Claimed} products claimed, {Calls} calls, {Unchanged} unchanged, {Rejected} rejected, {RetryLater} to retry, {ElapsedMs} ms (claim {ClaimMs}, read {ReadMs}, plan {PlanMs}, calls {CallsMs}, record {RecordMs})")]
    private partial void LogStep(int claimed, int calls, int unchanged, int rejected, int retryLater, long elapsedMs, long claimMs, long readMs, long planMs, long callsMs, long recordMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording a push step lost a race with another writer ({SqlState}, attempt {Attempt}); recording again")]
    private partial void LogRecordRetried(int attempt, string sqlState);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Product {ProductKey} ({Product}) rejected locally: {Problems}")]
    private partial void LogRejected(string productKey, string product, string problems);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Merchant API refuses FeedSync's credentials ({Status} {Reason}: {Detail}). Changes stay pending. Check FeedSync:MerchantCenter:CredentialsFile, that the service account is a user of the Merchant Center account, and that the Cloud project is registered (developerRegistration:registerGcp).")]
    private partial void LogConfigurationError(int status, string? reason, string? detail);
}
