using Microsoft.Extensions.Options;

namespace FeedSync.Capture;

/// <summary><c>feedsync migrate</c>'s catalog side: installs or removes what the configured capture mode needs.</summary>
internal sealed class CaptureMigration(ReplicationSetup replication, TriggerSetup triggers, IOptions<CaptureOptions> options)
{
    /// <summary>Installs the publication and slot, or the triggers; returns what happened, for the console.</summary>
    public async Task<string> EnsureAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Mode == CaptureMode.Trigger)
        {
            var installed = await triggers.EnsureAsync(cancellationToken);
            return installed.Count > 0
                ? $"Installed capture triggers on {string.Join(", ", installed.Select(t => t.Table))}; the next `feedsync run` re-reads the whole catalog once."
                : "Capture triggers are in place.";
        }

        return await replication.EnsureAsync(cancellationToken)
            ? "Created the replication slot and queued every product of the catalog as of the slot's start."
            : "Publication and replication slot are in place.";
    }

    public async Task<string> DropAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Mode == CaptureMode.Trigger)
        {
            await triggers.DropAsync(cancellationToken);
            return $"Removed the capture triggers and schema {TriggerSetup.Schema}.";
        }

        await replication.DropAsync(cancellationToken);
        return "Removed the replication slot and publication.";
    }
}
