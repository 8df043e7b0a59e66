using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FeedSync.MerchantEmulator;

/// <summary>
/// Checks a JSON body against a compiled discovery schema the way Google's JSON front end does
/// (proto3 JSON mapping): unknown fields are rejected, 64-bit integers may be strings or numbers,
/// timestamps are RFC 3339, enums must be listed, and <c>null</c> means "not set".
/// Every error starts with the JSON path of the offending value.
/// </summary>
internal sealed partial class BodyValidator(IReadOnlyDictionary<string, SchemaNode> schemas)
{
    // A runaway body should not produce a megabyte of errors; the first few are what matters.
    private const int MaxErrors = 25;

    public void Validate(JsonElement value, SchemaNode schema, string path, List<string> errors)
    {
        if (errors.Count >= MaxErrors || value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        schema = Resolve(schema);
        switch (schema.Type)
        {
            case "object":
                ValidateObject(value, schema, path, errors);
                break;
            case "array":
                ValidateArray(value, schema, path, errors);
                break;
            case "string":
                ValidateString(value, schema, path, errors);
                break;
            case "integer":
                ValidateInteger(value, schema.Format ?? "int32", path, errors);
                break;
            case "number":
                if (!IsNumber(value))
                {
                    errors.Add($"{path}: expected a number, got {Describe(value)}");
                }

                break;
            case "boolean":
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add($"{path}: expected true or false, got {Describe(value)}");
                }

                break;
            default:
                // "any" (google.protobuf.Value) and untyped schemas accept every JSON value.
                break;
        }
    }

    public SchemaNode Resolve(SchemaNode schema)
    {
        // Chains of $ref are one step deep in discovery documents, but loop to be safe.
        for (var hops = 0; schema.Ref is { } name && hops < 8; hops++)
        {
            schema = schemas.TryGetValue(name, out var target)
                ? target
                : throw new InvalidOperationException($"Discovery schema {name} referenced by {schema.Name} does not exist.");
        }

        return schema;
    }

    private void ValidateObject(JsonElement value, SchemaNode schema, string path, List<string> errors)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{path}: expected an object ({schema.Name}), got {Describe(value)}");
            return;
        }

        foreach (var property in value.EnumerateObject())
        {
            var childPath = $"{path}.{property.Name}";
            if (schema.Properties?.TryGetValue(property.Name, out var child) == true)
            {
                Validate(property.Value, child, childPath, errors);
            }
            else if (schema.AdditionalProperties is { } map)
            {
                Validate(property.Value, map, childPath, errors);
            }
            else if (errors.Count < MaxErrors)
            {
                errors.Add($"{childPath}: unknown field \"{property.Name}\" (schema {schema.Name} has no such property)");
            }
        }
    }

    private void ValidateArray(JsonElement value, SchemaNode schema, string path, List<string> errors)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{path}: expected an array, got {Describe(value)}");
            return;
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = $"{path}[{index++}]";
            if (item.ValueKind == JsonValueKind.Null)
            {
                errors.Add($"{itemPath}: null is not allowed inside a repeated field");
            }
            else if (schema.Items is { } items)
            {
                Validate(item, items, itemPath, errors);
            }
        }
    }

    private static void ValidateString(JsonElement value, SchemaNode schema, string path, List<string> errors)
    {
        // 64-bit integers are strings in discovery ("format": "int64") but proto3 JSON accepts numbers too.
        if (schema.Format is "int64" or "uint64" or "int32" or "uint32")
        {
            ValidateInteger(value, schema.Format, path, errors);
            return;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add($"{path}: expected a string, got {Describe(value)}");
            return;
        }

        var text = value.GetString()!;
        if (schema.Enum is { } allowed && !allowed.Contains(text))
        {
            var listed = string.Join(", ", allowed.Take(12)) + (allowed.Count > 12 ? ", ..." : "");
            errors.Add($"{path}: invalid value \"{text}\" for enum {schema.Name}; expected one of {listed}");
            return;
        }

        var problem = schema.Format switch
        {
            "google-datetime" when !IsRfc3339(text) => "expected an RFC 3339 timestamp such as 2026-05-01T00:00:00Z",
            "google-duration" when !DurationPattern().IsMatch(text) => "expected a duration such as \"3.5s\"",
            "byte" when !IsBase64(text) => "expected base64-encoded bytes",
            "date" when !DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) => "expected a date yyyy-MM-dd",
            _ => null,
        };
        if (problem is not null)
        {
            errors.Add($"{path}: {problem}, got \"{text}\"");
        }
    }

    private static void ValidateInteger(JsonElement value, string format, string path, List<string> errors)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        var ok = text is not null && format switch
        {
            "uint64" => ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _),
            "uint32" => uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _),
            "int32" => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            _ => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        };
        if (!ok)
        {
            errors.Add($"{path}: expected an {format} integer (a JSON string or number), got {Describe(value)}");
        }
    }

    private static bool IsNumber(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => true,
        // proto3 JSON spells the special doubles as strings; numeric strings are accepted as well.
        JsonValueKind.String => value.GetString() is "NaN" or "Infinity" or "-Infinity"
            || double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        _ => false,
    };

    internal static bool IsRfc3339(string text) =>
        Rfc3339Pattern().IsMatch(text)
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    private static bool IsBase64(string text)
    {
        var standard = text.Replace('-', '+').Replace('_', '/');
        standard = standard.PadRight(standard.Length + ((4 - (standard.Length % 4)) % 4), '=');
        return Convert.TryFromBase64String(standard, new byte[standard.Length], out _);
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"\"{value.GetString()}\"",
        _ => value.GetRawText(),
    };

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339Pattern();

    [GeneratedRegex(@"^-?\d+(\.\d{1,9})?s$")]
    private static partial Regex DurationPattern();
}
