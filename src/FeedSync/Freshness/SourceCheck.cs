using System.Buffers.Binary;
using System.Security.Cryptography;
using FeedSync.Catalog;

namespace FeedSync.Freshness;

/// <summary>
/// The proof reconciliation keeps in <c>last_pushed.reconciled_source</c> that a destination needs no mapping: a hash
/// of everything the mapping of that row depends on — the row's fingerprint (every column), whether its sale window
/// is open on FeedSync's clock, and <see cref="ProductMapper.Version"/> — bound to the content hash it was verified
/// to map to. While all of these and the stored content hash are unchanged, the row maps to what Google holds.
/// </summary>
internal static class SourceCheck
{
    public static byte[] Compute(ReadOnlySpan<byte> source, bool saleInEffect, ReadOnlySpan<byte> contentHash) =>
        Compute(source, saleInEffect, contentHash, ProductMapper.Version);

    /// <param name="mapperVersion">Only tests pass another version than the current <see cref="ProductMapper.Version"/>.</param>
    public static byte[] Compute(ReadOnlySpan<byte> source, bool saleInEffect, ReadOnlySpan<byte> contentHash, int mapperVersion)
    {
        Span<byte> buffer = stackalloc byte[4 + 1 + 2 + source.Length + contentHash.Length];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, mapperVersion);
        buffer[4] = saleInEffect ? (byte)1 : (byte)0;

        // The source length is written so the two variable parts cannot shift into each other.
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[5..], (ushort)source.Length);
        source.CopyTo(buffer[7..]);
        contentHash.CopyTo(buffer[(7 + source.Length)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The only input of the mapping that depends on the clock (see <c>ProductMapper.AddPrices</c>).</summary>
    public static bool SaleInEffect(FeedRow row, DateTimeOffset now) =>
        SaleWindow.IsInEffect(ProductMapper.ReadTimestamp(row, "sale_price_start"), ProductMapper.ReadTimestamp(row, "sale_price_end"), now);
}
