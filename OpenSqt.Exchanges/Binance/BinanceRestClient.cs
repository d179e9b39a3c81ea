using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>
/// Binance USDT-M REST: parameters in the query string in the order given, then <c>recvWindow</c>, <c>timestamp</c>
/// and <c>signature</c> for signed calls; the API key in <c>X-MBX-APIKEY</c>. Errors are <c>{"code","msg"}</c>.
/// </summary>
internal sealed class BinanceRestClient : VenueRestClient
{
    public const string ApiKeyHeader = "X-MBX-APIKEY";
    private readonly VenueCredentials _credentials;
    private readonly int _recvWindowMs;

    public BinanceRestClient(HttpClient http, BinanceOptions options, VenueCredentials credentials, ServerClock clock, TimeProvider time, ILogger logger, VenueMetrics metrics)
        : base(BinanceParsers.Venue, http, options.RestUri, clock,
            new RateLimitTracker(BinanceRateLimits.Rules, () => clock.Now, time, options.RateLimitSafetyFraction, options.RateLimitMaxWait),
            time, logger, metrics, options.RequestTimeout)
    {
        _credentials = credentials;
        _recvWindowMs = options.RecvWindowMs;
    }

    protected override HttpRequestMessage BuildRequest(VenueRequest request, long timestampMs)
    {
        if (request.JsonBody is not null)
        {
            throw new ArgumentException("binance USDT-M REST takes parameters, not a JSON body", nameof(request));
        }

        IEnumerable<KeyValuePair<string, string>> parameters = request.Parameters;
        if (request.Signed)
        {
            parameters = parameters.Append(KeyValuePair.Create("recvWindow", _recvWindowMs.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                .Append(KeyValuePair.Create("timestamp", timestampMs.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var query = BuildQuery(parameters);
        if (request.Signed)
        {
            var secret = _credentials.ApiSecret ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "binance needs API_SECRET for signed calls");
            var signature = BinanceSigner.Sign(secret, query);
            query = query.Length == 0 ? "signature=" + signature : query + "&signature=" + signature;
        }

        var uri = new Uri(BaseUrl, query.Length == 0 ? request.Path.TrimStart('/') : request.Path.TrimStart('/') + "?" + query);
        var message = new HttpRequestMessage(request.Method, uri);
        if (request.Signed || request.Path.EndsWith("listenKey", StringComparison.Ordinal))
        {
            var key = _credentials.ApiKey ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "binance needs API_KEY");
            message.Headers.TryAddWithoutValidation(ApiKeyHeader, key);
        }

        return message;
    }

    protected override VenueFailure? ParseFailure(VenueResponse response)
    {
        var status = (int)response.Status;
        if (status is >= 200 and < 300)
        {
            return null;
        }

        var code = "HTTP" + status.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
            message = System.Text.Encoding.UTF8.GetString(response.Body.AsSpan(0, Math.Min(response.Body.Length, 200)));
        }

        if (status >= 500 && BinanceErrors.Table.Find(code) is null)
        {
            // Binance: "5XX: the execution status is UNKNOWN and could have been a success".
            return new VenueFailure(new ExchangeException(ExchangeErrorKind.UnknownOutcome, $"binance HTTP {status}: {message}", venueCode: code), false);
        }

        return BinanceErrors.Table.ToFailure(code, message ?? $"HTTP {status}", status, response.RetryAfter);
    }

    protected override async Task<long> FetchServerTimeAsync(CancellationToken cancellationToken)
    {
        var response = await SendUnsignedTimeAsync(cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(response.Body);
        return BinanceParsers.ParseServerTime(doc.RootElement);
    }

    private Task<VenueResponse> SendUnsignedTimeAsync(CancellationToken cancellationToken) =>
        SendAsync(new VenueRequest(HttpMethod.Get, "/fapi/v1/time") { Costs = BinanceRateLimits.Ip(1), Operation = "time" }, cancellationToken);
}
