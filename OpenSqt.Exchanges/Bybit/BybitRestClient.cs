using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit v5 REST: GET parameters in the query string in the order given, POST parameters as a JSON body; signed calls
/// carry X-BAPI-API-KEY, X-BAPI-TIMESTAMP, X-BAPI-RECV-WINDOW and X-BAPI-SIGN. Every answer is the envelope
/// <c>{"retCode","retMsg","result","retExtInfo","time"}</c>, HTTP 200 also for business errors: <c>retCode</c> alone
/// decides success.
/// </summary>
internal sealed class BybitRestClient : VenueRestClient
{
    private static readonly (string Path, BybitEndpoint Endpoint)[] OrderLookups =
    [
        ("/v5/order/realtime", BybitEndpoint.OrderRealtime),
        ("/v5/order/history", BybitEndpoint.OrderHistory),
    ];

    private readonly VenueCredentials _credentials;
    private readonly string _recvWindow;
    private readonly SemaphoreSlim _marginGate = new(1, 1);
    private readonly TimeProvider _time;
    private readonly TimeSpan _marginCacheDuration;
    private string? _marginType;
    private DateTimeOffset _marginFetchedAt;

    public BybitRestClient(HttpClient http, BybitOptions options, VenueCredentials credentials, ServerClock clock, TimeProvider time, ILogger logger, VenueMetrics metrics)
        : base(BybitParsers.Venue, http, options.RestUri, clock,
            new RateLimitTracker(BybitRateLimits.Rules, () => clock.Now, time, options.RateLimitSafetyFraction, options.RateLimitMaxWait),
            time, logger, metrics, options.RequestTimeout)
    {
        _credentials = credentials;
        _recvWindow = options.RecvWindowMs.ToString(CultureInfo.InvariantCulture);
        _time = time;
        _marginCacheDuration = options.ExchangeInfoCacheDuration;
    }

    /// <summary>The account's margin type as last read by <see cref="MarginTypeAsync"/>; null before the first read.</summary>
    public string? MarginType => _marginType;

    /// <summary>
    /// The account's margin type from <c>/v5/account/info</c> <c>marginMode</c>, which replaces the deprecated
    /// position <c>tradeMode</c> (https://bybit-exchange.github.io/docs/v5/position: "Deprecated, always 0, check Get
    /// Account Info to know the margin mode"); kept for <see cref="VenueOptions.ExchangeInfoCacheDuration"/>.
    /// </summary>
    public async Task<string> MarginTypeAsync(CancellationToken cancellationToken)
    {
        if (_marginType is { } cached && _time.GetUtcNow() - _marginFetchedAt < _marginCacheDuration)
        {
            return cached;
        }

        await _marginGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_marginType is { } again && _time.GetUtcNow() - _marginFetchedAt < _marginCacheDuration)
            {
                return again;
            }

