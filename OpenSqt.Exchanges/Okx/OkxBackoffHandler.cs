using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX answers a spent budget with HTTP 429 and code 50011 but no Retry-After header
/// (https://www.okx.com/docs-v5/en/#error-code-rest-api-public; the rate-limit overview names no header). Its budgets
/// are counted in windows of 2 seconds, so a refusal clears within one window. This handler gives such an answer the
/// pause the shared REST client honours: 1 s, doubling while 429s keep coming, at most 8 s, back to 1 s after any other
/// answer. The client never falls back to its long default pause for a venue that simply did not say.
/// </summary>
internal sealed class OkxBackoffHandler(ILogger logger) : DelegatingHandler
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(8);
    private int _consecutive;

    /// <summary>The pause after the <paramref name="consecutive"/>-th 429 in a row.</summary>
    public static TimeSpan Pause(int consecutive) =>
        TimeSpan.FromTicks(Math.Min(Longest.Ticks, First.Ticks << Math.Min(Math.Max(consecutive - 1, 0), 4)));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.TooManyRequests)
        {
            Interlocked.Exchange(ref _consecutive, 0);
            return response;
        }

        if (response.Headers.RetryAfter is null)
        {
            var pause = Pause(Interlocked.Increment(ref _consecutive));
            response.Headers.RetryAfter = new RetryConditionHeaderValue(pause);
            OkxLog.BackingOff(logger, request.RequestUri?.AbsolutePath ?? "", pause.TotalSeconds);
        }

        return response;
    }
}
