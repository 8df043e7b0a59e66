using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace FeedSync.Publish;

/// <summary>One answered part of a batch response: its Content-ID (without <c>response-</c>), status, headers and body.</summary>
internal sealed record BatchResponsePart(string ContentId, int Status, TimeSpan? RetryAfter, string Body);

/// <summary>
/// Google's HTTP batch format (<c>multipart/mixed</c>, one <c>application/http</c> part per call): requests carry
/// a path without the host and a Content-ID; each response part repeats it as <c>response-&lt;id&gt;</c> with its
/// own status line and body. Parts may come back in any order, so correlation is by Content-ID only.
/// </summary>
internal static class MerchantBatchCodec
{
    private const string Crlf = "\r\n";

    /// <summary>
    /// The request body, one small UTF-8 segment per part. A batch of a hundred inserts is ~150 KB: built as one
    /// string (and again as its UTF-8 bytes) it went to the large object heap twice per call. With the answer read
    /// as one string too, those were what set off a full (gen2) collection about once a second in the end-to-end benchmark.
    /// </summary>
    public static HttpContent Encode(IReadOnlyList<(string ContentId, HttpCall Call)> parts, string boundary)
    {
        var segments = new List<byte[]>(parts.Count + 1);
        var text = new StringBuilder();
        foreach (var (contentId, call) in parts)
        {
            text.Clear().Append("--").Append(boundary).Append(Crlf)
                .Append("Content-Type: application/http").Append(Crlf)
                .Append("Content-ID: <").Append(contentId).Append('>').Append(Crlf)
                .Append(Crlf)
                .Append(call.Method.Method).Append(" /").Append(call.RelativeUrl).Append(" HTTP/1.1").Append(Crlf);
            if (call.JsonBody is not null)
            {
                text.Append("Content-Type: application/json").Append(Crlf).Append(Crlf).Append(call.JsonBody).Append(Crlf);
            }
            else
            {
                text.Append(Crlf);
            }

            segments.Add(Encoding.UTF8.GetBytes(text.ToString()));
        }

        segments.Add(Encoding.UTF8.GetBytes($"--{boundary}--{Crlf}"));
        return new SegmentedContent(segments, MediaTypeHeaderValue.Parse($"multipart/mixed; boundary={boundary}"));
    }

    /// <summary>The boundary parameter of a multipart content type, or null.</summary>
    public static string? Boundary(MediaTypeHeaderValue? contentType) =>
        contentType?.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"');

    /// <summary>
    /// Parses a batch response body line by line; parts that are not well-formed are skipped (their calls count as
    /// unanswered). Reading lines keeps every string part-sized: the whole body as one string is large-object-heap sized.
    /// </summary>
    public static async Task<List<BatchResponsePart>> DecodeAsync(TextReader body, string boundary, CancellationToken cancellationToken)
    {
        var parts = new List<BatchResponsePart>();
        var delimiter = "--" + boundary;
        StringBuilder? raw = null; // null before the first delimiter: the preamble is not a part
        while (await body.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!line.StartsWith(delimiter, StringComparison.Ordinal))
            {
                raw?.Append(line).Append('\n');
                continue;
            }

            if (raw is not null && ParsePart(raw.ToString()) is { } part)
            {
                parts.Add(part);
            }

            if (line.AsSpan(delimiter.Length).StartsWith("--", StringComparison.Ordinal))
            {
                return parts; // the closing delimiter
            }

            (raw ??= new StringBuilder()).Clear();
        }

        // No closing delimiter (a truncated answer): the last part counts only if it is complete enough to parse.
        if (raw is not null && ParsePart(raw.ToString()) is { } last)
        {
            parts.Add(last);
        }

        return parts;
    }

    private static BatchResponsePart? ParsePart(string raw)
    {
        using var reader = new StringReader(raw.TrimStart('\r', '\n'));
        var outer = ReadHeaders(reader);
        var contentId = outer.GetValueOrDefault("content-id")?.Trim().Trim('<', '>');
        var statusLine = reader.ReadLine();
        while (statusLine is { Length: 0 })
        {
            statusLine = reader.ReadLine();
        }

        // "HTTP/1.1 404 Not Found"
        var fields = statusLine?.Split(' ', 3);
        if (contentId is null || fields is null || fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            return null;
        }

        var inner = ReadHeaders(reader);
        TimeSpan? retryAfter = inner.TryGetValue("retry-after", out var value) && int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds) : null;
        const string ResponsePrefix = "response-";
        var id = contentId.StartsWith(ResponsePrefix, StringComparison.Ordinal) ? contentId[ResponsePrefix.Length..] : contentId;
        return new BatchResponsePart(id, status, retryAfter, reader.ReadToEnd().TrimEnd('\r', '\n'));
    }

    private static Dictionary<string, string> ReadHeaders(StringReader reader)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var line = reader.ReadLine(); !string.IsNullOrEmpty(line); line = reader.ReadLine())
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        return headers;
    }

    /// <summary>A request body sent segment by segment, with its length known up front (no chunked encoding).</summary>
    private sealed class SegmentedContent : HttpContent
    {
        private readonly List<byte[]> _segments;

        public SegmentedContent(List<byte[]> segments, MediaTypeHeaderValue contentType)
        {
            _segments = segments;
            Headers.ContentType = contentType;
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            foreach (var segment in _segments)
            {
                await stream.WriteAsync(segment, cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _segments.Sum(s => (long)s.Length);
            return true;
        }
    }
}
