using System.Text;

namespace FeedSync.MerchantEmulator;

/// <summary>
/// Product resource ids: <c>contentLanguage~feedLabel~offerId</c> (plain) or its unpadded base64url
/// encoding. Google tells the two apart by the presence of <c>~</c>; the emulator keys everything
/// by the plain (decoded) form.
/// </summary>
internal static class ProductName
{
    public static string Encode(string plain) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(plain)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes one URL path segment (percent-encoded, plain or base64url) to the plain id.</summary>
    public static string Decode(string segment)
    {
        var text = Uri.UnescapeDataString(segment);
        if (text.Contains('~', StringComparison.Ordinal))
        {
            return Validate(text, segment);
        }

        return TryDecodeBase64Url(text, out var plain) ? Validate(plain, segment) : throw Invalid(segment);
    }

    public static bool TryDecodeBase64Url(string text, out string decoded)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        var bytes = new byte[base64.Length];
        var ok = Convert.TryFromBase64String(base64, bytes, out var length);
        decoded = ok ? Encoding.UTF8.GetString(bytes, 0, length) : "";
        return ok;
    }

    public static string Plain(string contentLanguage, string feedLabel, string offerId, bool legacyLocal) =>
        (legacyLocal ? "local~" : "") + $"{contentLanguage}~{feedLabel}~{offerId}";

    private static string Validate(string plain, string segment)
    {
        // local~lang~label~offer or lang~label~offer; the offer id itself may contain '~'.
        var parts = plain.Split('~');
        var minimum = parts[0] == "local" ? 4 : 3;
        return parts.Length >= minimum && parts.Take(minimum).All(p => p.Length > 0) ? plain : throw Invalid(segment);
    }

    private static ApiException Invalid(string segment) => ApiException.Invalid(
        "INVALID_PRODUCT_NAME",
        $"The product id `{segment}` is neither `contentLanguage~feedLabel~offerId` nor its unpadded base64url encoding.",
        "name");
}
