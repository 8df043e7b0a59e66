using System.Net;
using FeedSync.Publish;

namespace FeedSync.Tests.Publish;

/// <summary>Classification of Merchant API error answers into what the push does next.</summary>
public sealed class GoogleErrorTests
{
    private const string InvalidPriceBody = """
        {"error":{"code":400,"message":"[price] Invalid price.","status":"INVALID_ARGUMENT",
          "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"INVALID_ARGUMENT","domain":"merchantapi.googleapis.com",
                      "metadata":{"REASON":"INVALID_PRICE"}}]}}
        """;

    private const string QuotaBody = """
        {"error":{"code":429,"message":"Quota exceeded.","status":"RESOURCE_EXHAUSTED",
          "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"30s"}]}}
        """;

    [Fact]
    public void Classify_400WithErrorInfoMetadataReason_DataErrorWithThatReason()
    {
        var result = GoogleError.Classify(HttpStatusCode.BadRequest, InvalidPriceBody, null);

        Assert.Equal(ResultKind.DataError, result.Kind);
        Assert.Equal("INVALID_PRICE", result.Reason);
        Assert.Equal(400, result.HttpStatus);
    }

    [Fact]
    public void Classify_400WithErrorInfo_KeepsGoogleMessage()
    {
        var result = GoogleError.Classify(HttpStatusCode.BadRequest, InvalidPriceBody, null);

        Assert.Equal("[price] Invalid price.", result.Message);
    }

    [Fact]
    public void Classify_ErrorInfoWithoutMetadata_UsesErrorInfoReason()
    {
        const string body = """
            {"error":{"code":400,"status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"INVALID_NAME_PART_NOT_NUMBER"}]}}
            """;

        var result = GoogleError.Classify(HttpStatusCode.BadRequest, body, null);

        Assert.Equal("INVALID_NAME_PART_NOT_NUMBER", result.Reason);
    }

    [Fact]
    public void Classify_NoErrorInfo_ReasonFallsBackToRpcStatus()
    {
        const string body = """{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}""";

        var result = GoogleError.Classify(HttpStatusCode.BadRequest, body, null);

        Assert.Equal("INVALID_ARGUMENT", result.Reason);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    public void Classify_401Or403_ConfigurationError(HttpStatusCode status)
    {
        var result = GoogleError.Classify(status, """{"error":{"code":403,"status":"PERMISSION_DENIED"}}""", null);

        Assert.Equal(ResultKind.ConfigurationError, result.Kind);
    }

    [Fact]
    public void Classify_404_NotFound()
    {
        var result = GoogleError.Classify(HttpStatusCode.NotFound, """{"error":{"code":404,"status":"NOT_FOUND"}}""", null);

        Assert.Equal(ResultKind.NotFound, result.Kind);
    }

    [Fact]
    public void Classify_409_Stale()
    {
        var result = GoogleError.Classify(HttpStatusCode.Conflict, """{"error":{"code":409,"status":"ABORTED"}}""", null);

        Assert.Equal(ResultKind.Stale, result.Kind);
    }

    [Fact]
    public void Classify_429WithRetryInfo_RateLimitedRetryAfterDelay()
    {
        var result = GoogleError.Classify(HttpStatusCode.TooManyRequests, QuotaBody, null);

        Assert.Equal(ResultKind.RateLimited, result.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), result.RetryAfter);
    }

    [Fact]
    public void Classify_429WithRetryInfoAndHeader_RetryInfoWins()
    {
        var result = GoogleError.Classify(HttpStatusCode.TooManyRequests, QuotaBody, TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(30), result.RetryAfter);
    }

    [Fact]
    public void Classify_429WithOnlyRetryAfterHeader_UsesHeader()
    {
        var result = GoogleError.Classify(HttpStatusCode.TooManyRequests, "", TimeSpan.FromSeconds(12));

        Assert.Equal(ResultKind.RateLimited, result.Kind);
        Assert.Equal(TimeSpan.FromSeconds(12), result.RetryAfter);
    }

    [Fact]
    public void Classify_FractionalRetryDelay_ParsedAsSeconds()
    {
        const string body = """{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}""";

        var result = GoogleError.Classify(HttpStatusCode.TooManyRequests, body, null);

        Assert.Equal(TimeSpan.FromMilliseconds(1500), result.RetryAfter);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public void Classify_5xx_Transient(HttpStatusCode status)
    {
        var result = GoogleError.Classify(status, """{"error":{"code":503,"status":"UNAVAILABLE"}}""", null);

        Assert.Equal(ResultKind.Transient, result.Kind);
    }

    [Fact]
    public void Classify_LegacyErrorsArray_ReadsReason()
    {
        var result = GoogleError.Classify(HttpStatusCode.ServiceUnavailable, """{"error":{"errors":[{"reason":"backendError"}]}}""", null);

        Assert.Equal(ResultKind.Transient, result.Kind);
        Assert.Equal("backendError", result.Reason);
    }

    [Theory]
    [InlineData("<html><body>502 Bad Gateway</body></html>")]
    [InlineData("upstream connect error or disconnect/reset before headers")]
    [InlineData("{\"error\":")]
    [InlineData("")]
    [InlineData(null)]
    public void Classify_NonJsonBody_ClassifiesByStatus(string? body)
    {
        var result = GoogleError.Classify(HttpStatusCode.BadGateway, body, null);

        Assert.Equal(ResultKind.Transient, result.Kind);
        Assert.Equal(nameof(HttpStatusCode.BadGateway), result.Reason);
    }

    [Theory]
    [InlineData("""[{"error":{"code":503,"status":"UNAVAILABLE"}}]""")]
    [InlineData("\"Service Unavailable\"")]
    [InlineData("""{"error":{"details":["oops"]}}""")]
    [InlineData("""{"error":{"errors":[{"reason":42}]}}""")]
    public void Classify_JsonBodyOfUnexpectedShape_ClassifiesByStatus(string body)
    {
        var result = GoogleError.Classify(HttpStatusCode.ServiceUnavailable, body, null);

        Assert.Equal(ResultKind.Transient, result.Kind);
    }

    [Fact]
    public void ShouldRetryLater_DataError_False()
    {
        var result = GoogleError.Classify(HttpStatusCode.BadRequest, InvalidPriceBody, null);

        Assert.False(result.ShouldRetryLater);
    }

    [Fact]
    public void ShouldRetryLater_RateLimited_True()
    {
        var result = GoogleError.Classify(HttpStatusCode.TooManyRequests, QuotaBody, null);

        Assert.True(result.ShouldRetryLater);
    }
}
