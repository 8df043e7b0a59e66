using System.Globalization;
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

    public static string Encode(IReadOnlyList<(string ContentId, HttpCall Call)> parts, string boundary)
    {
        var text = new StringBuilder();
        foreach (var (contentId, call) in parts)
        {
            text.Append("--").Append(boundary).Append(Crlf)
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
        }

        return text.Append("--").Append(boundary).Append("--").Append(Crlf).ToString();
    }

    /// <summary>The boundary parameter of a multipart content type, or null.</summary>
    public static string? Boundary(MediaTypeHeaderValue? contentType) =>
        contentType?.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"');

    /// <summary>Parses a batch response body; parts that are not well-formed are skipped (their calls count as unanswered).</summary>
    public static List<BatchResponsePart> Decode(string body, string boundary)
    {
        var parts = new List<BatchResponsePart>();
        var delimiter = "--" + boundary;
        foreach (var raw in body.Split(delimiter, StringSplitOptions.None).Skip(1))
        {
            if (raw.StartsWith("--", StringComparison.Ordinal))
            {
                break; // the closing delimiter
            }

            if (ParsePart(raw) is { } part)
            {
                parts.Add(part);
            }
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
}
