using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace FeedSync.Catalog;

/// <summary><c>FeedSync:Catalog</c>: where the retailer's catalog lives and how changes map to products.</summary>
internal sealed class CatalogOptions
{
    public const string Section = "FeedSync:Catalog";

    public string ConnectionString { get; set; } = "";

    /// <summary>The feed view (or table) with one row per product and destination.</summary>
    public string FeedView { get; set; } = "";

    public List<TrackedTableOptions> TrackedTables { get; set; } = [];
}

/// <summary>A table whose changes make products dirty: either a key column or a key query.</summary>
internal sealed partial class TrackedTableOptions
{
    public string Table { get; set; } = "";

    /// <summary>A column of the changed row that holds the product key (must be in the primary key, so deletes carry it).</summary>
    public string? KeyColumn { get; set; }

    /// <summary>A SELECT returning product keys; <c>@column</c> parameters are bound from the changed row.</summary>
    public string? KeyQuery { get; set; }

    [GeneratedRegex("(?<![:@])@([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex ParameterPattern();

    /// <summary>Column names that <see cref="KeyQuery"/> binds as parameters, in order of first use.</summary>
    public IReadOnlyList<string> KeyQueryParameters() => KeyQuery is null
        ? []
        : ParameterPattern().Matches(KeyQuery).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();
}
