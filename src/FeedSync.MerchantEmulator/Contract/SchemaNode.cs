using System.Text.Json;

namespace FeedSync.MerchantEmulator;

/// <summary>
/// One discovery JSON schema, compiled once so that validating a request body never re-reads the
/// discovery document. <c>$ref</c> nodes stay unresolved and are looked up by name at validation
/// time, which keeps recursive schemas (CustomAttribute.groupValues) finite.
/// </summary>
internal sealed class SchemaNode
{
    public required string Name { get; init; }
    public string? Type { get; init; }
    public string? Format { get; init; }
    public string? Ref { get; init; }
    public bool ReadOnly { get; init; }
    public HashSet<string>? Enum { get; init; }
    public Dictionary<string, SchemaNode>? Properties { get; init; }
    public SchemaNode? Items { get; init; }
    public SchemaNode? AdditionalProperties { get; init; }

    public static SchemaNode Compile(string name, JsonElement json)
    {
        Dictionary<string, SchemaNode>? properties = null;
        if (json.TryGetProperty("properties", out var props))
        {
            properties = new Dictionary<string, SchemaNode>(StringComparer.Ordinal);
            foreach (var p in props.EnumerateObject())
            {
                properties[p.Name] = Compile($"{name}.{p.Name}", p.Value);
            }
        }

        return new SchemaNode
        {
            Name = name,
            Type = Text(json, "type"),
            Format = Text(json, "format"),
            Ref = Text(json, "$ref"),
            ReadOnly = json.TryGetProperty("readOnly", out var ro) && ro.ValueKind == JsonValueKind.True,
            Enum = json.TryGetProperty("enum", out var e)
                ? e.EnumerateArray().Select(v => v.GetString() ?? "").ToHashSet(StringComparer.Ordinal)
                : null,
            Properties = properties,
            Items = json.TryGetProperty("items", out var items) ? Compile($"{name}[]", items) : null,
            AdditionalProperties = json.TryGetProperty("additionalProperties", out var ap) && ap.ValueKind == JsonValueKind.Object
                ? Compile($"{name}{{}}", ap)
                : null,
        };
    }

    private static string? Text(JsonElement json, string property) =>
        json.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
