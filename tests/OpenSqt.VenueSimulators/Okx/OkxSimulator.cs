using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Sim;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Okx;

/// <summary>
/// OKX v5 (instType SWAP) on loopback: the /api/v5 REST endpoints and the public, private and business WebSockets, on
/// top of the sim matching engine, which trades in base units while the wire speaks contracts (ctVal = 10 x the
/// engine's step, lot 0.1 contract). Strict as OKX: ISO-8601 millisecond timestamps (50112), base64 HMAC over
/// timestamp + method + path with query + body (50113), key and passphrase (50111/50105), a timestamp window (50102),
/// SWAP instrument ids, sizes that are whole lots of contracts (51121) and at least minSz (51020), alphanumeric
/// clOrdId of at most 32 (51000) unique among orders (51016), per-item <c>sCode</c>/<c>sMsg</c> with overall code 1
/// or 2, per-endpoint budgets with HTTP 429 and 50011 and no Retry-After, batches charged per order with the orders
/// past the budget refused one by one (sCode 50011), open orders paged 100 at a time newest first (<c>after</c> an
/// ordId), funding rates of every swap with <c>instId=ANY</c>, one cancel code 51400 for filled, canceled or unknown
/// orders; a post-only order that would cross is accepted and then canceled with cancelSource 31.
/// WebSockets: login before private subscriptions, an initial snapshot of account and positions on subscribe and then
/// only what changed (the <c>account</c> channel pushes only the currencies whose balance changed), candles only on
/// the business endpoint (60018 elsewhere), text <c>ping</c>/<c>pong</c>, connections silent for 30 s closed with 4004,
/// and the 64008 service-upgrade notice on demand. Every fact names its OKX documentation page in <see cref="OkxWire"/>
/// or next to the code; none is read from the connector.
/// </summary>
public sealed partial class OkxSimulator : VenueSimulatorHost, ISnapshotPositionChannel
{
    public const string DefaultApiKey = "sim-okx-api-key";
    public const string DefaultApiSecret = "sim-okx-api-secret";
    public const string DefaultPassphrase = "sim-okx-passphrase";
    public const int MaxBatch = 20;
    public const decimal Lot = 0.1m;
    private const string PrivateKind = "private";
    private const string PublicKind = "public";
    private const string BusinessKind = "business";
    private const string Ready = "ready";
    private const string LoggedIn = "login";
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Dictionary<string, Order> _refused = new(StringComparer.Ordinal);
    private readonly Queue<OkxQueryFault> _queryFaults = new();
    private readonly Dictionary<string, decimal> _extraBalances = new(StringComparer.Ordinal);
    private long _connId;
    private long _publicSeqId;
    private long _refusedId = 9_000_000_000;

    private OkxSimulator(SimVenueOptions? engineOptions)
        : base(OkxWire.Limits, engineOptions)
    {
        BatchPlaceBudget = new OkxOrderBudget(Clock, OkxWire.BatchOrdersPerWindow, OkxWire.Window);
        BatchCancelBudget = new OkxOrderBudget(Clock, OkxWire.BatchOrdersPerWindow, OkxWire.Window);
        _pumps.Add(PumpOrdersAsync(_stop.Token));
        _pumps.Add(PumpPositionsAsync(_stop.Token));
    }

    /// <summary>What the next read of <c>GET /api/v5/trade/order</c> suffers.</summary>
    public enum OkxQueryFault
    {
        /// <summary>HTTP 429, code 50011, no Retry-After (OKX sends none).</summary>
        RateLimited = 1,

        /// <summary>HTTP 503, code 50001 "Service temporarily unavailable".</summary>
        Unavailable = 2,

        /// <summary>Code 51603 "Order does not exist": the order is not visible to queries yet.</summary>
        NotYetVisible = 3,

        /// <summary>No answer within the client's patience: the answer is held for 30 s.</summary>
        Timeout = 4,
    }

    /// <summary>Per-order budget of POST /api/v5/trade/batch-orders (300 orders per 2 s).</summary>
    internal OkxOrderBudget BatchPlaceBudget { get; }

    /// <summary>Per-order budget of POST /api/v5/trade/cancel-batch-orders (300 orders per 2 s).</summary>
    internal OkxOrderBudget BatchCancelBudget { get; }

    /// <summary>Orders of batches refused with sCode 50011 because the batch budget was spent.</summary>
    public int BatchOrdersRefusedForRate => BatchPlaceBudget.Refused + BatchCancelBudget.Refused;

    /// <summary>
    /// OKX's signature check: base64(HMAC-SHA256(secret, timestamp + method + requestPath + body)), compared exactly
    /// (https://www.okx.com/docs-v5/en/#overview-rest-authentication-signature).
    /// </summary>
    public static bool SignatureMatches(string secret, string payload, string signature) => OkxWire.Verify(secret, payload, signature);

