using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FeedSync.Publish;

/// <summary>Which Merchant Center product a destination row is: content language, feed label and offer id.</summary>
internal readonly record struct ProductIdentity(string ContentLanguage, string FeedLabel, string OfferId)
{
    /// <summary>The readable resource id <c>en~US~sku</c>.</summary>
    public string Id => $"{ContentLanguage}~{FeedLabel}~{OfferId}";

    /// <summary>
    /// Unpadded base64url of <see cref="Id"/>. Google accepts both forms, but only this one is safe for offer ids
    /// containing <c>/ % ~ . + , :</c> and friends, so every URL uses it.
    /// </summary>
    public string EncodedId => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Id));

    public override string ToString() => Id;
}

internal sealed record CustomAttribute(string Name, string Value);

/// <summary>
/// The Merchant API v1 <c>ProductInput</c> FeedSync sends. Attributes are held as JSON in the wire shape
/// (camelCase names, micros as strings, enums upper-case) and always built in the same order, so the
/// serialized form is canonical and its hash identifies the content. Treated as immutable once built: the
/// canonical JSON and the hash are computed once, because one push step needs each of them several times
/// (diff, call body, recording) for every product.
/// </summary>
internal sealed class ProductInput
{
    private byte[]? _canonicalUtf8;
    private string? _canonicalJson;
    private byte[]? _contentHash;

    public ProductInput(ProductIdentity identity, JsonObject productAttributes, IReadOnlyList<CustomAttribute> customAttributes)
    {
        Identity = identity;
        ProductAttributes = productAttributes;
        CustomAttributes = customAttributes;
    }

    public ProductIdentity Identity { get; }

    public JsonObject ProductAttributes { get; }

    public IReadOnlyList<CustomAttribute> CustomAttributes { get; }

    /// <summary>The full request body for <c>productInputs.insert</c>.</summary>
    public JsonObject ToJson() => ToJson(attributeFilter: null);

    /// <summary>A body carrying only the named top-level attributes (for a masked patch).</summary>
    public JsonObject ToJson(IReadOnlyCollection<string>? attributeFilter)
    {
        var attributes = new JsonObject();
        foreach (var (name, value) in ProductAttributes)
        {
            if (attributeFilter is null || attributeFilter.Contains(name))
            {
                attributes[name] = value?.DeepClone();
            }
        }

        var json = new JsonObject
        {
            ["offerId"] = Identity.OfferId,
            ["contentLanguage"] = Identity.ContentLanguage,
            ["feedLabel"] = Identity.FeedLabel,
            ["productAttributes"] = attributes,
        };
        if (attributeFilter is null && CustomAttributesJson() is { } custom)
        {
            json["customAttributes"] = custom;
        }

        return json;
    }

    /// <summary>The <c>customAttributes</c> array as sent, or null when there are none.</summary>
    public JsonArray? CustomAttributesJson() => CustomAttributes.Count == 0
        ? null
        : new JsonArray(CustomAttributes.Select(a => (JsonNode)new JsonObject { ["name"] = a.Name, ["value"] = a.Value }).ToArray());

    /// <summary>The insert body as compact JSON: the same text <see cref="ToJson()"/> serializes to.</summary>
    public string ToCanonicalJson() => _canonicalJson ??= Encoding.UTF8.GetString(CanonicalUtf8());

    /// <summary>SHA-256 of the canonical JSON: equal hashes mean Google would receive identical content.</summary>
    /// <remarks>Callers must not change the returned array (it is the cached hash).</remarks>
    public byte[] ContentHash() => _contentHash ??= SHA256.HashData(CanonicalUtf8());

    /// <summary>
    /// Writes the canonical JSON straight into a buffer, without cloning the attributes into a new tree: every push
    /// needs it for the hash, the request body and the record, and reconciliation hashes every product of the catalog.
    /// </summary>
    private byte[] CanonicalUtf8() => _canonicalUtf8 ??= WriteCanonicalUtf8();

    private byte[] WriteCanonicalUtf8()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(2048);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("offerId", Identity.OfferId);
            writer.WriteString("contentLanguage", Identity.ContentLanguage);
            writer.WriteString("feedLabel", Identity.FeedLabel);
            writer.WritePropertyName("productAttributes");
            ProductAttributes.WriteTo(writer);
            if (CustomAttributes.Count > 0)
            {
                writer.WriteStartArray("customAttributes");
                foreach (var attribute in CustomAttributes)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", attribute.Name);
                    writer.WriteString("value", attribute.Value);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    internal static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };
}
