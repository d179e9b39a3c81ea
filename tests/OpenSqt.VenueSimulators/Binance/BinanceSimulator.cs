using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using System.Security.Cryptography;
using OpenSqt.Exchanges.Sim;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Binance;

/// <summary>
/// Binance USDT-M futures on loopback: the /fapi REST endpoints and the user-data and market WebSockets, on top of the
/// sim matching engine. Strict as Binance: byte-exact HMAC check of query+body (-1022), the recvWindow rule (-1021),
/// API key (-2015), PRICE_FILTER/LOT_SIZE/MIN_NOTIONAL (-4014/-4023/-4164), newClientOrderId format (-4015) and
/// uniqueness (-4116), GTX crossing (-5022), hedge mode (-4061), weight and order limits with X-MBX headers, 429 with
/// Retry-After and a 418 ban for clients that keep going, listen keys that expire 60 minutes after the last keepalive,
/// server pings with a pong deadline and a forced connection lifetime. Nasty on demand through <see cref="Faults"/>.
/// </summary>
public sealed partial class BinanceSimulator : VenueSimulatorHost
{
    public const string DefaultApiKey = "sim-binance-api-key";
    public const string DefaultApiSecret = "sim-binance-api-secret";
    private const string UserKind = "user";
    private const string MarketKind = "market";
    private const string LegacyUserKind = "legacy-user";

    // The venue's own limits, as /fapi/v1/exchangeInfo publishes them ("REQUEST_WEIGHT 2400 per MINUTE", "ORDERS 300 per
    // 10 SECOND", "ORDERS 1200 per MINUTE") and the headers that report usage (X-MBX-USED-WEIGHT-1M,
    // X-MBX-ORDER-COUNT-10S, X-MBX-ORDER-COUNT-1M): https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info.
    // Named here on their own: the simulator never reads the connector's constants.
    private const string WeightLimit = "ip-weight-1m";
    private const string Orders10SLimit = "orders-10s";
    private const string Orders1MLimit = "orders-1m";

    // GET /fapi/v1/fundingRate: "share 500/5min/IP rate limit with GET /fapi/v1/fundingInfo", not request weight
    // (https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Get-Funding-Rate-History).
    // exchangeInfo does not list it.
    private const string FundingLimit = "funding-5m";
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private string? _listenKey;
    private DateTimeOffset _listenKeyExpires;
    private long _aggTradeId;
    private long _bookUpdateId = 400_000_000;
    private int _listenKeysIssued;

    private BinanceSimulator(SimVenueOptions? engineOptions, int weightLimit)
        : base(
        [
            new SimRateLimit(WeightLimit, weightLimit, TimeSpan.FromMinutes(1), "X-MBX-USED-WEIGHT-1M"),
            new SimRateLimit(Orders10SLimit, 300, TimeSpan.FromSeconds(10), "X-MBX-ORDER-COUNT-10S"),
            new SimRateLimit(Orders1MLimit, 1200, TimeSpan.FromMinutes(1), "X-MBX-ORDER-COUNT-1M"),
            new SimRateLimit(FundingLimit, 500, TimeSpan.FromMinutes(5), null),
        ], engineOptions)
    {
        _pumps.Add(PumpOrdersAsync(_stop.Token));
        _pumps.Add(PumpPositionsAsync(_stop.Token));
        _pumps.Add(ExpireListenKeysAsync(_stop.Token));
    }

    public string ApiKey { get; init; } = DefaultApiKey;

    public string ApiSecret { get; init; } = DefaultApiSecret;

