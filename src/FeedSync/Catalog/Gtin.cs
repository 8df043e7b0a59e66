namespace FeedSync.Catalog;

/// <summary>GTIN-8/12/13/14 check-digit validation (GS1 mod-10).</summary>
internal static class Gtin
{
    public static bool IsValid(string gtin, out int expectedCheckDigit)
    {
        expectedCheckDigit = -1;
        if (gtin.Length is not (8 or 12 or 13 or 14) || !gtin.All(char.IsAsciiDigit))
        {
            return false;
        }

        // Weights alternate 3,1,3,… starting from the digit next to the check digit.
        var sum = 0;
        var weight = 3;
        for (var i = gtin.Length - 2; i >= 0; i--)
        {
            sum += (gtin[i] - '0') * weight;
            weight = 4 - weight;
        }

        expectedCheckDigit = (10 - (sum % 10)) % 10;
        return gtin[^1] - '0' == expectedCheckDigit;
    }
}
