using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// Bitget v2 REST: parameters in the query string for reads, JSON bodies for writes, and for signed calls the
/// <c>ACCESS-*</c> headers. Every answer is the envelope <c>{"code","msg","requestTime","data"}</c>; a code other than
/// <c>"00000"</c> is a failure even on HTTP 200.
/// </summary>
public sealed class BitgetRestClient : VenueRestClient
{
    private readonly VenueCredentials _credentials;

    public BitgetRestClient(HttpClient http, BitgetOptions options, VenueCredentials credentials, ServerClock clock, TimeProvider time, ILogger logger, VenueMetrics metrics)
        : base(BitgetParsers.Venue, http, options.RestUri, clock,
            new RateLimitTracker(BitgetRateLimits.Rules, () => clock.Now, time, options.RateLimitSafetyFraction, options.RateLimitMaxWait),
            time, logger, metrics, options.RequestTimeout)
    {
        _credentials = credentials;
    }

    protected override HttpRequestMessage BuildRequest(VenueRequest request, long timestampMs)
    {
        var query = BuildQuery(request.Parameters);
        var path = "/" + request.Path.TrimStart('/');
        var uri = new Uri(BaseUrl, query.Length == 0 ? path.TrimStart('/') : path.TrimStart('/') + "?" + query);
        var message = new HttpRequestMessage(request.Method, uri);
        message.Headers.TryAddWithoutValidation("locale", "en-US");
        if (request.JsonBody is { } body)
        {
            message.Content = new StringContent(body, Encoding.UTF8);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (request.Signed)
        {
            var key = _credentials.ApiKey ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "bitget needs API_KEY for signed calls");
            var secret = _credentials.ApiSecret ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "bitget needs API_SECRET for signed calls");
            var passphrase = _credentials.Passphrase ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "bitget needs PASSPHRASE for signed calls");
            var absolutePath = BaseUrl.AbsolutePath.TrimEnd('/') + path;
            message.Headers.TryAddWithoutValidation(BitgetSigner.KeyHeader, key);
            message.Headers.TryAddWithoutValidation(BitgetSigner.TimestampHeader, timestampMs.ToString(CultureInfo.InvariantCulture));
            message.Headers.TryAddWithoutValidation(BitgetSigner.PassphraseHeader, passphrase);
            message.Headers.TryAddWithoutValidation(BitgetSigner.SignHeader, BitgetSigner.Sign(secret, BitgetSigner.RestPayload(timestampMs, request.Method.Method, absolutePath, query, request.JsonBody)));
        }

        return message;
    }

    protected override VenueFailure? ParseFailure(VenueResponse response)
    {
        var status = (int)response.Status;
        var code = "HTTP" + status.ToString(CultureInfo.InvariantCulture);
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(response.Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("code", out _))
            {
                code = doc.RootElement.GetRequiredString("code");
                message = doc.RootElement.GetStringOrNull("msg");
            }
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(response.Body.AsSpan(0, Math.Min(response.Body.Length, 200)));
        }

        if (status is >= 200 and < 300 && code == BitgetErrors.Success)
        {
            return null;
        }

        if (status >= 500 && BitgetErrors.Table.Find(code) is null)
        {
            return new VenueFailure(new ExchangeException(ExchangeErrorKind.UnknownOutcome, $"bitget HTTP {status}: {message}", venueCode: code), false);
        }

        return BitgetErrors.Table.ToFailure(code, message ?? $"HTTP {status}", status is >= 200 and < 300 ? 400 : status, response.RetryAfter);
    }

    protected override async Task<long> FetchServerTimeAsync(CancellationToken cancellationToken)
    {
        var response = await SendAsync(new VenueRequest(HttpMethod.Get, "/api/v2/public/time") { Costs = BitgetRateLimits.Call(BitgetRateLimits.Time), Operation = "time" }, cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(response.Body);
        return BitgetParsers.ParseServerTime(doc.RootElement);
    }
}