    /// <summary>A listen key lives this long after its last POST or PUT.</summary>
    public TimeSpan ListenKeyValidity { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>The account is in hedge mode: orders without a LONG/SHORT positionSide are refused with -4061.</summary>
    public bool HedgeMode { get; set; }

    /// <summary>Sends TRADE_LITE before each fill's ORDER_TRADE_UPDATE, as Binance does.</summary>
    public bool SendTradeLite { get; set; } = true;

    /// <summary>
    /// Values Binance may add to its enums (its lists have grown before: GTD and GTE_GTC time in force, the
    /// NEW_INSURANCE / NEW_ADL statuses; https://developers.binance.com/docs/derivatives/usds-margined-futures/common-definition),
    /// reported for the orders <see cref="Faults.ReportUnknownValue"/> names.
    /// </summary>
    public const string UnknownTimeInForce = "GTE_NEXT";

    public const string UnknownOrderType = "PEGGED_LIMIT";

    public const string UnknownStatus = "NEW_PENDING_REVIEW";

    /// <summary>Listen keys issued since start.</summary>
    public int ListenKeysIssued => Volatile.Read(ref _listenKeysIssued);

    /// <summary>The active listen key, or null.</summary>
    public string? ActiveListenKey
    {
        get
        {
            lock (_gate)
            {
                return _listenKey is not null && Clock.GetUtcNow() < _listenKeyExpires ? _listenKey : null;
            }
        }
    }

    /// <summary>Starts a simulator on an ephemeral loopback port.</summary>
    /// <param name="engineOptions">The matching engine's instruments and account; the sim defaults when null.</param>
    /// <param name="apiKey">The only API key the venue accepts.</param>
    /// <param name="apiSecret">The secret signatures are checked with.</param>
    /// <param name="weightLimit">REQUEST_WEIGHT per minute (published in exchangeInfo and enforced).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<BinanceSimulator> StartAsync(SimVenueOptions? engineOptions = null, string apiKey = DefaultApiKey, string apiSecret = DefaultApiSecret, int weightLimit = 2400, CancellationToken cancellationToken = default)
    {
        var simulator = new BinanceSimulator(engineOptions, weightLimit) { ApiKey = apiKey, ApiSecret = apiSecret };
        await simulator.StartAsync(cancellationToken).ConfigureAwait(false);
        return simulator;
    }

    /// <summary>Expires the listen key now: connected clients get <c>listenKeyExpired</c> (with a string <c>E</c>, as seen in the wild) and are closed.</summary>
    public override async Task ExpireSessionAsync()
    {
        string? key;
        lock (_gate)
        {
            key = _listenKey;
            _listenKey = null;
        }

        if (key is null)
        {
            return;
        }

        var message = $"{{\"e\":\"listenKeyExpired\",\"E\":\"{Clock.NowMilliseconds}\",\"listenKey\":\"{key}\"}}";
        foreach (var socket in Sockets.Where(s => s.Kind == UserKind && s.Tag == key))
        {
            await socket.SendAsync(message).ConfigureAwait(false);
            await socket.CloseAsync("listenKeyExpired").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The WebSocket routes as Binance serves them since the legacy URLs were retired on 2026-04-23
    /// (https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Important-WebSocket-Change-Notice):
    /// <c>/market</c> carries regular market data (aggTrade, markPrice, kline), <c>/public</c> the high-frequency book
    /// streams (none of which this simulator publishes), <c>/private</c> user data by listen key, each in ws mode
    /// (<c>/ws</c>, raw payloads) and stream mode (<c>/stream</c>, <c>{"stream","data"}</c> envelopes). The unrouted
    /// legacy URLs still accept connections and subscriptions but deliver nothing for market-class streams ("A
    /// connection with no routed path only receives /public data ... This fails silently rather than erroring",
    /// https://developers.binance.com/docs/products/caas/market-data-streams) and nothing for a listen key.
    /// </summary>
    protected override void MapRoutes(WebApplication app)
    {
        app.Map("/fapi/{**path}", context => ServeRestAsync(context, AnswerAsync));
        app.Map("/market/stream", context => RunSocketAsync(context, MarketKind, (socket, token) => MarketSessionAsync(socket, StreamRoute.Market, envelope: true, token)));
        app.Map("/market/ws", context => RunSocketAsync(context, MarketKind, (socket, token) => MarketSessionAsync(socket, StreamRoute.Market, envelope: false, token)));
        app.Map("/public/stream", context => RunSocketAsync(context, MarketKind, (socket, token) => MarketSessionAsync(socket, StreamRoute.Public, envelope: true, token)));
        app.Map("/public/ws", context => RunSocketAsync(context, MarketKind, (socket, token) => MarketSessionAsync(socket, StreamRoute.Public, envelope: false, token)));
        app.Map("/private/ws/{listenKey}", context => RunSocketAsync(context, UserKind, (socket, token) => UserSessionAsync(context, socket, token)));
        app.Map("/private/ws", context => RunSocketAsync(context, UserKind, (socket, token) => UserSessionAsync(context, socket, token)));
        app.Map("/ws/{listenKey}", context => Legacy(context, LegacyUserKind, SilentSessionAsync));
        app.Map("/ws", context => Legacy(context, MarketKind, (socket, token) => MarketSessionAsync(socket, StreamRoute.Public, envelope: false, token)));
        app.Map("/stream", context => Legacy(context, MarketKind, (socket, token) => MarketSessionAsync(socket, StreamRoute.Public, envelope: true, token)));
    }

    /// <summary>Which class of streams a market connection delivers.</summary>
    private enum StreamRoute
    {
        /// <summary>Regular market data: aggTrade, markPrice, kline.</summary>
        Market,

        /// <summary>High-frequency book data only: bookTicker (also what an unrouted legacy connection gets).</summary>
        Public,
    }

    private async Task<RestAnswer> AnswerAsync(HttpContext context, string method, string path, string rawQuery, string body)
    {
        var endpoint = Endpoint(method, path, rawQuery);
        if (endpoint is null)
        {
            return Error(404, "-1000", $"Unknown endpoint {method} {path}");
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if ((method == "POST" && path == "/fapi/v1/order" && Faults.TakePlacementRefusal())
            || (method == "GET" && path == "/fapi/v1/order" && Faults.TakeOrderReadFailure()))
        {
            // Binance documents a Retry-After on every 429 (https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info,
            // "LIMITS"); this fault models an answer that lost it on the way. -1015 is "Too many new orders"
            // (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code).
            return method == "POST"
                ? Error(429, "-1015", "Too many new orders; current limit is 300 orders per TEN_SECONDS.", headers)
                : Error(429, "-1003", "Too many requests; current limit of IP is 2400 requests per minute.", headers);
        }

        if (Faults.TakeStorm())
        {
            RateLimiter.AnnounceRetryAfter(Faults.StormRetryAfter);
            headers["Retry-After"] = Math.Ceiling(Faults.StormRetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return Error(429, "-1003", "Too many requests; current limit of IP is 2400 requests per minute.", headers);
        }

        var (limitStatus, retryAfter, usage) = RateLimiter.Charge(endpoint.Costs);
        foreach (var limit in RateLimiter.Limits)
        {
            if (limit.Header is { } header && (limit.Name == WeightLimit || endpoint.Costs.ContainsKey(limit.Name)))
            {
                headers[header] = usage[limit.Name].ToString(CultureInfo.InvariantCulture);
            }
        }

        if (limitStatus != 0)
        {
            headers["Retry-After"] = Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return limitStatus == 418
                ? Error(418, "-1003", "Way too many requests; IP banned until later.", headers)
                : Error(429, "-1003", "Too many requests; current limit of IP is 2400 requests per minute.", headers);
        }

        if (endpoint.Security != Security.None && context.Request.Headers["X-MBX-APIKEY"].ToString() != ApiKey)
        {
            return Error(401, "-2015", "Invalid API-key, IP, or permissions for action.", headers);
        }

        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in QueryHelpers.ParseQuery(rawQuery))
        {
            parameters[key] = value.ToString();
        }

        if (body.Length > 0)
        {
            foreach (var (key, value) in QueryHelpers.ParseQuery(body))
            {
                parameters[key] = value.ToString();
            }
        }

        if (endpoint.Security == Security.Signed && CheckSignature(rawQuery, body, parameters) is { } refused)
        {
            return refused with { Headers = headers };
        }

        try
        {
            var (status, json) = await endpoint.Handler(parameters).ConfigureAwait(false);
            return new RestAnswer(status, json, headers);
        }
        catch (BinanceSimError error)
        {
            return Error(error.Status, error.Code, error.Message, headers);
        }
    }

    private RestAnswer? CheckSignature(string rawQuery, string body, Dictionary<string, string> parameters)
    {
        string? signature = null;
        var query = StripSignature(rawQuery, ref signature);
        var form = StripSignature(body, ref signature);
        if (signature is null)
        {
            return Error(400, "-1102", "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
        }

        if (!SignatureMatches(ApiSecret, query + form, signature))
        {
            return Error(400, "-1022", "Signature for this request is not valid.");
        }

        if (!parameters.TryGetValue("timestamp", out var tsText) || !long.TryParse(tsText, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
        {
            return Error(400, "-1102", "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
        }

        var recvWindow = 5000L;
        if (parameters.TryGetValue("recvWindow", out var rw) && (!long.TryParse(rw, NumberStyles.None, CultureInfo.InvariantCulture, out recvWindow) || recvWindow > 60000))
        {
            return Error(400, "-1131", "recvWindow must be less than 60000");
        }

        var now = Clock.NowMilliseconds;
        if (timestamp >= now + 1000)
        {
            return Error(400, "-1021", "Timestamp for this request was 1000ms ahead of the server's time.");
        }

        if (now - timestamp > recvWindow)
        {
            return Error(400, "-1021", "Timestamp for this request is outside of the recvWindow.");
        }

        return null;
    }

    /// <summary>
    /// Binance SIGNED endpoints: "HMAC SHA256 signature ... the secretKey as the key and totalParams as the value", where
    /// totalParams is the query string concatenated with the request body, hex encoded
    /// (https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info, "SIGNED Endpoint Security").
    /// </summary>
    public static bool SignatureMatches(string secret, string totalParams, string signature)
    {
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(totalParams)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature.ToLowerInvariant()));
    }

    /// <summary>Removes the <c>signature</c> parameter from a raw query or body, keeping every other byte as received.</summary>
    private static string StripSignature(string raw, ref string? signature)
    {
        if (raw.Length == 0)
        {
            return raw;
        }

        var parts = raw.Split('&');
        var kept = new List<string>(parts.Length);
        foreach (var part in parts)
        {
            if (part.StartsWith("signature=", StringComparison.Ordinal))
            {
                signature = part["signature=".Length..];
            }
            else
            {
                kept.Add(part);
            }
        }

        return string.Join('&', kept);
    }

    private static bool TakeOne(ref int counter)
    {
        while (true)
        {
            var current = Volatile.Read(ref counter);
            if (current <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref counter, current - 1, current) == current)
            {
                return true;
            }
        }
    }

    private static RestAnswer Error(int status, string code, string message, Dictionary<string, string>? headers = null) =>
        new(status, JsonSerializer.Serialize(new Dictionary<string, object> { ["code"] = int.Parse(code, CultureInfo.InvariantCulture), ["msg"] = message }), headers ?? []);

    private enum Security
    {
        None,
        ApiKey,
        Signed,
    }

    private sealed record EndpointSpec(Security Security, Dictionary<string, int> Costs, Func<Dictionary<string, string>, Task<(int Status, string Json)>> Handler);

    /// <summary>Thrown by handlers for a Binance error answer.</summary>
    private sealed class BinanceSimError(int status, string code, string message) : Exception(message)
    {
        public int Status { get; } = status;

        public string Code { get; } = code;
    }

    [GeneratedRegex("^[.A-Z:/a-z0-9_-]{1,36}$")]
    private static partial Regex ClientOrderIdRule();

    private async Task ExpireListenKeysAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                bool expired;
                lock (_gate)
                {
                    expired = _listenKey is not null && Clock.GetUtcNow() >= _listenKeyExpires;
                }

                if (expired)
                {
                    await ExpireSessionAsync().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