            using var doc = await GetJsonAsync(VenueRequest.Get("/v5/account/info", "accountInfo", BybitRateLimits.Call(BybitEndpoint.AccountInfo), signed: true), cancellationToken).ConfigureAwait(false);
            _marginType = BybitParsers.ParseMarginType(BybitParsers.Result(doc.RootElement));
            _marginFetchedAt = _time.GetUtcNow();
            return _marginType;
        }
        finally
        {
            _marginGate.Release();
        }
    }

    /// <summary>
    /// One page of a linear list (open orders, positions): of <paramref name="symbol"/>, or of every USDT-settled
    /// symbol when null, <paramref name="limit"/> items after <paramref name="cursor"/>.
    /// </summary>
    public Task<JsonDocument> ListAsync(string path, string operation, BybitEndpoint endpoint, string? symbol, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var parameters = new List<KeyValuePair<string, string>> { KeyValuePair.Create("category", BybitParsers.Category) };
        parameters.Add(symbol is null ? KeyValuePair.Create("settleCoin", "USDT") : KeyValuePair.Create("symbol", symbol));
        parameters.Add(KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture)));
        if (cursor is not null)
        {
            parameters.Add(KeyValuePair.Create("cursor", cursor));
        }

        return GetJsonAsync(VenueRequest.Get(path, operation, BybitRateLimits.Call(endpoint), parameters, signed: true), cancellationToken);
    }

    /// <summary>GET wallet-balance of the UNIFIED account, of one coin or all.</summary>
    public Task<JsonDocument> WalletAsync(string? coin, CancellationToken cancellationToken) =>
        GetJsonAsync(VenueRequest.Get("/v5/account/wallet-balance", "wallet", BybitRateLimits.Call(BybitEndpoint.WalletBalance), coin is null ? [KeyValuePair.Create("accountType", "UNIFIED")] : [KeyValuePair.Create("accountType", "UNIFIED"), KeyValuePair.Create("coin", coin)], signed: true), cancellationToken);

    /// <summary>GET tickers of one linear symbol, or all when null.</summary>
    public Task<JsonDocument> TickersAsync(string? symbol, CancellationToken cancellationToken) =>
        GetJsonAsync(VenueRequest.Get("/v5/market/tickers", symbol is null ? "tickers" : "ticker", BybitRateLimits.Read, symbol is null ? [KeyValuePair.Create("category", BybitParsers.Category)] : [KeyValuePair.Create("category", BybitParsers.Category), KeyValuePair.Create("symbol", symbol)]), cancellationToken);

    /// <summary>GET one order of <paramref name="path"/> (realtime or history) by id or client id.</summary>
    public Task<JsonDocument> OrderAsync(string path, BybitEndpoint endpoint, string symbol, KeyValuePair<string, string> reference, CancellationToken cancellationToken) =>
        GetJsonAsync(VenueRequest.Get(path, "getOrder", BybitRateLimits.Call(endpoint), [KeyValuePair.Create("category", BybitParsers.Category), KeyValuePair.Create("symbol", symbol), reference], signed: true), cancellationToken);

    /// <summary>GET kline: candles of a symbol, oldest first.</summary>
    public async Task<IReadOnlyList<Candle>> KlinesAsync(string symbol, string interval, string bybitInterval, int limit, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(VenueRequest.Get("/v5/market/kline", "klines", BybitRateLimits.Read, [KeyValuePair.Create("category", BybitParsers.Category), KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("interval", bybitInterval), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))]), cancellationToken).ConfigureAwait(false);
        return BybitParsers.ParseKlines(doc.RootElement, symbol, interval, Clock.Now);
    }

    /// <summary>GET funding/history: the funding rates of a symbol, oldest first.</summary>
    public async Task<IReadOnlyList<FundingRate>> FundingHistoryAsync(string symbol, int limit, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(VenueRequest.Get("/v5/market/funding/history", "fundingHistory", BybitRateLimits.Read, [KeyValuePair.Create("category", BybitParsers.Category), KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))]), cancellationToken).ConfigureAwait(false);
        var rates = BybitParsers.List(doc.RootElement).Select(i => new FundingRate
        {
            Exchange = BybitParsers.Venue,
            Symbol = i.GetRequiredString("symbol"),
            Rate = BybitParsers.Num(i, "fundingRate"),
            Timestamp = BybitParsers.Time(i, "fundingRateTimestamp"),
        }).ToList();
        rates.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
        return rates;
    }

    /// <summary>One page (1000) of the linear instruments after <paramref name="cursor"/>.</summary>
    public Task<JsonDocument> InstrumentsAsync(string? cursor, CancellationToken cancellationToken)
    {
        var parameters = new List<KeyValuePair<string, string>> { KeyValuePair.Create("category", BybitParsers.Category), KeyValuePair.Create("limit", "1000") };
        if (cursor is not null)
        {
            parameters.Add(KeyValuePair.Create("cursor", cursor));
        }

        return GetJsonAsync(VenueRequest.Get("/v5/market/instruments-info", "instruments", BybitRateLimits.Read, parameters), cancellationToken);
    }

    /// <summary>Sends a call and returns its envelope (retCode already checked).</summary>
    protected override void OnAnswered(VenueRequest request, VenueResponse response) => ObserveUidLimit(request, response.Headers);

    /// <summary>Writes a JSON body with the given fields (string values), in order.</summary>
    public static string JsonBody(IEnumerable<KeyValuePair<string, string>> fields)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in fields)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    protected override HttpRequestMessage BuildRequest(VenueRequest request, long timestampMs)
    {
        string signed;
        HttpRequestMessage message;
        if (request.Method == HttpMethod.Get)
        {
            if (request.JsonBody is not null)
            {
                throw new ArgumentException("bybit GET calls take query parameters, not a body", nameof(request));
            }

            var query = BuildQuery(request.Parameters);
            var path = request.Path.TrimStart('/');
            message = new HttpRequestMessage(request.Method, new Uri(BaseUrl, query.Length == 0 ? path : path + "?" + query));
            signed = query;
        }
        else
        {
            var body = request.JsonBody ?? JsonBody(request.Parameters);
            message = new HttpRequestMessage(request.Method, new Uri(BaseUrl, request.Path.TrimStart('/')))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            signed = body;
        }

        if (request.Signed)
        {
            var key = _credentials.ApiKey ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "bybit needs API_KEY");
            var secret = _credentials.ApiSecret ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "bybit needs API_SECRET for signed calls");
            var timestamp = timestampMs.ToString(CultureInfo.InvariantCulture);
            message.Headers.TryAddWithoutValidation(BybitSigner.ApiKeyHeader, key);
            message.Headers.TryAddWithoutValidation(BybitSigner.TimestampHeader, timestamp);
            message.Headers.TryAddWithoutValidation(BybitSigner.RecvWindowHeader, _recvWindow);
            message.Headers.TryAddWithoutValidation(BybitSigner.SignHeader, BybitSigner.Sign(secret, BybitSigner.RestPayload(timestamp, key, _recvWindow, signed)));
        }

        return message;
    }

    protected override VenueFailure? ParseFailure(VenueResponse response)
    {
        var status = (int)response.Status;
        string? code = null;
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(response.Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("retCode", out _))
            {
                code = doc.RootElement.GetRequiredString("retCode");
                message = doc.RootElement.GetStringOrNull("retMsg");
            }
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(response.Body.AsSpan(0, Math.Min(response.Body.Length, 200)));
        }

        if (status is >= 200 and < 300)
        {
            if (code is null)
            {
                return new VenueFailure(new ExchangeException(ExchangeErrorKind.Internal, $"bybit answered HTTP {status} without a retCode"), false);
            }

            if (code == BybitErrors.TooManyVisits && ResetIn(response.Headers) is { } reset)
            {
                // 10006: X-Bapi-Limit-Reset-Timestamp says when this endpoint's budget is back.
                return BybitErrors.Table.ToFailure(code, message, status, reset);
            }

            return code == "0" ? null : BybitErrors.Table.ToFailure(code, message, status);
        }

        if (status == 403)
        {
            // Bybit: "403 access too frequent" means the IP limit was broken; the IP is blocked for at least 10 minutes.
            return new VenueFailure(new ExchangeException(ExchangeErrorKind.RateLimited, $"bybit HTTP 403 (IP rate limit): {message}", retryAfter: TimeSpan.FromMinutes(10), venueCode: "HTTP403"), false);
        }

        return BybitErrors.Table.ToFailure(code is null or "0" ? "HTTP" + status.ToString(CultureInfo.InvariantCulture) : code, message ?? $"HTTP {status}", status, response.RetryAfter);
    }

    private TimeSpan? ResetIn(HttpResponseHeaders headers)
    {
        if (headers.TryGetValues(BybitRateLimits.ResetHeader, out var values)
            && long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var resetMs))
        {
            var wait = DateTimeOffset.FromUnixTimeMilliseconds(resetMs) - Clock.Now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>Looks an order up by id: realtime first (open and recent orders), then history; null when unknown.</summary>
    internal async Task<Order?> FindOrderAsync(string symbol, OrderRef order, BybitSkips skips, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(skips);
        var reference = order.ExchangeOrderId is { } id
            ? KeyValuePair.Create("orderId", id)
            : KeyValuePair.Create("orderLinkId", order.ClientOrderId ?? throw new ArgumentException("the order reference is empty", nameof(order)));
        foreach (var (path, endpoint) in OrderLookups)
        {
            using var doc = await OrderAsync(path, endpoint, symbol, reference, cancellationToken).ConfigureAwait(false);
            var item = BybitParsers.List(doc.RootElement).FirstOrDefault();
            if (item.ValueKind == JsonValueKind.Object)
            {
                try
                {
                    return BybitParsers.ParseOrder(item);
                }
                catch (BybitUnknownValueException ex)
                {
                    // The one order asked for carries a value we do not know: counted; an unknown side fails the
                    // lookup as Internal rather than answering NotFound for an order that exists.
                    skips.Unknown("order", "getOrder", ex);
                    if (ex.Mapped is { } mapped)
                    {
                        // Only the order type, time in force or status is new: the order is answered with them mapped
                        // (a status as OrderStatus.Unknown).
                        return mapped;
                    }

                    throw;
                }
            }
        }

        return null;
    }

    protected override async Task<long> FetchServerTimeAsync(CancellationToken cancellationToken)
    {
        var response = await SendAsync(new VenueRequest(HttpMethod.Get, "/v5/market/time") { Costs = BybitRateLimits.Read, Operation = "time" }, cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(response.Body);
        return BybitParsers.ParseServerTime(doc.RootElement);
    }

    /// <summary>
    /// The per-UID headers report the endpoint's limit and what remains of it (https://bybit-exchange.github.io/docs/v5/rate-limit):
    /// the call's own endpoint budget (its last cost) takes the reported limit (limits are upgradable) and the used
    /// difference. After a 10006 the status is 0, so that budget, and only that one, waits for its next window.
    /// </summary>
    private void ObserveUidLimit(VenueRequest request, HttpResponseHeaders headers)
    {
        if (request.Costs.Count == 0
            || !headers.TryGetValues(BybitRateLimits.LimitHeader, out var limits)
            || !headers.TryGetValues(BybitRateLimits.RemainingHeader, out var remaining)
            || !int.TryParse(limits.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit)
            || !int.TryParse(remaining.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var left))
        {
            return;
        }

        var rule = request.Costs[^1].Rule;
        if (BybitRateLimits.IsUidRule(rule) && limit > 0 && limit != RateLimits.Limit(rule))
        {
            RateLimits.SetLimit(rule, limit);
        }

        RateLimits.ObserveUsed(rule, Math.Max(0, limit - left));
    }
}
