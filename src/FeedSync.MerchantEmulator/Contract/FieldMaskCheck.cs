using System.Text;

namespace FeedSync.MerchantEmulator;

/// <summary>
/// Checks a <c>google-fieldmask</c> query parameter (such as <c>updateMask</c>) against the request
/// schema, so a typo like <c>productAttributes.salesPrice</c> is caught instead of silently deleting
/// nothing. Paths may use JSON (camelCase) or proto (snake_case) names, as Google accepts both.
/// </summary>
internal static class FieldMaskCheck
{
    // The updateMask description in the products discovery document asks for a `custom_attribute.`
    // prefix for custom attributes, a name that is not a field of ProductInput; Google's own samples
    // use `custom_attributes.` / `customAttributes.`, which resolve normally.
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["custom_attribute"] = "customAttributes",
        ["customAttribute"] = "customAttributes",
    };

    public static void Check(string mask, BodyValidator schemas, SchemaNode root, string parameter, List<string> errors)
    {
        foreach (var raw in mask.Split(','))
        {
            var path = raw.Trim();
            if (path == "*")
            {
                continue; // Syntactically valid; whether a method supports it is the server's call.
            }

            if (Problem(path, schemas, root) is { } problem)
            {
                errors.Add($"query parameter \"{parameter}\": path \"{path}\" {problem}");
            }
        }
    }

    private static string? Problem(string path, BodyValidator schemas, SchemaNode root)
    {
        var segments = path.Split('.');
        var schema = root;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = i == 0 ? Aliases.GetValueOrDefault(segments[i], segments[i]) : segments[i];
            if (segment.Length == 0)
            {
                return "has an empty segment";
            }

            if (schema.Properties?.TryGetValue(ToCamel(segment), out var child) != true || child is null)
            {
                return $"does not name a field: {schema.Name} has no property \"{ToCamel(segment)}\"";
            }

            var resolved = schemas.Resolve(child);
            if (resolved.Type == "array" || resolved.AdditionalProperties is not null)
            {
                return null; // What follows a repeated field or a map is a key, e.g. a custom attribute name.
            }

            if (resolved.Type != "object" && i < segments.Length - 1)
            {
                return $"descends into \"{segment}\", which is not a message";
            }

            schema = resolved;
        }

        return null;
    }

    internal static string ToCamel(string name)
    {
        if (!name.Contains('_', StringComparison.Ordinal))
        {
            return name;
        }

        var sb = new StringBuilder(name.Length);
        var upper = false;
        foreach (var c in name)
        {
            if (c == '_')
            {
                upper = true;
                continue;
            }

            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return sb.ToString();
    }
}
