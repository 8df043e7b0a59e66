using Npgsql;

namespace FeedSync.Publish;

/// <summary>Destinations as SQL parameters: three parallel arrays, read with <c>unnest(@offers, @languages, @labels)</c>.</summary>
internal static class IdentityParameters
{
    /// <summary>Adds <c>@offers</c>, <c>@languages</c> and <c>@labels</c>, one element per destination, in order.</summary>
    public static NpgsqlParameterCollection AddIdentities(this NpgsqlParameterCollection parameters, IEnumerable<ProductIdentity> identities)
    {
        var list = identities as IReadOnlyCollection<ProductIdentity> ?? identities.ToList();
        parameters.AddWithValue("offers", list.Select(i => i.OfferId).ToArray());
        parameters.AddWithValue("languages", list.Select(i => i.ContentLanguage).ToArray());
        parameters.AddWithValue("labels", list.Select(i => i.FeedLabel).ToArray());
        return parameters;
    }
}
