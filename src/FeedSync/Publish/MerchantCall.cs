using FeedSync.Diff;

namespace FeedSync.Publish;

/// <summary>One product call to make: insert, masked patch or delete of one product input.</summary>
internal sealed record MerchantCall(PushAction Action, ProductIdentity Identity, ProductInput? Input, IReadOnlyList<string> UpdateMask)
{
    public static MerchantCall Insert(ProductInput input) => new(PushAction.Insert, input.Identity, input, []);

    public static MerchantCall Patch(ProductInput input, IReadOnlyList<string> updateMask) => new(PushAction.Patch, input.Identity, input, updateMask);

    public static MerchantCall Delete(ProductIdentity identity) => new(PushAction.Delete, identity, null, []);

    /// <summary>The HTTP request for this call, relative to the API root (no leading slash).</summary>
    public HttpCall ToHttp(MerchantCenterOptions options)
    {
        var dataSource = Uri.EscapeDataString(options.DataSourceName);
        var inputPath = $"products/v1/{options.AccountName}/productInputs/{Identity.EncodedId}";
        switch (Action)
        {
            case PushAction.Insert:
                return new HttpCall(HttpMethod.Post, $"products/v1/{options.AccountName}/productInputs:insert?dataSource={dataSource}", Input!.ToCanonicalJson());
            case PushAction.Patch:
                var attributes = UpdateMask.Select(m => m.StartsWith(ProductDiff.MaskPrefix, StringComparison.Ordinal) ? m[ProductDiff.MaskPrefix.Length..] : m).ToList();
                var mask = string.Join(',', UpdateMask.Select(Uri.EscapeDataString));
                return new HttpCall(HttpMethod.Patch, $"{inputPath}?dataSource={dataSource}&updateMask={mask}", Input!.ToJson(attributes).ToJsonString(ProductInput.JsonOptions));
            case PushAction.Delete:
                return new HttpCall(HttpMethod.Delete, $"{inputPath}?dataSource={dataSource}", null);
            default:
                throw new InvalidOperationException($"No Merchant API call for {Action}");
        }
    }
}

/// <summary>Method, relative URL and JSON body of one Merchant API request.</summary>
internal readonly record struct HttpCall(HttpMethod Method, string RelativeUrl, string? JsonBody);

/// <summary>The results of one batch round so far, in call order (null: not answered yet).</summary>
internal sealed record BatchOutcome(IReadOnlyList<MerchantResult?> Results) : IResilienceOutcome
{
    public bool RetryInCall => Results.Any(r => r is null || r.RetryInCall);

    /// <summary>A batch counts as a failure for the circuit when most of its parts say the API is failing.</summary>
    public bool CountsAgainstCircuit => Results.Count(r => r?.CountsAgainstCircuit == true) * 2 > Results.Count;

    public TimeSpan? RetryAfter => Results.Where(r => r?.RetryInCall == true).Max(r => r!.RetryAfter);

    public override string ToString() =>
        string.Join(", ", Results.GroupBy(r => r?.Kind).Select(g => $"{g.Count()} {g.Key?.ToString() ?? "unanswered"}"));
}
