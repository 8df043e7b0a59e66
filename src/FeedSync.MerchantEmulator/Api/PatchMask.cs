using System.Text.Json.Nodes;

namespace FeedSync.MerchantEmulator;

/// <summary>
/// Applies <c>productInputs.patch</c> the way Google documents it: a field named in the update mask
/// is set from the body, or deleted when the body lacks it; fields outside the mask are untouched;
/// without a mask, the implied mask is every populated field of the body (nothing is deleted).
/// Only top-level product attributes and custom attributes may be named.
/// </summary>
internal static class PatchMask
{
    private enum Target { Attribute, CustomList, CustomNamed }

    private readonly record struct Operation(Target Target, string Key);

    public static void Apply(JsonObject stored, JsonObject body, string? mask)
    {
        var operations = string.IsNullOrWhiteSpace(mask) ? Implied(body) : Parse(mask);
        var attributes = stored["productAttributes"] as JsonObject ?? [];
        stored.Remove("productAttributes");
        var bodyAttributes = body["productAttributes"] as JsonObject;
        foreach (var op in operations)
        {
            switch (op.Target)
            {
                case Target.Attribute:
                    attributes.Remove(op.Key);
                    if (bodyAttributes?[op.Key] is { } value)
                    {
                        attributes[op.Key] = value.DeepClone();
                    }

                    break;
                case Target.CustomList:
                    stored["customAttributes"] = body["customAttributes"]?.DeepClone();
                    break;
                case Target.CustomNamed:
                    ReplaceCustom(stored, body, op.Key);
                    break;
            }
        }

        if (attributes.Count > 0)
        {
            stored["productAttributes"] = attributes;
        }

        if (stored["customAttributes"] is not JsonArray { Count: > 0 })
        {
            stored.Remove("customAttributes");
        }
    }

    private static List<Operation> Parse(string mask)
    {
        var operations = new List<Operation>();
        foreach (var raw in mask.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw == "*")
            {
                throw ApiException.Invalid("UNSUPPORTED_UPDATE_MASK",
                    "Providing special \"*\" value for full product replacement is not supported.", "update_mask");
            }

            var dot = raw.IndexOf('.', StringComparison.Ordinal);
            var head = FieldMaskCheck.ToCamel(dot < 0 ? raw : raw[..dot]);
            var rest = dot < 0 ? null : raw[(dot + 1)..];
            operations.Add(head switch
            {
                "productAttributes" when rest is not null && !rest.Contains('.', StringComparison.Ordinal)
                    => new Operation(Target.Attribute, FieldMaskCheck.ToCamel(rest)),
                "customAttributes" or "customAttribute" when rest is null => new Operation(Target.CustomList, ""),
                "customAttributes" or "customAttribute" => new Operation(Target.CustomNamed, rest!),
                _ => throw ApiException.Invalid("INVALID_UPDATE_MASK",
                    $"Update mask path `{raw}` is not supported: only top-level fields in productAttributes " +
                    "(e.g. productAttributes.price) and custom attributes can be updated.", "update_mask"),
            });
        }

        return operations;
    }

    private static List<Operation> Implied(JsonObject body)
    {
        var operations = new List<Operation>();
        if (body["productAttributes"] is JsonObject attributes)
        {
            operations.AddRange(attributes.Where(p => ProductJson.IsPopulated(p.Value))
                .Select(p => new Operation(Target.Attribute, p.Key)));
        }

        if (body["customAttributes"] is JsonArray customs)
        {
            operations.AddRange(customs.OfType<JsonObject>()
                .Select(c => c["name"]?.GetValue<string>())
                .Where(n => !string.IsNullOrEmpty(n))
                .Distinct(StringComparer.Ordinal)
                .Select(n => new Operation(Target.CustomNamed, n!)));
        }

        return operations;
    }

    private static void ReplaceCustom(JsonObject stored, JsonObject body, string name)
    {
        var kept = (stored["customAttributes"] as JsonArray ?? [])
            .Where(c => !SameName(c, name))
            .Select(c => c?.DeepClone());
        var added = (body["customAttributes"] as JsonArray ?? [])
            .Where(c => SameName(c, name))
            .Select(c => c?.DeepClone());
        stored["customAttributes"] = new JsonArray(kept.Concat(added).ToArray());
    }

    // Google turns underscores in custom attribute names into spaces, so both spellings are one name.
    private static bool SameName(JsonNode? attribute, string name) =>
        attribute?["name"]?.GetValue<string>() is { } n
        && string.Equals(n.Replace('_', ' '), name.Replace('_', ' '), StringComparison.OrdinalIgnoreCase);
}
