namespace FeedSync.Catalog;

/// <summary>
/// One row of the retailer's feed view: a product for one destination. Column names are lower-case;
/// values are as Npgsql read them (decimal, DateTime in UTC, string, bool, long, …) or null.
/// </summary>
internal sealed class FeedRow
{
    public FeedRow(string productKey, IReadOnlyDictionary<string, object?> values)
    {
        ProductKey = productKey;
        Values = values;
    }

    public string ProductKey { get; }

    public IReadOnlyDictionary<string, object?> Values { get; }

    /// <summary>The value of a column, with empty or whitespace-only strings read as missing.</summary>
    public object? this[string column] =>
        Values.TryGetValue(column, out var value) && value is not (null or DBNull) && !(value is string s && string.IsNullOrWhiteSpace(s))
            ? value
            : null;

    public string? Text(string column) => this[column] switch
    {
        null => null,
        string s => s.Trim(),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        var other => other.ToString(),
    };

    public static FeedRow FromPairs(string productKey, params (string Column, object? Value)[] pairs) =>
        new(productKey, pairs.ToDictionary(p => p.Column, p => p.Value, StringComparer.OrdinalIgnoreCase));
}
