using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace FeedSync.Publish;

/// <summary>Merchant API v1 products sub-API over plain <see cref="HttpClient"/> (no Google client library is available).</summary>
internal sealed partial class MerchantApiClient(HttpClient http, IOptions<MerchantCenterOptions> options, ILogger<MerchantApiClient> logger) : IMerchantCenter
{
    private readonly MerchantCenterOptions _options = options.Value;

    public Task<MerchantResult> InsertAsync(ProductInput input, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"products/v1/{_options.AccountName}/productInputs:insert?dataSource={Escape(_options.DataSourceName)}", input.ToCanonicalJson(), input.Identity, cancellationToken);

    public Task<MerchantResult> PatchAsync(ProductInput input, IReadOnlyList<string> updateMask, CancellationToken cancellationToken)
    {
        var attributes = updateMask.Select(m => m.StartsWith("productAttributes.", StringComparison.Ordinal) ? m["productAttributes.".Length..] : m).ToList();
        var body = input.ToJson(attributes).ToJsonString(ProductInput.JsonOptions);
        var mask = string.Join(',', updateMask.Select(Escape));
        return SendAsync(HttpMethod.Patch, $"{InputPath(input.Identity)}?dataSource={Escape(_options.DataSourceName)}&updateMask={mask}", body, input.Identity, cancellationToken);
    }

    public Task<MerchantResult> DeleteAsync(ProductIdentity identity, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, $"{InputPath(identity)}?dataSource={Escape(_options.DataSourceName)}", null, identity, cancellationToken);

    private string InputPath(ProductIdentity identity) => $"products/v1/{_options.AccountName}/productInputs/{identity.EncodedId}";

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private async Task<MerchantResult> SendAsync(HttpMethod method, string relativeUrl, string? jsonBody, ProductIdentity identity, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, relativeUrl);
        if (jsonBody is not null)
        {
            request.Content = new StringContent(jsonBody, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return MerchantResult.Ok((int)response.StatusCode);
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var result = GoogleError.Classify(response.StatusCode, body, response.Headers.RetryAfter?.Delta);
            LogCallFailed(method.Method, identity.Id, result.HttpStatus, result.Reason, result.Message);
            return result;
        }
        catch (HttpRequestException ex)
        {
            LogCallError(method.Method, identity.Id, ex.Message);
            return new MerchantResult(ResultKind.Transient, 0, "connection_failed", ex.Message);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogCallError(method.Method, identity.Id, "timed out");
            return new MerchantResult(ResultKind.Transient, (int)HttpStatusCode.RequestTimeout, "timeout", ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Merchant API {Method} {Product} failed with {Status} {Reason}: {Detail}")]
    private partial void LogCallFailed(string method, string product, int status, string? reason, string? detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Merchant API {Method} {Product} did not complete: {Detail}")]
    private partial void LogCallError(string method, string product, string detail);
}
