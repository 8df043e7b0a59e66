using FeedSync.Hosting;

namespace FeedSync.Publish;

/// <summary>Times every Merchant API call (including failed ones) for the latency histogram.</summary>
internal sealed class MerchantCallMetricsHandler(FeedSyncMetrics metrics, TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var status = 0;
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            status = (int)response.StatusCode;
            return response;
        }
        finally
        {
            metrics.RecordApiCall(request.Method.Method, status, time.GetElapsedTime(started));
        }
    }
}
