using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using OpenSqt.Exchanges.Sim;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Bitget;

/// <summary>
/// Bitget v2 mix (USDT-FUTURES) on loopback: the <c>/api/v2/mix</c> REST endpoints and the public and private v2
/// WebSockets, on top of the sim matching engine. Strict as Bitget: byte-exact base64 HMAC-SHA256 check of
/// timestamp, method, path, query and body (40009), key (40006) and passphrase (40012), the timestamp window (40008),
/// the envelope <c>{"code","msg","requestTime","data"}</c>, productType and marginCoin, size and price scale (40808),
/// minimum order value (45110), clientOid at most 50 ASCII characters (40305), one-way mode (a <c>tradeSide</c> is
/// 40774; in <see cref="HedgeMode"/> its absence is), post-only orders that would take accepted and cancelled at once,
/// WebSocket login before private channels, and the text <c>ping</c> heartbeat (silent connections are dropped).
/// Nasty on demand through <see cref="Faults"/>.
/// </summary>
public sealed partial class BitgetSimulator : VenueSimulatorHost, ISnapshotPositionChannel
{
    public const string DefaultApiKey = "sim-bitget-api-key";
    public const string DefaultApiSecret = "sim-bitget-api-secret";
    public const string DefaultPassphrase = "sim-bitget-passphrase";
    public const string PublicPath = "/v2/ws/public";
    public const string PrivatePath = "/v2/ws/private";
    private const string PublicKind = "public";
    private const string PrivateKind = "private";
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];

    private BitgetSimulator(SimVenueOptions? engineOptions)
        : base(RateLimits(), engineOptions)
    {
        _pumps.Add(PumpOrdersAsync(_stop.Token));
        _pumps.Add(PumpPositionsAsync(_stop.Token));
        _pumps.Add(PumpTradeHistoryAsync(_stop.Token));
    }

    /// <summary>
    /// Bitget counts each endpoint on its own ("the rate limit of each API interface is calculated independently",
    /// https://www.bitget.com/api-doc/common/faq) within 6000 requests a minute per IP, and reports what is left of the
    /// answering endpoint's second in <c>x-mbx-used-remain-limit</c>. Per-endpoint figures from each endpoint's page:
    /// market data 20/s per IP; place, cancel, batch-cancel, order detail, orders-pending, accounts, account and
    /// single-position 10/s per UID; batch-place-order and all-position 5/s per UID. The ticker endpoint comes first: it
    /// is the budget <see cref="WindowRateLimiter.SpendElsewhere"/> spends.
    /// </summary>
    private static List<SimRateLimit> RateLimits()
    {
        var second = TimeSpan.FromSeconds(1);
        var limits = new List<SimRateLimit> { new(Mix + "/market/ticker", 20, second, Wire.RemainHeader), new(IpLimit, 6000, TimeSpan.FromMinutes(1), null) };
        foreach (var (path, perSecond) in EndpointLimits)
        {
            limits.Add(new SimRateLimit(path, perSecond, second, Wire.RemainHeader));
        }

        return limits;
    }

    private const string IpLimit = "ip";

    private static readonly (string Path, int PerSecond)[] EndpointLimits =
    [
        ("/api/v2/public/time", 20),
        (Mix + "/market/contracts", 20),
        (Mix + "/market/tickers", 20),
        (Mix + "/market/candles", 20),
        (Mix + "/market/funding-time", 20),
        (Mix + "/market/history-fund-rate", 20),
        (Mix + "/order/place-order", 10),
        (Mix + "/order/batch-place-order", 5),
        (Mix + "/order/cancel-order", 10),
        (Mix + "/order/batch-cancel-orders", 10),
        (Mix + "/order/detail", 10),
        (Mix + "/order/orders-pending", 10),
        (Mix + "/account/accounts", 10),
        (Mix + "/account/account", 10),
        (Mix + "/position/all-position", 5),
        (Mix + "/position/single-position", 10),
    ];

    public string ApiKey { get; init; } = DefaultApiKey;

    public string ApiSecret { get; init; } = DefaultApiSecret;

    public string Passphrase { get; init; } = DefaultPassphrase;

    public string PublicWsUrl => WsBaseUrl + PublicPath;

    public string PrivateWsUrl => WsBaseUrl + PrivatePath;

    /// <summary>
    /// Largest gap between ACCESS-TIMESTAMP (or the login timestamp) and the venue clock: "The request will expire 30
    /// seconds after the timestamp" (https://www.bitget.com/api-doc/common/websocket-intro, Login). The REST signature
    /// page names no window; the same 30 s is assumed there.
    /// </summary>
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A connection that sends nothing (no ping) for this long is dropped (Bitget: about 2 minutes).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>The account is in hedge mode: orders must carry tradeSide, one-way orders are refused with 40774.</summary>
    public bool HedgeMode { get; set; }

    /// <summary>
    /// Fault: batch-cancel-orders answers each failed item with <c>clientOid</c> (the order's, when Bitget knows the
    /// order) and <c>errorMsg</c>/<c>errorCode</c> but no <c>orderId</c>. Bitget's v2 batch-cancel pages document
    /// <c>failureList</c> items as <c>{orderId, clientOid, errorMsg}</c>, and its isolated-margin batch cancel documents
    /// them as <c>{clientOid, errorMsg}</c> only (https://www.bitget.com/api-doc/margin/isolated/trade/Isolated-Batch-Cancel-Orders),
    /// so a client must not count on the id being there.
    /// </summary>
    public bool OmitOrderIdOfFailedCancels { get; set; }

    /// <summary>
    /// Bitget's signature check: base64(HMAC-SHA256(secret, timestamp + method + requestPath + "?" + queryString + body)),
    /// compared exactly (https://www.bitget.com/api-doc/common/signature).
    /// </summary>
    public static bool SignatureMatches(string secret, string payload, string signature) => Wire.Verify(secret, payload, signature);

    /// <summary>Text pings answered since start.</summary>
    public int PingsAnswered => Volatile.Read(ref _pings);

    private int _pings;

    public static async Task<BitgetSimulator> StartAsync(SimVenueOptions? engineOptions = null, string apiKey = DefaultApiKey, string apiSecret = DefaultApiSecret, string passphrase = DefaultPassphrase, CancellationToken cancellationToken = default)
    {
        var simulator = new BitgetSimulator(engineOptions) { ApiKey = apiKey, ApiSecret = apiSecret, Passphrase = passphrase };
        await simulator.StartAsync(cancellationToken).ConfigureAwait(false);
        return simulator;
    }

    /// <summary>Bitget has no listen keys; the private session ends as a server-side close, after which the client logs in again.</summary>
    public override async Task ExpireSessionAsync()
    {
        foreach (var socket in Sockets.Where(s => s.Kind == PrivateKind))
        {
            await socket.CloseAsync("session ended").ConfigureAwait(false);
        }
    }

    protected override void MapRoutes(WebApplication app)
    {
        app.Map("/api/v2/{**path}", context => ServeRestAsync(context, AnswerAsync));
        app.Map(PublicPath, context => RunSocketAsync(context, PublicKind, PublicSessionAsync));
        app.Map(PrivatePath, context => RunSocketAsync(context, PrivateKind, PrivateSessionAsync));
    }

    private async Task<RestAnswer> AnswerAsync(HttpContext context, string method, string path, string rawQuery, string body)
    {
        var endpoint = Endpoint(method, path);
        if (endpoint is null)
        {
            return Error(404, "404", $"Request address does not exist: {method} {path}");
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Faults.TakeStorm())
        {
            RateLimiter.AnnounceRetryAfter(Faults.StormRetryAfter);
            headers["Retry-After"] = Math.Ceiling(Faults.StormRetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return Error(429, "429", "Too Many Requests", headers);
        }

        if ((method == "POST" && path == "/api/v2/mix/order/place-order" && Faults.TakePlacementRefusal())
            || (method == "GET" && path == "/api/v2/mix/order/detail" && Faults.TakeOrderReadFailure()))
        {
            // A 429 that names no Retry-After (Bitget's 429s do not promise one).
            return Error(429, "429", "Too Many Requests", headers);
        }

        var (limitStatus, retryAfter, usage) = RateLimiter.Charge(endpoint.Costs);
        var own = RateLimiter.Limits.First(l => l.Name == path);
        headers[Wire.RemainHeader] = Math.Max(0, own.Limit - usage[own.Name]).ToString(CultureInfo.InvariantCulture);
        if (limitStatus != 0)
        {
            headers["Retry-After"] = Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Error(429, "429", "Too Many Requests", headers);
        }

        if (endpoint.Signed && CheckSignature(context.Request, method, path, rawQuery, body) is { } refused)
        {
            return refused with { Headers = headers };
        }

        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in QueryHelpers.ParseQuery(rawQuery))
        {
            query[key] = value.ToString();
        }

        try
        {
            JsonElement json = default;
            JsonDocument? doc = null;
            if (method == "POST")
            {
                try
                {
                    doc = JsonDocument.Parse(body);
                    json = doc.RootElement;
                }
                catch (JsonException)
                {
                    return Error(400, "40017", "Parameter verification failed: body is not JSON", headers);
                }
            }

            using (doc)
            {
                var productType = method == "POST" ? (json.TryGetProperty("productType", out var pt) ? pt.GetString() : null) : query.GetValueOrDefault("productType");
                if (endpoint.NeedsProductType && productType != Wire.ProductType)
                {
                    return Error(400, "40019", "Parameter productType cannot be empty or is not USDT-FUTURES", headers);
                }

                var (status, data) = await endpoint.Handler(new BitgetCall(query, json)).ConfigureAwait(false);
                return new RestAnswer(status, status == 200 ? Envelope(data) : data, headers);
            }
        }
        catch (BitgetSimError error)
        {
            return Error(error.Status, error.Code, error.Message, headers);
        }
    }

    private string Envelope(string data) => $"{{\"code\":\"00000\",\"msg\":\"success\",\"requestTime\":{Clock.NowMilliseconds},\"data\":{data}}}";

    private RestAnswer? CheckSignature(HttpRequest request, string method, string path, string rawQuery, string body)
    {
        var key = request.Headers[Wire.KeyHeader].ToString();
        var sign = request.Headers[Wire.SignHeader].ToString();
        var timestamp = request.Headers[Wire.TimestampHeader].ToString();
        var passphrase = request.Headers[Wire.PassphraseHeader].ToString();
        if (key.Length == 0)
        {
            return Error(400, "40001", "ACCESS_KEY cannot be empty");
        }

        if (sign.Length == 0)
        {
            return Error(400, "40003", "Signature cannot be empty");
        }

        if (passphrase.Length == 0)
        {
            return Error(400, "40011", "ACCESS_PASSPHRASE cannot be empty");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return Error(400, "40005", "Invalid ACCESS_TIMESTAMP");
        }

        if (key != ApiKey)
        {
            return Error(400, "40006", "Invalid ACCESS_KEY");
        }

        if (passphrase != Passphrase)
        {
            return Error(400, "40012", "apikey/password is incorrect");
        }

        var payload = timestamp + method + path + (rawQuery.Length > 0 ? "?" + rawQuery : "") + body;
        if (!Wire.Verify(ApiSecret, payload, sign))
        {
            return Error(400, "40009", "sign signature error");
        }

        if (Math.Abs(Clock.NowMilliseconds - ms) > (long)TimestampTolerance.TotalMilliseconds)
        {
            return Error(400, Wire.TimestampExpired, "Request timestamp expired");
        }

        return null;
    }

    private RestAnswer Error(int status, string code, string message, Dictionary<string, string>? headers = null) =>
        new(status, $"{{\"code\":\"{code}\",\"msg\":{JsonSerializer.Serialize(message)},\"requestTime\":{Clock.NowMilliseconds},\"data\":null}}", headers ?? []);

    private sealed record BitgetCall(Dictionary<string, string> Query, JsonElement Body);

    private sealed record EndpointSpec(bool Signed, bool NeedsProductType, Dictionary<string, int> Costs, Func<BitgetCall, Task<(int Status, string Data)>> Handler);

    /// <summary>Thrown by handlers for a Bitget error answer.</summary>
    private sealed class BitgetSimError(int status, string code, string message) : Exception(message)
    {
        public int Status { get; } = status;

        public string Code { get; } = code;
    }

    protected override async ValueTask OnDisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_pumps).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
