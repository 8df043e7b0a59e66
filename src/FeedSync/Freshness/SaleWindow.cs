using FeedSync.Catalog;

namespace FeedSync.Freshness;

/// <summary>Why a product must be looked at again at a given instant.</summary>
internal enum BoundaryKind
{
    /// <summary>A sale (or promotion) starts or ends.</summary>
    Sale,

    /// <summary>The availability date is reached (e.g. a preorder becomes available).</summary>
    Availability,

    /// <summary>The update budget allows the deferred cosmetic change to go out.</summary>
    Budget,

    /// <summary>Spread expiry refresh: re-insert so Google does not expire the product.</summary>
    Refresh,

    /// <summary>The view still showed a sale that is over by FeedSync's clock (its clock lags): look again shortly.</summary>
    Recheck,
}

/// <summary>An instant at which one product key is re-evaluated although no catalog row changes then.</summary>
internal readonly record struct Boundary(string ProductKey, DateTimeOffset At, BoundaryKind Kind);

/// <summary>Sale windows read from feed rows, judged on FeedSync's clock.</summary>
internal static class SaleWindow
{
    /// <summary>How soon to look again when the view's clock lags FeedSync's at a sale end.</summary>
    public static readonly TimeSpan RecheckDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long after a sale end a lagging view is still worth a recheck.</summary>
    public static readonly TimeSpan RecheckWindow = TimeSpan.FromMinutes(1);

    /// <summary>A sale is in effect from its start (inclusive) to its end (exclusive); a missing bound is open.</summary>
    public static bool IsInEffect(DateTimeOffset? start, DateTimeOffset? end, DateTimeOffset now) =>
        (start is null || start <= now) && (end is null || now < end);

    /// <summary>Every future instant at which this row reads differently: sale start/end and availability date.</summary>
    public static IEnumerable<Boundary> UpcomingBoundaries(FeedRow row, DateTimeOffset now)
    {
        if (row["sale_price"] is not null)
        {
            var start = ProductMapper.ReadTimestamp(row, "sale_price_start");
            var end = ProductMapper.ReadTimestamp(row, "sale_price_end");
            if (start > now)
            {
                yield return new Boundary(row.ProductKey, start.Value, BoundaryKind.Sale);
            }

            if (end > now)
            {
                yield return new Boundary(row.ProductKey, end.Value, BoundaryKind.Sale);
            }
            else if (end is not null && now - end.Value < RecheckWindow)
            {
                // The view still shows a sale that just ended: another promotion may take its place once the view's
                // clock catches up. Only shortly after the end, so a view that never drops old sales is not polled.
                yield return new Boundary(row.ProductKey, now + RecheckDelay, BoundaryKind.Recheck);
            }
        }

        if (ProductMapper.ReadTimestamp(row, "availability_date") is { } available && available > now)
        {
            yield return new Boundary(row.ProductKey, available, BoundaryKind.Availability);
        }
    }
}
