using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FeedSync.Publish;

namespace FeedSync.Catalog;

/// <summary>The product built from a feed row, or the reasons it cannot be sent.</summary>
internal sealed record MappingResult(ProductIdentity? Identity, ProductInput? Input, IReadOnlyList<string> Problems)
{
    public bool IsValid => Input is not null && Problems.Count == 0;
}

/// <summary>
/// Turns a feed-view row (snake_case columns named after Google's product data attributes) into a Merchant
/// API v1 <c>ProductInput</c>, and applies Google's product data rules before anything is sent, so an invalid
/// product gets a clear local reason instead of a round trip and a rejection.
/// </summary>
internal static partial class ProductMapper
{
    private enum Kind { Text, Url, UrlList, TextList, Timestamp, Bool, Int64, Gtins, Weight, Availability, Condition, Gender, AgeGroup }

    /// <summary>Columns FeedSync understands, in the order their attributes are written (the order is part of the hash).</summary>
    private static readonly (string Column, string Attribute, Kind Kind, int MaxLength)[] Attributes =
    [
        ("title", "title", Kind.Text, 150),
        ("description", "description", Kind.Text, 5000),
        ("link", "link", Kind.Url, 2000),
        ("mobile_link", "mobileLink", Kind.Url, 2000),
        ("canonical_link", "canonicalLink", Kind.Url, 2000),
        ("image_link", "imageLink", Kind.Url, 2000),
        ("additional_image_link", "additionalImageLinks", Kind.UrlList, 2000),
        ("availability", "availability", Kind.Availability, 0),
        ("availability_date", "availabilityDate", Kind.Timestamp, 0),
        ("expiration_date", "expirationDate", Kind.Timestamp, 0),
        ("condition", "condition", Kind.Condition, 0),
        ("brand", "brand", Kind.Text, 70),
        ("gtin", "gtins", Kind.Gtins, 0),
        ("mpn", "mpn", Kind.Text, 70),
        ("identifier_exists", "identifierExists", Kind.Bool, 0),
        ("item_group_id", "itemGroupId", Kind.Text, 50),
        ("google_product_category", "googleProductCategory", Kind.Text, 750),
        ("product_type", "productTypes", Kind.TextList, 750),
        ("color", "color", Kind.Text, 100),
        ("size", "size", Kind.Text, 100),
        ("material", "material", Kind.Text, 200),
        ("pattern", "pattern", Kind.Text, 100),
        ("gender", "gender", Kind.Gender, 0),
        ("age_group", "ageGroup", Kind.AgeGroup, 0),
        ("adult", "adult", Kind.Bool, 0),
        ("is_bundle", "isBundle", Kind.Bool, 0),
        ("multipack", "multipack", Kind.Int64, 0),
        ("sell_on_google_quantity", "sellOnGoogleQuantity", Kind.Int64, 0),
        ("shipping_weight", "shippingWeight", Kind.Weight, 0),
        ("shipping_label", "shippingLabel", Kind.Text, 100),
        ("promotion_id", "promotionIds", Kind.TextList, 50),
        ("custom_label_0", "customLabel0", Kind.Text, 100),
        ("custom_label_1", "customLabel1", Kind.Text, 100),
        ("custom_label_2", "customLabel2", Kind.Text, 100),
        ("custom_label_3", "customLabel3", Kind.Text, 100),
        ("custom_label_4", "customLabel4", Kind.Text, 100),
    ];

