using FeedSync.Catalog;

namespace FeedSync.Capture;

/// <summary>A tracked table as capture uses it: which of the changed row's columns it needs and how they become product keys.</summary>
internal sealed class TrackedTable
{
    public TrackedTable(TrackedTableOptions options)
    {
        Table = SqlIdentifier.Parse(options.Table);
        KeyColumn = options.KeyColumn;
        KeyQuery = options.KeyQuery;
        Columns = KeyColumn is not null ? [KeyColumn] : options.KeyQueryParameters();
    }

    public SqlIdentifier Table { get; }

    public string? KeyColumn { get; }

    public string? KeyQuery { get; }

    /// <summary>The columns read from each changed row: the key column, or the key query's parameters.</summary>
    public IReadOnlyList<string> Columns { get; }

    public static IReadOnlyList<TrackedTable> From(CatalogOptions options) => options.TrackedTables.Select(t => new TrackedTable(t)).ToList();
}

/// <summary>The needed column values of one changed row (text form, as logical decoding delivers them).</summary>
internal sealed record CapturedRow(TrackedTable Table, string?[] Values);

/// <summary>One committed source transaction: its changed rows and the LSN to acknowledge once they are recorded.</summary>
internal sealed record CapturedTransaction(IReadOnlyList<CapturedRow> Rows, IReadOnlyList<TrackedTable> Truncated, ulong EndLsn);
