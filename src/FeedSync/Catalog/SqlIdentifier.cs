using System.Text.RegularExpressions;

namespace FeedSync.Catalog;

/// <summary>
/// A schema-qualified or bare SQL identifier that came from configuration. It is validated against a
/// strict pattern and always emitted quoted, so configuration can never inject SQL.
/// </summary>
internal sealed partial record SqlIdentifier(string? Schema, string Name)
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_$]{0,62}$")]
    private static partial Regex PartPattern();

    public static bool TryParse(string? text, out SqlIdentifier identifier)
    {
        identifier = new SqlIdentifier(null, "");
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Trim().Split('.');
        if (parts.Length > 2 || parts.Any(p => !PartPattern().IsMatch(p)))
        {
            return false;
        }

        identifier = parts.Length == 2 ? new SqlIdentifier(parts[0], parts[1]) : new SqlIdentifier(null, parts[0]);
        return true;
    }

    public static SqlIdentifier Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is not a valid SQL identifier (letters, digits, _; optionally schema-qualified).");

    public static bool IsValidColumn(string? name) => name is not null && PartPattern().IsMatch(name);

    public static string QuoteColumn(string column) => IsValidColumn(column)
        ? Quote(column)
        : throw new FormatException($"'{column}' is not a valid column name.");

    /// <summary>Schema name to use in catalog lookups; unqualified names resolve to <c>public</c>.</summary>
    public string SchemaOrPublic => Schema ?? "public";

    public string Quoted => Schema is null ? Quote(Name) : $"{Quote(Schema)}.{Quote(Name)}";

    public override string ToString() => Schema is null ? Name : $"{Schema}.{Name}";

    private static string Quote(string part) => "\"" + part.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