    /// <summary>Columns read for identity or combined into another attribute; never custom attributes.</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "product_key", "offer_id", "content_language", "feed_label", "price", "currency", "sale_price", "sale_price_start", "sale_price_end",
    };

    /// <summary>Columns the feed view must have (checked at start-up).</summary>
    public static readonly IReadOnlyList<string> RequiredColumns =
        ["product_key", "offer_id", "content_language", "feed_label", "title", "link", "image_link", "price", "currency", "availability"];

    private static readonly HashSet<string> KnownColumns = new(
        Attributes.Select(a => a.Column).Concat(Reserved), StringComparer.OrdinalIgnoreCase);

    /// <summary>Top-level attribute names FeedSync may write; used to know what a patch mask can name.</summary>
    public static IEnumerable<string> AttributeNames => Attributes.Select(a => a.Attribute).Concat(["price", "salePrice", "salePriceEffectiveDate"]);

    public static bool IsKnownColumn(string column) => KnownColumns.Contains(column);

    [GeneratedRegex("^[a-z]{2}$")]
    private static partial Regex LanguagePattern();

    [GeneratedRegex("^[A-Z0-9_-]{1,20}$")]
    private static partial Regex FeedLabelPattern();

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(g|kg|oz|lb)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex WeightPattern();

    /// <summary>
    /// Bump whenever the same feed row would map to a different <c>ProductInput</c> or content hash: reconciliation
    /// skips rows whose fingerprint it verified under this version, and a new version makes it map every row again.
    /// A unit test pins the hash of a sample row to this version so a mapping change cannot slip through unnoticed.
    /// </summary>
    public const int Version = 1;

    public static MappingResult Map(FeedRow row) => Map(row, null);

    /// <summary>
    /// Maps a row as it should read at <paramref name="now"/> (FeedSync's clock): a sale is sent only while it is
    /// in effect (start &lt;= now &lt; end), so the pushed price flips at the boundary even when the feed view's
    /// own clock lags or a test drives time. Without <paramref name="now"/> the sale is taken as the view gives it.
    /// </summary>
    public static MappingResult Map(FeedRow row, DateTimeOffset? now)
    {
        var problems = new List<string>();
        var identity = ReadIdentity(row, problems);
        var attributes = new JsonObject();

        foreach (var (column, attribute, kind, maxLength) in Attributes)
        {
            if (attribute == "availability")
            {
                // Price and sale sit with availability so a price/stock patch reads naturally in the payload.
                AddPrices(row, attributes, problems, now);
            }

            var value = row[column];
            if (value is null)
            {
                continue;
            }

            var node = Convert(column, value, kind, maxLength, problems);
            if (node is not null)
            {
                attributes[attribute] = node;
            }
        }

        RequireAttribute(attributes, "title", "title", problems);
        RequireAttribute(attributes, "link", "link", problems);
        RequireAttribute(attributes, "imageLink", "image_link", problems);
        RequireAttribute(attributes, "availability", "availability", problems);
        if (attributes["availability"]?.GetValue<string>() == "PREORDER" || attributes["availability"]?.GetValue<string>() == "BACKORDER")
        {
            if (!attributes.ContainsKey("availabilityDate"))
            {
                problems.Add("availability_date is required when availability is preorder or backorder");
            }
        }

        var customAttributes = row.Values.Keys
            .Where(c => !KnownColumns.Contains(c) && row[c] is not null)
            .OrderBy(c => c, StringComparer.Ordinal)
            .Select(c => new CustomAttribute(c, row.Text(c)!))
            .ToList();
        foreach (var custom in customAttributes.Where(c => c.Name.Length + c.Value.Length > 10240))
        {
            problems.Add($"custom attribute {custom.Name} is longer than Google's limit of 10240 characters");
        }

        var input = identity is { } id ? new ProductInput(id, attributes, customAttributes) : null;
        return new MappingResult(identity, problems.Count == 0 ? input : null, problems);
    }

    /// <summary>The destination a row names (normalized as Google does), or null when a part of it is missing.</summary>
    public static ProductIdentity? Identity(FeedRow row) => ReadIdentity(row, []);

    private static ProductIdentity? ReadIdentity(FeedRow row, List<string> problems)
    {
        var offerId = row.Text("offer_id");
        var language = row.Text("content_language")?.ToLowerInvariant();
        var feedLabel = row.Text("feed_label")?.ToUpperInvariant();

        if (offerId is null)
        {
            problems.Add("offer_id is missing");
        }
        else
        {
            // Google trims and collapses white space in offer ids; do the same so our identity matches theirs.
            offerId = WhiteSpace().Replace(offerId, " ");
            if (offerId.Length > 50)
            {
                problems.Add($"offer_id is {offerId.Length} characters; Google allows at most 50");
            }
        }

        if (language is null || !LanguagePattern().IsMatch(language))
        {
            problems.Add(language is null ? "content_language is missing" : $"content_language '{language}' is not a two-letter ISO 639-1 code");
        }

        if (feedLabel is null || !FeedLabelPattern().IsMatch(feedLabel))
        {
            problems.Add(feedLabel is null ? "feed_label is missing" : $"feed_label '{feedLabel}' must be 1-20 characters of A-Z, 0-9, - and _");
        }

        return offerId is null || language is null || feedLabel is null ? null : new ProductIdentity(language, feedLabel, offerId);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    private static void AddPrices(FeedRow row, JsonObject attributes, List<string> problems, DateTimeOffset? now)
    {
        var currency = row.Text("currency")?.ToUpperInvariant();
        if (currency is null)
        {
            problems.Add("currency is missing");
        }
        else if (!Currencies.IsKnown(currency))
        {
            problems.Add($"currency '{currency}' is not an ISO 4217 currency code");
            currency = null;
        }

        var price = ReadDecimal(row, "price", problems);
        if (price is null && row["price"] is null)
        {
            problems.Add("price is missing");
        }
        else if (price is <= 0)
        {
            problems.Add($"price {price.Value.ToString(CultureInfo.InvariantCulture)} must be greater than zero");
        }
        else if (price is { } p && currency is not null && ToPrice(p, currency, "price", problems) is { } priceNode)
        {
            attributes["price"] = priceNode;
        }

        var salePrice = ReadDecimal(row, "sale_price", problems);
        if (salePrice is not { } sale)
        {
            return;
        }

        if (sale < 0)
        {
            problems.Add($"sale_price {sale.ToString(CultureInfo.InvariantCulture)} must not be negative");
            return;
        }

        if (price is { } regular && sale >= regular)
        {
            problems.Add($"sale_price {sale.ToString(CultureInfo.InvariantCulture)} must be lower than price {regular.ToString(CultureInfo.InvariantCulture)}");
            return;
        }

        var saleNode = currency is not null ? ToPrice(sale, currency, "sale_price", problems) : null;

        // The window goes with the sale price whenever the catalog gives a bound, so Google ends the sale on time even if
        // FeedSync is down. Both bounds are optional at Google: a sale with neither is open-ended and gets no window at
        // all (an empty Interval says nothing); FeedSync clears the sale price when the row drops it.
        var start = ReadTimestamp(row, "sale_price_start", problems);
        var end = ReadTimestamp(row, "sale_price_end", problems);
        if (start is { } s && end is { } e && e <= s)
        {
            problems.Add("sale_price_end must be after sale_price_start");
            return;
        }

        if (now is { } at && !Freshness.SaleWindow.IsInEffect(start, end, at))
        {
            // Not started yet or already over: the regular price is the truth; the boundary scheduler flips it.
            return;
        }

        if (saleNode is not null)
        {
            attributes["salePrice"] = saleNode;
        }

        var window = new JsonObject();
        if (start is { } startTime)
        {
            window["startTime"] = FormatTimestamp(startTime);
        }

        if (end is { } endTime)
        {
            window["endTime"] = FormatTimestamp(endTime);
        }

        if (window.Count > 0)
        {
            attributes["salePriceEffectiveDate"] = window;
        }
    }

    private static JsonObject? ToPrice(decimal amount, string currency, string column, List<string> problems)
    {
        var minorUnits = Currencies.MinorUnits(currency);
        if (decimal.Round(amount, minorUnits) != amount)
        {
            problems.Add(minorUnits == 0
                ? $"{column} {amount.ToString(CultureInfo.InvariantCulture)} has decimals but {currency} has no minor units"
                : $"{column} {amount.ToString(CultureInfo.InvariantCulture)} has more than {minorUnits} decimals for {currency}");
            return null;
        }

        if (amount > 9_000_000_000_000m)
        {
            problems.Add($"{column} is too large");
            return null;
        }

        var micros = (long)(amount * 1_000_000m);
        return new JsonObject { ["amountMicros"] = micros.ToString(CultureInfo.InvariantCulture), ["currencyCode"] = currency };
    }

    private static JsonNode? Convert(string column, object value, Kind kind, int maxLength, List<string> problems)
    {
        switch (kind)
        {
            case Kind.Text:
                return CheckedText(column, value, maxLength, problems);
            case Kind.Url:
                return CheckedUrl(column, Text(value), problems);
            case Kind.UrlList:
                return ListOf(column, value, problems, item => CheckedUrl(column, item, problems));
            case Kind.TextList:
                return ListOf(column, value, problems, item => CheckedText(column, item, maxLength, problems));
            case Kind.Timestamp:
                return ToTimestamp(column, value, problems) is { } time ? FormatTimestamp(time) : null;
            case Kind.Bool:
                return ToBool(column, value, problems);
            case Kind.Int64:
                return ToInt64(column, value, problems);
            case Kind.Gtins:
                return ToGtins(value, problems);
            case Kind.Weight:
                return ToWeight(column, value, problems);
            case Kind.Availability:
                return ToEnum(column, value, ["in_stock", "out_of_stock", "preorder", "backorder", "limited_availability"], problems);
            case Kind.Condition:
                return ToEnum(column, value, ["new", "refurbished", "used"], problems);
            case Kind.Gender:
                return ToEnum(column, value, ["male", "female", "unisex"], problems);
            case Kind.AgeGroup:
                return ToEnum(column, value, ["newborn", "infant", "toddler", "kids", "adult"], problems);
            default:
                throw new InvalidOperationException($"Unhandled attribute kind {kind}");
        }
    }

    private static string Text(object value) => value switch
    {
        string s => s.Trim(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static JsonNode? CheckedText(string column, object value, int maxLength, List<string> problems)
    {
        var text = Text(value);
        if (text.Length > maxLength)
        {
            problems.Add($"{column} is {text.Length} characters; Google allows at most {maxLength}");
            return null;
        }

        return text;
    }

    private static JsonNode? CheckedUrl(string column, object value, List<string> problems)
    {
        var text = Text(value);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"{column} '{Truncate(text)}' is not an absolute http(s) URL");
            return null;
        }

        if (text.Length > 2000)
        {
            problems.Add($"{column} is {text.Length} characters; Google allows at most 2000");
            return null;
        }

        return text;
    }

    private static JsonArray? ListOf(string column, object value, List<string> problems, Func<string, JsonNode?> convert)
    {
        IEnumerable<string> items = value switch
        {
            string s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            IEnumerable<string> list => list.Where(i => !string.IsNullOrWhiteSpace(i)).Select(i => i.Trim()),
            _ => [Text(value)],
        };
        var nodes = items.Select(convert).ToList();
        if (nodes.Any(n => n is null))
        {
            return null;
        }

        return nodes.Count == 0 ? null : new JsonArray(nodes.ToArray());
    }

    private static JsonArray? ToGtins(object value, List<string> problems)
    {
        var gtins = Text(value).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (gtins.Length > 10)
        {
            problems.Add($"gtin has {gtins.Length} values; Google allows at most 10");
            return null;
        }

        var valid = true;
        foreach (var gtin in gtins)
        {
            if (!Gtin.IsValid(gtin, out var expected))
            {
                valid = false;
                problems.Add(expected < 0
                    ? $"gtin '{Truncate(gtin)}' must be 8, 12, 13 or 14 digits"
                    : $"gtin '{gtin}' has an invalid check digit (expected {expected})");
            }
        }

        return valid && gtins.Length > 0 ? new JsonArray(gtins.Select(g => (JsonNode)g).ToArray()) : null;
    }

    private static JsonObject? ToWeight(string column, object value, List<string> problems)
    {
        var match = WeightPattern().Match(Text(value));
        if (!match.Success)
        {
            problems.Add($"{column} '{Truncate(Text(value))}' must be a number and a unit (g, kg, oz or lb), e.g. '350 g'");
            return null;
        }

        return new JsonObject
        {
            ["value"] = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            ["unit"] = match.Groups[2].Value.ToLowerInvariant(),
        };
    }

    private static JsonNode? ToEnum(string column, object value, string[] allowed, List<string> problems)
    {
        var text = Text(value).ToLowerInvariant().Replace(' ', '_');
        if (!allowed.Contains(text))
        {
            problems.Add($"{column} '{Truncate(Text(value))}' is not one of {string.Join(", ", allowed)}");
            return null;
        }

        return text.ToUpperInvariant();
    }

    private static JsonNode? ToBool(string column, object value, List<string> problems) => value switch
    {
        bool b => b,
        _ when bool.TryParse(Text(value), out var parsed) => parsed,
        _ when Text(value).ToLowerInvariant() is "yes" or "y" or "1" => true,
        _ when Text(value).ToLowerInvariant() is "no" or "n" or "0" => false,
        _ => Fail<JsonNode>(problems, $"{column} '{Truncate(Text(value))}' is not a boolean"),
    };

    private static JsonNode? ToInt64(string column, object value, List<string> problems) =>
        long.TryParse(Text(value), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= 0
            ? number.ToString(CultureInfo.InvariantCulture)
            : Fail<JsonNode>(problems, $"{column} '{Truncate(Text(value))}' is not a non-negative whole number");

    private static decimal? ReadDecimal(FeedRow row, string column, List<string> problems)
    {
        var value = row[column];
        switch (value)
        {
            case null:
                return null;
            case decimal d:
                return d;
            case double or float or int or long or short:
                return System.Convert.ToDecimal(value, CultureInfo.InvariantCulture);
            default:
                if (decimal.TryParse(Text(value), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed))
                {
                    return parsed;
                }

                problems.Add($"{column} '{Truncate(Text(value))}' is not a number");
                return null;
        }
    }

    /// <summary>A timestamp column as FeedSync reads it, or null when missing or unreadable (the mapping reports that).</summary>
    public static DateTimeOffset? ReadTimestamp(FeedRow row, string column) => ReadTimestamp(row, column, []);

    private static DateTimeOffset? ReadTimestamp(FeedRow row, string column, List<string> problems) =>
        row[column] is { } value ? ToTimestamp(column, value, problems) : null;

    private static DateTimeOffset? ToTimestamp(string column, object value, List<string> problems)
    {
        switch (value)
        {
            case DateTimeOffset dto:
                return dto.ToUniversalTime();
            case DateTime dt:
                // timestamptz arrives as UTC; a plain timestamp column is taken as UTC too (documented in the README).
                return new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc));
            default:
                if (DateTimeOffset.TryParse(Text(value), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    return parsed.ToUniversalTime();
                }

                problems.Add($"{column} '{Truncate(Text(value))}' is not a timestamp");
                return null;
        }
    }

    /// <summary>RFC 3339 in UTC, with fractions only when present, so equal instants always serialize alike.</summary>
    public static string FormatTimestamp(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return utc.ToString(utc.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
    }

    private static void RequireAttribute(JsonObject attributes, string attribute, string column, List<string> problems)
    {
        if (!attributes.ContainsKey(attribute) && !problems.Any(p => p.StartsWith(column + " ", StringComparison.Ordinal)))
        {
            problems.Add($"{column} is missing");
        }
    }

    private static T? Fail<T>(List<string> problems, string problem)
        where T : class
    {
        problems.Add(problem);
        return null;
    }

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
