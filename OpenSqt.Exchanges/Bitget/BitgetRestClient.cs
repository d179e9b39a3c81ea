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
internal sealed class BitgetRestClient : VenueRestClient
{
    private const string Mix = "/api/v2/mix";
    private readonly VenueCredentials _credentials;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Mode, DateTimeOffset At)> _marginModes = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _marginCacheDuration;

    public BitgetRestClient(HttpClient http, BitgetOptions options, VenueCredentials credentials, ServerClock clock, TimeProvider time, ILogger logger, VenueMetrics metrics)
        : base(BitgetParsers.Venue, http, options.RestUri, clock,
            new RateLimitTracker(BitgetRateLimits.Rules, () => clock.Now, time, options.RateLimitSafetyFraction, options.RateLimitMaxWait),
            time, logger, metrics, options.RequestTimeout)
    {
        _credentials = credentials;
        _time = time;
        _marginCacheDuration = options.ExchangeInfoCacheDuration;
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

    /// <summary>
    /// The account's margin mode for <paramref name="symbol"/> (<c>crossed</c> or <c>isolated</c>), from
    /// GET /api/v2/mix/account/account (https://www.bitget.com/api-doc/contract/account/Get-Single-Account: "marginMode"),
    /// cached for <see cref="VenueOptions.ExchangeInfoCacheDuration"/>. Orders carry it, so that an order never switches a
    /// contract the account holds isolated to crossed (or the reverse).
    /// </summary>
    public async Task<string> MarginModeAsync(string symbol, CancellationToken cancellationToken)
    {
        if (_marginModes.TryGetValue(symbol, out var cached) && _time.GetUtcNow() - cached.At < _marginCacheDuration)
        {
            return cached.Mode;
        }

        using var doc = await GetJsonAsync(VenueRequest.Get(Mix + "/account/account", "marginMode", BitgetRateLimits.Call(BitgetEndpoint.Account), [KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("productType", BitgetParsers.ProductType), KeyValuePair.Create("marginCoin", BitgetParsers.MarginCoin)], signed: true), cancellationToken).ConfigureAwait(false);
        var mode = BitgetParsers.ParseMarginMode(BitgetParsers.Data(doc.RootElement));
        _marginModes[symbol] = (mode, _time.GetUtcNow());
        return mode;
    }

    /// <summary>GET market/ticker of one contract.</summary>
    public Task<JsonDocument> TickerAsync(string symbol, CancellationToken cancellationToken) =>
        GetJsonAsync(VenueRequest.Get(Mix + "/market/ticker", "ticker", BitgetRateLimits.Call(BitgetEndpoint.Ticker), [KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("productType", BitgetParsers.ProductType)]), cancellationToken);

    /// <summary>GET market/tickers of every USDT-FUTURES contract.</summary>
    public Task<JsonDocument> TickersAsync(CancellationToken cancellationToken) =>
        GetJsonAsync(VenueRequest.Get(Mix + "/market/tickers", "tickers", BitgetRateLimits.Call(BitgetEndpoint.Tickers), [KeyValuePair.Create("productType", BitgetParsers.ProductType)]), cancellationToken);

    /// <summary>GET market/funding-time: the next funding time of a contract.</summary>
    public async Task<DateTimeOffset> NextFundingAsync(string symbol, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(VenueRequest.Get(Mix + "/market/funding-time", "fundingTime", BitgetRateLimits.Call(BitgetEndpoint.FundingTime), [KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("productType", BitgetParsers.ProductType)]), cancellationToken).ConfigureAwait(false);
        return DateTimeOffset.FromUnixTimeMilliseconds(BitgetParsers.FirstOf(BitgetParsers.Data(doc.RootElement), symbol).GetInt64("nextFundingTime"));
    }

    /// <summary>GET account/accounts of the USDT-FUTURES product.</summary>
    public Task<JsonDocument> AccountsAsync(CancellationToken cancellationToken) =>
        GetJsonAsync(VenueRequest.Get(Mix + "/account/accounts", "accounts", BitgetRateLimits.Call(BitgetEndpoint.Accounts), [KeyValuePair.Create("productType", BitgetParsers.ProductType)], signed: true), cancellationToken);

    /// <summary>GET order/orders-pending: one page of the working orders (of one contract or all) older than <paramref name="cursor"/>.</summary>
    public Task<JsonDocument> PendingOrdersAsync(string? symbol, string? cursor, int pageSize, CancellationToken cancellationToken)
    {
        List<KeyValuePair<string, string>> parameters = [KeyValuePair.Create("productType", BitgetParsers.ProductType)];
        if (symbol is not null)
        {
            parameters.Insert(0, KeyValuePair.Create("symbol", symbol));
        }

        if (cursor is not null)
        {
            parameters.Add(KeyValuePair.Create("idLessThan", cursor));
        }

        parameters.Add(KeyValuePair.Create("limit", pageSize.ToString(CultureInfo.InvariantCulture)));
        return GetJsonAsync(VenueRequest.Get(Mix + "/order/orders-pending", "openOrders", BitgetRateLimits.Call(BitgetEndpoint.OrdersPending), parameters, signed: true), cancellationToken);
    }

    /// <summary>
    /// Every working order: orders-pending paged through <c>idLessThan</c> = the previous page's <c>endId</c>, at most
    /// <paramref name="maxPages"/> pages of <paramref name="pageSize"/>, until a short page or no new <c>endId</c>.
    /// <paramref name="parse"/> answers null for an item to leave out; an order seen twice is kept once.
    /// </summary>
    public async Task<List<Order>> OpenOrdersAsync(string? symbol, int pageSize, int maxPages, Func<JsonElement, Order?> parse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var orders = new List<Order>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? cursor = null;
        for (var page = 0; page < maxPages; page++)
        {
            using var doc = await PendingOrdersAsync(symbol, cursor, pageSize, cancellationToken).ConfigureAwait(false);
            var data = BitgetParsers.Data(doc.RootElement);
            if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("entrustedList", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                break;
            }

            var count = 0;
            foreach (var e in list.EnumerateArray())
            {
                count++;
                if (parse(e) is { } order && seen.Add(order.ExchangeOrderId))
                {
                    orders.Add(order);
                }
            }

            var next = data.GetStringOrNull("endId");
            if (count < pageSize || string.IsNullOrEmpty(next) || next == cursor)
            {
                break;
            }

            cursor = next;
        }

        return orders;
    }

    /// <summary>GET position/all-position, or position/single-position of <paramref name="symbol"/>.</summary>
    public Task<JsonDocument> PositionsAsync(string? symbol, CancellationToken cancellationToken)
    {
        List<KeyValuePair<string, string>> parameters = [KeyValuePair.Create("productType", BitgetParsers.ProductType), KeyValuePair.Create("marginCoin", BitgetParsers.MarginCoin)];
        if (symbol is not null)
        {
            parameters.Insert(0, KeyValuePair.Create("symbol", symbol));
        }

        return GetJsonAsync(VenueRequest.Get(Mix + (symbol is null ? "/position/all-position" : "/position/single-position"), "positions", BitgetRateLimits.Call(symbol is null ? BitgetEndpoint.AllPosition : BitgetEndpoint.SinglePosition), parameters, signed: true), cancellationToken);
    }

    /// <summary>GET order/detail: one order by id or client id.</summary>
    public Task<JsonDocument> OrderDetailAsync(string symbol, OrderRef order, CancellationToken cancellationToken) =>
        GetJsonAsync(VenueRequest.Get(Mix + "/order/detail", "getOrder", BitgetRateLimits.Call(BitgetEndpoint.OrderDetail), [KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("productType", BitgetParsers.ProductType), order.ExchangeOrderId is { } id ? KeyValuePair.Create("orderId", id) : KeyValuePair.Create("clientOid", order.ClientOrderId ?? throw new ArgumentException("the order reference is empty", nameof(order)))], signed: true), cancellationToken);

    protected override async Task<long> FetchServerTimeAsync(CancellationToken cancellationToken)
    {
        var response = await SendAsync(new VenueRequest(HttpMethod.Get, "/api/v2/public/time") { Costs = BitgetRateLimits.Call(BitgetEndpoint.Time), Operation = "time" }, cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(response.Body);
        return BitgetParsers.ParseServerTime(doc.RootElement);
    }
}
