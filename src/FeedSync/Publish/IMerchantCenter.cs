namespace FeedSync.Publish;

/// <summary>
/// The Merchant Center side, kept behind one small interface so another transport could be added; only
/// Merchant API v1 over REST is built.
/// </summary>
internal interface IMerchantCenter
{
    Task<MerchantResult> InsertAsync(ProductInput input, CancellationToken cancellationToken);

    /// <summary>Patch exactly the masked attributes; a masked attribute absent from the input is cleared.</summary>
    Task<MerchantResult> PatchAsync(ProductInput input, IReadOnlyList<string> updateMask, CancellationToken cancellationToken);

    Task<MerchantResult> DeleteAsync(ProductIdentity identity, CancellationToken cancellationToken);

    /// <summary>Makes many calls (batched or concurrently, as configured); one result per call, in call order.</summary>
    Task<IReadOnlyList<MerchantResult>> ExecuteAsync(IReadOnlyList<MerchantCall> calls, CancellationToken cancellationToken);
}
