using System.Net;
using System.Text;

namespace FeedSync.MerchantEmulator;

/// <summary>One call inside a batch request.</summary>
internal sealed record BatchPart(string? ContentId, string Method, string PathAndQuery, string? Body);

/// <summary>
/// Reads and writes Google's HTTP batch bodies (<c>multipart/mixed</c> of <c>application/http</c> parts). A part
/// that is not a well-formed HTTP request makes the whole batch a 400, as with Google.
/// </summary>
internal static class BatchMultipart
{
    private const string Crlf = "\r\n";

    public static string? Boundary(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith("multipart/mixed", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var parameter = contentType.Split(';').Select(p => p.Trim()).FirstOrDefault(p => p.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase));
        return parameter?["boundary=".Length..].Trim('"');
    }

    public static List<BatchPart> Parse(string body, string boundary)
    {
        var parts = new List<BatchPart>();
        foreach (var raw in body.Split("--" + boundary, StringSplitOptions.None).Skip(1))
        {
            if (raw.StartsWith("--", StringComparison.Ordinal))
            {
                return parts;
            }

            using var reader = new StringReader(raw.TrimStart('\r', '\n'));
            var outer = ReadHeaders(reader);
            if (!outer.TryGetValue("Content-Type", out var type) || !type.StartsWith("application/http", StringComparison.OrdinalIgnoreCase))
            {
                throw ApiException.Invalid("INVALID_BATCH_PART", "Each batch part must have Content-Type: application/http.");
            }

            var requestLine = reader.ReadLine()?.Split(' ');
            if (requestLine is not { Length: >= 2 } || !requestLine[1].StartsWith('/'))
            {
                throw ApiException.Invalid("INVALID_BATCH_PART", "Each batch part must start with a request line such as `PATCH /products/v1/... HTTP/1.1` (a path, no host).");
            }

            ReadHeaders(reader);
            var content = reader.ReadToEnd().TrimEnd('\r', '\n');
            parts.Add(new BatchPart(outer.GetValueOrDefault("Content-ID")?.Trim('<', '>'), requestLine[0], requestLine[1], content.Length == 0 ? null : content));
        }

        throw ApiException.Invalid("INVALID_BATCH", "The batch body does not end with the closing boundary.");
    }

    public static string Write(IEnumerable<(string? ContentId, int Status, string Json)> answers, string boundary)
    {
        var text = new StringBuilder();
        foreach (var (contentId, status, json) in answers)
        {
            text.Append("--").Append(boundary).Append(Crlf).Append("Content-Type: application/http").Append(Crlf);
            if (contentId is not null)
            {
                text.Append("Content-ID: <response-").Append(contentId).Append('>').Append(Crlf);
            }

            text.Append(Crlf)
                .Append("HTTP/1.1 ").Append(status).Append(' ').Append(Reason(status)).Append(Crlf)
                .Append("Content-Type: application/json; charset=UTF-8").Append(Crlf)
                .Append(Crlf).Append(json).Append(Crlf);
        }

        return text.Append("--").Append(boundary).Append("--").Append(Crlf).ToString();
    }

    private static string Reason(int status) => Enum.IsDefined((HttpStatusCode)status) ? ((HttpStatusCode)status).ToString() : "Status";

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
