using FeedSync.Publish;

namespace FeedSync.Tests.Publish;

/// <summary>Google's multipart/mixed batch format, against recorded request and response shapes.</summary>
public sealed class MerchantBatchCodecTests
{
    // A batch response in Google's shape: parts out of order, CRLF line ends, a failed part in the middle.
    private const string RecordedResponse =
        "--batch_abc123\r\n" +
        "Content-Type: application/http\r\n" +
        "Content-ID: <response-0~insert~ZW5-VVN-U0tVMQ>\r\n" +
        "\r\n" +
        "HTTP/1.1 200 OK\r\n" +
        "Content-Type: application/json; charset=UTF-8\r\n" +
        "\r\n" +
        "{\"name\":\"accounts/123/productInputs/en~US~SKU1\"}\r\n" +
        "--batch_abc123\r\n" +
        "Content-Type: application/http\r\n" +
        "Content-ID: <response-2~delete~ZW5-VVN-U0tVMw>\r\n" +
        "\r\n" +
        "HTTP/1.1 200 OK\r\n" +
        "Content-Type: application/json; charset=UTF-8\r\n" +
        "\r\n" +
        "{}\r\n" +
        "--batch_abc123\r\n" +
        "Content-Type: application/http\r\n" +
        "Content-ID: <response-1~patch~ZW5-VVN-U0tVMg>\r\n" +
        "\r\n" +
        "HTTP/1.1 400 Bad Request\r\n" +
        "Content-Type: application/json; charset=UTF-8\r\n" +
        "Retry-After: 0\r\n" +
        "\r\n" +
        "{\"error\":{\"code\":400,\"message\":\"[price] Invalid price.\",\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"metadata\":{\"REASON\":\"INVALID_PRICE\"}}]}}\r\n" +
        "--batch_abc123--\r\n";

    [Fact]
    public async Task Decode_RecordedResponseWithFailedMiddlePart_EachPartKeepsItsOwnStatusAndBody()
    {
        var parts = (await DecodeAsync(RecordedResponse)).ToDictionary(p => p.ContentId);

        Assert.Equal(3, parts.Count);
        Assert.Equal(200, parts["0~insert~ZW5-VVN-U0tVMQ"].Status);
        Assert.Equal(200, parts["2~delete~ZW5-VVN-U0tVMw"].Status);
        var failed = parts["1~patch~ZW5-VVN-U0tVMg"];
        Assert.Equal(400, failed.Status);
        Assert.StartsWith("{\"error\":{\"code\":400", failed.Body, StringComparison.Ordinal);
        Assert.EndsWith("}}", failed.Body, StringComparison.Ordinal);
        var classified = GoogleError.Classify(System.Net.HttpStatusCode.BadRequest, failed.Body, failed.RetryAfter);
        Assert.Equal("INVALID_PRICE", classified.Reason);
    }

    [Fact]
    public async Task Decode_LfLineEndsAndTruncatedTail_ParsesCompletePartsOnly()
    {
        var lf = RecordedResponse.Replace("\r\n", "\n", StringComparison.Ordinal);
        var truncated = lf[..lf.IndexOf("--batch_abc123\nContent-Type: application/http\nContent-ID: <response-1", StringComparison.Ordinal)]
            + "--batch_abc123\nContent-Type: application/http\n";

        var parts = await DecodeAsync(truncated);

        Assert.Equal(["0~insert~ZW5-VVN-U0tVMQ", "2~delete~ZW5-VVN-U0tVMw"], parts.Select(p => p.ContentId));
    }

    [Fact]
    public async Task Encode_Parts_MatchGoogleBatchRules()
    {
        using var content = MerchantBatchCodec.Encode(
            [
                ("0~patch~ZW5-VVN-U0tVMg", new HttpCall(HttpMethod.Patch, "products/v1/accounts/123/productInputs/ZW5-VVN-U0tVMg?updateMask=productAttributes.price", "{\"productAttributes\":{}}")),
                ("1~delete~ZW5-VVN-U0tVMw", new HttpCall(HttpMethod.Delete, "products/v1/accounts/123/productInputs/ZW5-VVN-U0tVMw", null)),
            ],
            "batch_x");

        const string Expected =
            "--batch_x\r\n" +
            "Content-Type: application/http\r\n" +
            "Content-ID: <0~patch~ZW5-VVN-U0tVMg>\r\n" +
            "\r\n" +
            "PATCH /products/v1/accounts/123/productInputs/ZW5-VVN-U0tVMg?updateMask=productAttributes.price HTTP/1.1\r\n" +
            "Content-Type: application/json\r\n" +
            "\r\n" +
            "{\"productAttributes\":{}}\r\n" +
            "--batch_x\r\n" +
            "Content-Type: application/http\r\n" +
            "Content-ID: <1~delete~ZW5-VVN-U0tVMw>\r\n" +
            "\r\n" +
            "DELETE /products/v1/accounts/123/productInputs/ZW5-VVN-U0tVMw HTTP/1.1\r\n" +
            "\r\n" +
            "--batch_x--\r\n";
        Assert.Equal(Expected, await content.ReadAsStringAsync());
        Assert.Equal("multipart/mixed; boundary=batch_x", content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Encode_NonAsciiBody_ContentLengthCountsUtf8Bytes()
    {
        using var content = MerchantBatchCodec.Encode(
            [("0~insert~ZW4", new HttpCall(HttpMethod.Post, "products/v1/accounts/123/productInputs:insert", "{\"title\":\"Crème brûlée – 2 pièces\"}"))],
            "batch_y");

        var bytes = await content.ReadAsByteArrayAsync();

        Assert.Equal(bytes.Length, content.Headers.ContentLength);
        Assert.Contains("Crème brûlée – 2 pièces", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_PreambleAndManyParts_EveryPartAfterTheFirstDelimiter()
    {
        var body = "preamble that is not a part\r\n" + string.Concat(Enumerable.Range(0, 150).Select(i =>
            $"--b\r\nContent-Type: application/http\r\nContent-ID: <response-{i}~patch~K{i}>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{{\"n\":{i}}}\r\n")) + "--b--\r\nepilogue\r\n";

        var parts = await MerchantBatchCodec.DecodeAsync(new StringReader(body), "b", CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 150).Select(i => $"{i}~patch~K{i}"), parts.Select(p => p.ContentId));
        Assert.Equal("{\"n\":149}", parts[^1].Body);
    }

    private static Task<List<BatchResponsePart>> DecodeAsync(string body) =>
        MerchantBatchCodec.DecodeAsync(new StringReader(body), "batch_abc123", CancellationToken.None);
}
