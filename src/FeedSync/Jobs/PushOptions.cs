namespace FeedSync.Jobs;

/// <summary><c>FeedSync:Push</c>: how pending products are drained to the Merchant API.</summary>
internal sealed class PushOptions
{
    public const string Section = "FeedSync:Push";

    /// <summary>Products claimed by one drain step.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// A product pushed less than this long ago waits out the rest of the window, so a burst of edits
    /// becomes one trailing push with the final state instead of one call per edit.
    /// </summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Drain jobs kept queued at most, and drain jobs waiting idle at most; each drains until nothing is due.</summary>
    public int MaxQueuedDrainJobs { get; set; } = 2;

    /// <summary>
    /// How long a drain job that finds nothing due waits for new work before it ends. Zero ends it at once (a new job
    /// is started per burst of commits). Each waiting drain holds a Hangfire worker meanwhile; at most
    /// <see cref="MaxQueuedDrainJobs"/> wait at once.
    /// </summary>
    public TimeSpan DrainIdleWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Hangfire workers in this process.</summary>
    public int WorkerCount { get; set; } = 8;

    /// <summary>
    /// Drain jobs of this process running at once, busy or waiting. One drain claims up to <see cref="BatchSize"/>
    /// products per step and waits for its calls. Fewer leave due products waiting while every drain waits for Google;
    /// more split the due products into smaller steps, each paying its fixed statements, unless
    /// <see cref="MinClaimInterval"/> spaces their claims. At 1,000 changes/s with 100,000 products on 2 cores, before
    /// claims were spaced (docs/benchmarks.md): against an API answering at once, 2 had the lowest p99 and 8 the
    /// highest; answering after 200–300 ms, as Google does, 2 had the highest and 4 the lowest. Raise it when Google
    /// answers slowly and the database has cores to spare.
    /// </summary>
    public int MaxConcurrentDrains { get; set; } = 4;

    /// <summary>
    /// Push steps of this process start at least this far apart, unless the step before claimed a full
    /// <see cref="BatchSize"/> (a backlog). Every step pays the same few statements whatever it claims; without spacing,
    /// each drain claims the handful that arrived while its last step ran, and more drains mean more, smaller steps and
    /// more CPU per change. Spacing keeps steps large when drains keep up and lets more drains wait on a slow API
    /// without that cost. Zero claims as soon as a drain is free.
    /// </summary>
    public TimeSpan MinClaimInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>First wait before retrying a product whose push failed transiently; doubles per attempt.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a write (insert, patch, delete) may be in flight: the pusher abandons calls not answered within half of it, and a
    /// pusher that finds the write of one whose claim connection dropped waits until it has run out (see WriteLease).
    /// </summary>
    public TimeSpan WriteLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A drain job stops after this long so Hangfire workers rotate; dispatch starts another.</summary>
    public TimeSpan MaxDrainDuration { get; set; } = TimeSpan.FromMinutes(2);
}
