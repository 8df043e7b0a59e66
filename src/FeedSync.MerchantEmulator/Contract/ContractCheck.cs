namespace FeedSync.MerchantEmulator;

/// <summary>
/// Result of checking one request against a discovery document. <see cref="Method"/> is null when
/// no method of the document serves the URL; the emulator answers that with 404 like Google does.
/// </summary>
internal sealed record ContractCheck(
    DiscoveryMethod? Method,
    IReadOnlyDictionary<string, string> PathParameters,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    IReadOnlyList<string> Errors)
{
    public string? QueryValue(string name) =>
        Query.Where(p => p.Key == name).Select(p => p.Value).FirstOrDefault();
}
