using FeedSync.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FeedSync.Capture;

/// <summary>
/// pgoutput looks the publication up in the catalog as it was at each change's WAL position. A slot created before its
/// publication (or streaming across a drop and re-create of it) therefore fails with <c>publication "…" does not exist</c>
/// at the first change older than the publication, on every restart: its position can never move past that change.
/// The way out is a new slot made after the publication, plus a full reconciliation for what the old one never delivered.
/// </summary>
internal sealed partial class SlotPredatesPublication(
    Databases databases,
    ReplicationSetup setup,
    IOptions<CaptureOptions> options,
    ILogger<SlotPredatesPublication> logger)
{
    private readonly CaptureOptions _options = options.Value;

    /// <summary>
    /// The stream's "… does not exist" error naming the publication. The slot's own "does not exist" error has the
    /// same code and may carry the same name; <see cref="RepairAsync"/> tells the two apart by looking at the slot.
    /// </summary>
    public static bool Matches(PostgresException error, string publication) =>
        error.SqlState == PostgresErrorCodes.UndefinedObject && error.MessageText.Contains($"\"{publication}\"", StringComparison.Ordinal);

    /// <summary>
    /// Recreates the slot and queues every product when the publication exists now; returns false when the slot itself
    /// is gone (the normal start path recreates it). Throws a set-up error naming the fix when the publication is missing.
    /// </summary>
    public async Task<bool> RepairAsync(PostgresException error, CancellationToken cancellationToken)
    {
        if (await SlotHealth.ReadAsync(databases.Catalog, _options.SlotName, cancellationToken) is null)
        {
            return false;
        }

        var where = error.Where is { Length: > 0 } context ? $" ({context})" : "";
        if (!await PublicationExistsAsync(cancellationToken))
        {
            throw new CaptureSetupException(
                $"Replication slot {_options.SlotName} cannot decode its changes: {error.MessageText}{where}. Publication {_options.PublicationName} is missing. " +
                "Run `feedsync migrate`: it creates the publication (then the slot, if needed); once the publication exists, capture replaces this slot and resyncs the catalog.");
        }

        var why = $"replication slot {_options.SlotName} predates publication {_options.PublicationName} (the publication was created, or dropped and re-created, " +
            $"after the slot's position), so pgoutput fails with '{error.MessageText}'{where} and can never decode past that point; changes since its last confirmed position may be missing";
        LogPredates(_options.SlotName, why);
        await setup.RecreateSlotAsync(why, cancellationToken);
        return true;
    }

    private async Task<bool> PublicationExistsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await databases.Catalog.OpenConnectionAsync(cancellationToken);
        return await ReplicationSetup.PublicationExistsAsync(connection, _options.PublicationName, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping and recreating replication slot {Slot} and resyncing the whole catalog: {Why}")]
    private partial void LogPredates(string slot, string why);
}
