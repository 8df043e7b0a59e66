namespace FeedSync.MerchantEmulator;

/// <summary>Splits a raw query string into decoded pairs, keeping order and repeats.</summary>
internal static class QueryString
{
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string rawQuery)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (var part in rawQuery.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq >= 0 ? part[..eq] : part;
            var value = eq >= 0 ? part[(eq + 1)..] : "";
            pairs.Add(new(Decode(key), Decode(value)));
        }

        return pairs;
    }

    // Google's front end reads '+' in a query as a space, like HTML forms.
    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
