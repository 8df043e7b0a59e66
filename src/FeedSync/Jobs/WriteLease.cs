using FeedSync.Diff;
using FeedSync.Publish;

namespace FeedSync.Jobs;

/// <summary>
/// Keeps an older write from landing after a newer one when a pusher loses its claim mid-push. Claims are session
/// advisory locks, so if the claiming connection drops while the calls are in flight, another pusher can claim the
/// product at once, although the first pusher's HTTP calls are still on their way to Google. The first pusher
/// cannot record anything any more (its connection is gone), so <c>last_pushed</c> would say the newer content
/// while Google ends up with the older one (or a late delete removes a product just inserted again). The fix is a
/// lease on every write
/// (<see cref="PushOptions.WriteLease"/>, stored as <c>last_pushed.lease_until</c> with the in-doubt mark): the
/// writer abandons calls not answered within half of it, and another pusher leaves the product pending until it
/// has run out. A push that records its results (its claim was held throughout) ends the lease of the calls Google
/// answered; a call that got no answer (abandoned, timed out, cut off) may still be applied later, so its lease runs
/// out instead, and the product (in doubt) is resent in full only then. Ending it at once would let the retry's
/// insert land before the late write: Google would keep the older content while <c>last_pushed</c> says the newer.
/// </summary>
internal static class WriteLease
{
    public const string WaitingReason = "write_lease";

    /// <summary>Claimed product keys with a destination whose earlier write may still be in flight, and for how long.</summary>
    public static Dictionary<string, TimeSpan> Waiting(Dictionary<string, List<LastPushed>> lastPushed) =>
        lastPushed
            .Select(p => (p.Key, Left: p.Value.Max(l => l.LeaseLeft ?? TimeSpan.Zero)))
            .Where(p => p.Left > TimeSpan.Zero)
            .ToDictionary(p => p.Key, p => p.Left, StringComparer.Ordinal);

    /// <summary>Leaves a product pending until the lease of another pusher's write has run out.</summary>
    public static Release Wait(Claim claim, TimeSpan left) =>
        new(claim, Called: false, RetryAfter: left, Error: $"{WaitingReason}: an earlier push of this product may still be in flight (its pusher lost its claim); retrying in {left:g}");

    /// <summary>
    /// Whether the write of a call is over, so its lease may end: Google answered every attempt of it, or it was never
    /// sent (circuit open). Not when any attempt was abandoned, timed out or cut off, even if a retry was answered:
    /// the unanswered attempt may still land after a newer write.
    /// </summary>
    public static bool IsOver(MerchantResult result) => !result.Unanswered;

    /// <summary>
    /// A delete Google answered (done or 404) after an attempt of it went unanswered. That attempt may still land and
    /// would delete the product again if it came back meanwhile, so the row stays in doubt under its lease
    /// (<see cref="PushRecorder.RecordCommands"/> keeps it) and the product waits (<see cref="WaitForLateDelete"/>).
    /// </summary>
    public static bool DeleteMayLandLate(DestinationOutcome outcome) =>
        outcome.CalledAction == PushAction.Delete && (outcome.Result.IsSuccess || outcome.Result.Kind == ResultKind.NotFound) && !IsOver(outcome.Result);

    /// <summary>
    /// Leaves a product pending until the lease of its own late-landing delete has run out; it is then deleted again
    /// (a 404 is done) or, if it is back in the view, inserted in full.
    /// </summary>
    public static Release WaitForLateDelete(Claim claim, TimeSpan lease) =>
        new(claim, Called: true, RetryAfter: lease, Error: $"{WaitingReason}: an earlier attempt of this delete went unanswered and may still land; retrying in {lease:g}");

    /// <summary>
    /// Makes the calls, abandoning any not answered within half the lease. Which of them Google applied is then
    /// unknown: all are answered as transient failures, so they stay in doubt, keep their lease (see <see cref="IsOver"/>)
    /// and are resent in full once it has run out.
    /// </summary>
    public static async Task<List<DestinationOutcome>> CallAsync(
        IMerchantCenter merchant, IReadOnlyList<(string ProductKey, PushDecision Decision)> calls, TimeSpan lease, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(lease / 2);
        try
        {
            return await PushCalls.ExecuteAsync(merchant, calls, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var abandoned = new MerchantResult(ResultKind.Transient, 0, WaitingReason, $"not answered within half the write lease ({lease / 2:g}); abandoned") { Unanswered = true };
            return calls.Select(c => new DestinationOutcome(c.ProductKey, c.Decision, c.Decision.Action, abandoned, c.Decision.Reason, null)).ToList();
        }
    }
}