    /// <summary>The next <paramref name="count"/> reads of one order (GET /api/v5/trade/order) fail with <paramref name="fault"/>.</summary>
    public void FailOrderQueries(OkxQueryFault fault, int count)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _queryFaults.Enqueue(fault);
            }
        }
    }

    private IReadOnlyDictionary<string, string>? OverridesOf(string? clientOrderId)
    {
        Dictionary<string, string>? overrides = null;

        // Faults.ReportUnknownValue: OKX carries the time in force in ordType (post_only, fok, ioc next to limit and
        // market; https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order), so an unknown time in
        // force and an unknown order type are both a new ordType; an unknown status is a new state.
        if (Faults.ReportsUnknown(clientOrderId, OrderField.TimeInForce) || Faults.ReportsUnknown(clientOrderId, OrderField.OrderType))
        {
            (overrides ??= new Dictionary<string, string>(StringComparer.Ordinal))["ordType"] = "some_new_type";
        }

        if (Faults.ReportsUnknown(clientOrderId, OrderField.Status))
        {
            (overrides ??= new Dictionary<string, string>(StringComparer.Ordinal))["state"] = "some_new_state";
        }

        return overrides;
    }

    private OkxQueryFault? TakeQueryFault()
    {
        lock (_gate)
        {
            return _queryFaults.TryDequeue(out var fault) ? fault : null;
        }
    }

    public string ApiKey { get; init; } = DefaultApiKey;

    public string ApiSecret { get; init; } = DefaultApiSecret;

    public string Passphrase { get; init; } = DefaultPassphrase;

    /// <summary>
    /// How far a request timestamp may be from the venue clock: "The request will expire 30 seconds after the
    /// timestamp" (https://www.okx.com/docs-v5/en/#overview-websocket-login; REST refuses with 50102 "Timestamp request
    /// expired", no window stated, the same 30 s assumed).
    /// </summary>
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>OKX closes a connection that received nothing for 30 s (close frame 4004 "No data received in 30s", https://www.okx.com/docs-v5/en/#error-code-websocket).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public int PingsReceived => Volatile.Read(ref _pings);

    private int _pings;

    public override int PrivateStreamsReady => Sockets.Count(s => s.Kind == PrivateKind && s.Tag == Ready);

    public string WsPublicUrl => WsBaseUrl + "/ws/v5/public";

    public string WsPrivateUrl => WsBaseUrl + "/ws/v5/private";

    public string WsBusinessUrl => WsBaseUrl + "/ws/v5/business";

    public static async Task<OkxSimulator> StartAsync(SimVenueOptions? engineOptions = null, string apiKey = DefaultApiKey, string apiSecret = DefaultApiSecret, string passphrase = DefaultPassphrase, CancellationToken cancellationToken = default)
    {
        var simulator = new OkxSimulator(engineOptions) { ApiKey = apiKey, ApiSecret = apiSecret, Passphrase = passphrase };
        await simulator.StartAsync(cancellationToken).ConfigureAwait(false);
        return simulator;
    }

    /// <summary>The contract value of an engine symbol: ten engine steps.</summary>
    public decimal ContractValue(SymbolRules rules) => rules.StepSize * 10m;

    /// <summary>The private session ends as OKX ends one: the connection is closed and must log in again.</summary>
    public override async Task ExpireSessionAsync()
    {
        foreach (var socket in Sockets.Where(s => s.Kind == PrivateKind))
        {
            await socket.CloseAsync("session expired").ConfigureAwait(false);
        }
    }

    /// <summary>Sends the 64008 service-upgrade notice on every connection; OKX closes them shortly after.</summary>
    public async Task AnnounceServiceUpgradeAsync()
    {
        foreach (var socket in Sockets)
        {
            await socket.SendAsync("{\"event\":\"notice\",\"code\":\"64008\",\"msg\":\"The connection will soon be closed for a service upgrade. Please reconnect.\",\"connId\":\"sim\"}").ConfigureAwait(false);
        }
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

    protected override void MapRoutes(WebApplication app)
    {
        app.Map("/ws/v5/private", context => RunSocketAsync(context, PrivateKind, PrivateSessionAsync));
        app.Map("/ws/v5/public", context => RunSocketAsync(context, PublicKind, (s, t) => PublicSessionAsync(s, business: false, t)));
        app.Map("/ws/v5/business", context => RunSocketAsync(context, BusinessKind, (s, t) => PublicSessionAsync(s, business: true, t)));
        app.Map("/api/v5/{**path}", context => ServeRestAsync(context, AnswerAsync));
    }

    /// <summary>OKX answers its JSON envelope as JSON and a bare refusal (a 429 without an envelope) as text.</summary>
    protected override string ContentTypeOf(RestAnswer answer) => answer.Body.StartsWith('{') ? "application/json" : "text/plain";

    private async Task<RestAnswer> AnswerAsync(HttpContext context, string method, string path, string rawQuery, string body)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        var endpoint = Endpoint(method, path);
        if (endpoint is null)
        {
            return new RestAnswer(404, "Not Found", headers);
        }

        // OKX answers a spent budget with HTTP 429, code 50011 "Too Many Requests" and no Retry-After header
        // (https://www.okx.com/docs-v5/en/#error-code-rest-api-public; the REST rate-limit section names no header).
        if (Faults.TakeStorm())
        {
            RateLimiter.AnnounceRetryAfter(Faults.StormRetryAfter);
            return Envelope(429, OkxWire.RateLimited, "Too Many Requests", null, headers);
        }

        if ((method == "POST" && path == "/api/v5/trade/order" && Faults.TakePlacementRefusal())
            || (method == "GET" && path == "/api/v5/trade/order" && Faults.TakeOrderReadFailure()))
        {
            return Envelope(429, OkxWire.RateLimited, "Too Many Requests", null, headers);
        }

        var (limitStatus, _, _) = RateLimiter.Charge(endpoint.Costs);
        if (limitStatus != 0)
        {
            return Envelope(429, OkxWire.RateLimited, "Too Many Requests", null, headers);
        }

        if (endpoint.Signed && CheckAuth(context.Request, method, path, rawQuery, body) is { } refused)
        {
            return refused with { Headers = headers };
        }

        if (method == "GET" && path == "/api/v5/trade/order" && TakeQueryFault() is { } fault)
        {
            switch (fault)
            {
                case OkxQueryFault.RateLimited:
                    return Envelope(429, OkxWire.RateLimited, "Too Many Requests", null, headers);
                case OkxQueryFault.Unavailable:
                    return Envelope(503, OkxWire.ServiceUnavailable, "Service temporarily unavailable. Please try again later.", null, headers);
                case OkxQueryFault.NotYetVisible:
                    return Envelope(200, OkxWire.OrderNotExist, "Order does not exist", null, headers);
                default:
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // The client gave up waiting, as intended.
                    }

                    return Envelope(503, OkxWire.ServiceUnavailable, "Service temporarily unavailable. Please try again later.", null, headers);
            }
        }

        JsonDocument? doc = null;
        try
        {
            var parameters = QueryHelpers.ParseQuery(rawQuery).ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);
            JsonElement json = default;
            if (method == "POST")
            {
                try
                {
                    doc = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
                }
                catch (JsonException)
                {
                    return Envelope(OkxWire.HttpStatusOf(OkxWire.JsonError), OkxWire.JsonError, "JSON syntax error", null, headers);
                }

                json = doc.RootElement;
            }

            var (code, message, data, status) = await endpoint.Handler(parameters, json).ConfigureAwait(false);
            return status != 200 ? new RestAnswer(status, "Service Unavailable", headers) : Envelope(200, code, message, data, headers);
        }
        catch (OkxSimError error)
        {
            return Envelope(OkxWire.HttpStatusOf(error.Code), error.Code, error.Message, null, headers);
        }
        finally
        {
            doc?.Dispose();
        }
    }

    private RestAnswer? CheckAuth(HttpRequest request, string method, string path, string rawQuery, string body)
    {
        var key = request.Headers[OkxWire.KeyHeader].ToString();
        var passphrase = request.Headers[OkxWire.PassphraseHeader].ToString();
        var timestamp = request.Headers[OkxWire.TimestampHeader].ToString();
        var signature = request.Headers[OkxWire.SignHeader].ToString();
        if (key.Length == 0 || timestamp.Length == 0 || signature.Length == 0 || passphrase.Length == 0)
        {
            return Envelope(401, OkxWire.HeadersMissing, "Request header OK-ACCESS-KEY, OK-ACCESS-SIGN, OK-ACCESS-TIMESTAMP or OK-ACCESS-PASSPHRASE cannot be empty.", null, []);
        }

        if (!DateTimeOffset.TryParseExact(timestamp, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var sent))
        {
            return Envelope(401, OkxWire.BadTimestamp, "Invalid OK-ACCESS-TIMESTAMP", null, []);
        }

        if (key != ApiKey)
        {
            return Envelope(401, OkxWire.BadKey, "Invalid OK-ACCESS-KEY", null, []);
        }

        if (passphrase != Passphrase)
        {
            return Envelope(401, OkxWire.BadPassphrase, "Request header OK-ACCESS-PASSPHRASE incorrect.", null, []);
        }

        var requestPath = rawQuery.Length == 0 ? path : path + "?" + rawQuery;
        if (!OkxWire.Verify(ApiSecret, timestamp + method + requestPath + body, signature))
        {
            return Envelope(401, OkxWire.BadSign, "Invalid signature.", null, []);
        }

        if ((Clock.GetUtcNow() - sent).Duration() > TimestampTolerance)
        {
            return Envelope(401, OkxWire.TimestampExpired, "Timestamp request expired", null, []);
        }

        return null;
    }

    private static RestAnswer Envelope(int status, string code, string message, Action<Utf8JsonWriter>? data, Dictionary<string, string> headers) =>
        new(status, Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("code", code);
            w.WriteString("msg", message);
            w.WriteStartArray("data");
            data?.Invoke(w);
            w.WriteEndArray();
            w.WriteEndObject();
        }), headers);

    internal static string Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string D(decimal value) => WireNumbers.Format(value);

    private sealed record EndpointSpec(bool Signed, IReadOnlyDictionary<string, int> Costs, Func<Dictionary<string, string>, JsonElement, Task<(string Code, string Message, Action<Utf8JsonWriter>? Data, int Status)>> Handler);

    /// <summary>Thrown by handlers for an OKX error answer.</summary>
    private sealed class OkxSimError(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }
}
