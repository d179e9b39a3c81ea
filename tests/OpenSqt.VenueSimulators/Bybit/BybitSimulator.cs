using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Sim;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Bybit;

/// <summary>
/// Bybit v5 (category linear) on loopback: the /v5 REST endpoints and the public linear and private WebSockets, on
/// top of the sim matching engine. Strict as Bybit: HTTP 200 envelopes with retCode for business errors, byte-exact
/// HMAC over timestamp + key + recv window + (raw query | raw body) (10004), the clock rule
/// <c>server_time - recv_window &lt;= timestamp &lt; server_time + 1000</c> (10002), API key (10003), category linear
/// only, tick/step/min qty (10001) and min notional (110094), orderLinkId format (10001) and uniqueness (110072),
/// per-item batch results in <c>retExtInfo.list</c>, X-Bapi-Limit headers, and the venue's oddity that a post-only
/// order that would cross is accepted (retCode 0) and then Cancelled with <c>EC_PostOnlyWillTakeLiquidity</c>.
/// Private WebSocket: auth with an expiring signature before any subscription, execution before order events, pongs
/// in the documented shapes, idle connections cut.
/// </summary>
public sealed partial class BybitSimulator : VenueSimulatorHost
{
    public const string DefaultApiKey = "sim-bybit-api-key";
    public const string DefaultApiSecret = "sim-bybit-api-secret";
    public const int MaxBatch = 20;
    private const string PrivateKind = "private";
    private const string PublicKind = "public";
    private const string Ready = "ready";
    private const string Authed = "auth";
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Dictionary<string, Order> _refused = new(StringComparer.Ordinal);
    private long _execId;
    private long _connId;

    /// <summary>
    /// The IP budget (https://bybit-exchange.github.io/docs/v5/rate-limit, "HTTP IP limit"): 600 requests within a
    /// 5-second window per IP; beyond it HTTP 403 "access too frequent". The per-UID per-endpoint budgets are
    /// in BybitSimulator.Limits.cs; they are answered with retCode 10006, never with a ban.
    /// </summary>
    public const string IpLimit = "ip-600-per-5s";

    /// <summary>Answer header names of the per-UID budgets (https://bybit-exchange.github.io/docs/v5/rate-limit).</summary>
    public const string LimitHeader = "X-Bapi-Limit";
    public const string LimitStatusHeader = "X-Bapi-Limit-Status";
    public const string LimitResetHeader = "X-Bapi-Limit-Reset-Timestamp";

    private BybitSimulator(SimVenueOptions? engineOptions)
        : base([new SimRateLimit(IpLimit, 600, TimeSpan.FromSeconds(5), null)], engineOptions)
    {
        _pumps.Add(PumpOrdersAsync(_stop.Token));
        _pumps.Add(PumpPositionsAsync(_stop.Token));
    }

    public string ApiKey { get; init; } = DefaultApiKey;

    public string ApiSecret { get; init; } = DefaultApiSecret;

    /// <summary>
    /// A connection that sends nothing (no ping, no request) for this long is cut: without traffic "the connection is
    /// kept for 10 minutes after the last interaction and then closed by the server" (private streams may set
    /// <c>max_active_time</c> 30 s to 600 s; https://bybit-exchange.github.io/docs/zh-TW/v5/ws/connect).
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Pings received from clients since start.</summary>
    public int PingsReceived => Volatile.Read(ref _pings);

    private int _pings;

    public override int PrivateStreamsReady => Sockets.Count(s => s.Kind == PrivateKind && s.Tag == Ready);

    /// <summary>Starts a simulator on an ephemeral loopback port.</summary>
    public static async Task<BybitSimulator> StartAsync(SimVenueOptions? engineOptions = null, string apiKey = DefaultApiKey, string apiSecret = DefaultApiSecret, CancellationToken cancellationToken = default)
    {
        var simulator = new BybitSimulator(engineOptions) { ApiKey = apiKey, ApiSecret = apiSecret };
        await simulator.StartAsync(cancellationToken).ConfigureAwait(false);
        return simulator;
    }

    /// <summary>Bybit ends a private session when its max_active_time passes: the connection is closed.</summary>
    public override async Task ExpireSessionAsync()
    {
        foreach (var socket in Sockets.Where(s => s.Kind == PrivateKind))
        {
            await socket.CloseAsync("session expired").ConfigureAwait(false);
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
        app.Map("/v5/private", context => RunSocketAsync(context, PrivateKind, PrivateSessionAsync));
        app.Map("/v5/public/linear", context => RunSocketAsync(context, PublicKind, PublicSessionAsync));
        app.Map("/v5/{**path}", context => ServeRestAsync(context, AnswerAsync));
    }

    /// <summary>Bybit answers its JSON envelope with 200 and a refusal outside it (403, 429) as text.</summary>
    protected override string ContentTypeOf(RestAnswer answer) => answer.Status == 200 ? "application/json" : "text/plain";

    private async Task<RestAnswer> AnswerAsync(HttpContext context, string method, string path, string rawQuery, string body)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        var endpoint = Endpoint(method, path);
        if (endpoint is null)
        {
            return new RestAnswer(404, "Not Found", headers);
        }

        if (Faults.TakeStorm())
        {
            RateLimiter.AnnounceRetryAfter(Faults.StormRetryAfter);
            headers["Retry-After"] = Math.Ceiling(Faults.StormRetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return new RestAnswer(429, "Too Many Requests", headers);
        }

        if (method == "POST" && path == "/v5/order/create" && Faults.TakePlacementRefusal())
        {
            // https://bybit-exchange.github.io/docs/v5/error: HTTP 429 "System level frequency protection. Please
            // retry when encounter this" — the answer names no Retry-After.
            return new RestAnswer(429, "System level frequency protection", headers);
        }

        var (ipStatus, _, ipUsage) = RateLimiter.Charge(IpCost);
        if (ipStatus != 0)
        {
            // https://bybit-exchange.github.io/docs/v5/rate-limit: "403, access too frequent" past the IP limit.
            return new RestAnswer(403, "access too frequent", headers);
        }

        if (!endpoint.Signed)
        {
            // Public calls carry no UID; the simulator reports the IP budget in the same headers (unchecked, see
            // docs/venues/bybit-facts.md).
            var now = Clock.NowMilliseconds;
            headers[LimitHeader] = RateLimiter.Limits[0].Limit.ToString(CultureInfo.InvariantCulture);
            headers[LimitStatusHeader] = Math.Max(0, RateLimiter.Limits[0].Limit - ipUsage[IpLimit]).ToString(CultureInfo.InvariantCulture);
            headers[LimitResetHeader] = now.ToString(CultureInfo.InvariantCulture);
        }

        if (endpoint.Signed && CheckAuth(context.Request, method == "GET" ? rawQuery : body) is { } refused)
        {
            return refused with { Headers = headers };
        }

        var granted = 0;
        if (endpoint.UidLimit > 0 && !endpoint.PerOrder)
        {
            granted = ChargeUid(path, endpoint.UidLimit, 1, headers);
            if (granted == 0)
            {
                // https://bybit-exchange.github.io/docs/v5/rate-limit: "retCode": 10006, "retMsg": "Too many visits!".
                return Envelope("10006", "Too many visits!", null, headers);
            }
        }

        Dictionary<string, string> parameters;
        JsonElement json = default;
        JsonDocument? doc = null;
        try
        {
            if (method == "GET")
            {
                parameters = QueryHelpers.ParseQuery(rawQuery).ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);
            }
            else
            {
                try
                {
                    doc = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
                }
                catch (JsonException)
                {
                    return Envelope("10001", "request body is not valid JSON", null, headers);
                }

                json = doc.RootElement;
                parameters = json.EnumerateObject()
                    .Where(p => p.Value.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
                    .ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(), StringComparer.Ordinal);
            }

            if (endpoint.NeedsCategory && parameters.GetValueOrDefault("category") != "linear")
            {
                return Envelope("10001", "category only support linear in this simulator", null, headers);
            }

            if (endpoint.UidLimit > 0 && endpoint.PerOrder)
            {
                // Batch endpoints: their own budget, charged per order; the items past the allowance fail with
                // 10006 inside a successful answer (rate-limit page, "Instructions for batch endpoints").
                var items = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("request", out var list) && list.ValueKind == JsonValueKind.Array ? list.GetArrayLength() : 0;
                granted = items is > 0 and <= MaxBatch ? ChargeUid(path, endpoint.UidLimit, items, headers) : 0;
                if (path == "/v5/order/create-batch")
                {
                    granted = Faults.AdmitBatchOrders(granted);
                }
            }

            var (result, ext, status) = await endpoint.Handler(parameters, json, granted).ConfigureAwait(false);
            if (status != 200)
            {
                return new RestAnswer(status, "Service Unavailable", headers);
            }

            return Envelope("0", "OK", result, headers, ext);
        }
        catch (BybitSimError error)
        {
            return Envelope(error.Code, error.Message, null, headers);
        }
        finally
        {
            doc?.Dispose();
        }
    }

    private RestAnswer? CheckAuth(HttpRequest request, string signedPart)
    {
        // https://bybit-exchange.github.io/docs/v5/guide#authentication: the four X-BAPI-* headers.
        var key = request.Headers["X-BAPI-API-KEY"].ToString();
        var timestamp = request.Headers["X-BAPI-TIMESTAMP"].ToString();
        var recvWindow = request.Headers["X-BAPI-RECV-WINDOW"].ToString();
        var signature = request.Headers["X-BAPI-SIGN"].ToString();
        if (key.Length == 0 || timestamp.Length == 0 || signature.Length == 0)
        {
            return Envelope("10001", $"empty value: apiTimestamp[{timestamp}] apiKey[{(key.Length == 0 ? "" : "***")}] apiSignature[***]: openapi sign params error!", null, []);
        }

        if (key != ApiKey)
        {
            return Envelope("10003", "API key is invalid.", null, []);
        }

        if (recvWindow.Length == 0)
        {
            recvWindow = "5000";
        }

        if (!SignatureMatches(ApiSecret, timestamp + key + recvWindow + signedPart, signature))
        {
            return Envelope("10004", "error sign! origin_string[...]", null, []);
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ts) || !long.TryParse(recvWindow, NumberStyles.None, CultureInfo.InvariantCulture, out var window))
        {
            return Envelope("10001", "invalid timestamp or recv window", null, []);
        }

        var now = Clock.NowMilliseconds;
        if (!(now - window <= ts && ts < now + 1000))
        {
            return Envelope("10002", $"invalid request, please check your server timestamp or recv_window param. req_timestamp[{ts}],server_timestamp[{now}],recv_window[{window}]", null, []);
        }

        return null;
    }

    private RestAnswer Envelope(string code, string message, Action<Utf8JsonWriter>? result, Dictionary<string, string> headers, Action<Utf8JsonWriter>? ext = null) =>
        new(200, Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("retCode", int.Parse(code, CultureInfo.InvariantCulture));
            w.WriteString("retMsg", message);
            w.WritePropertyName("result");
            if (result is null)
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
            else
            {
                result(w);
            }

            w.WritePropertyName("retExtInfo");
            if (ext is null)
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
            else
            {
                ext(w);
            }

            w.WriteNumber("time", Clock.NowMilliseconds);
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

    private static readonly Dictionary<string, int> IpCost = new(StringComparer.Ordinal) { [IpLimit] = 1 };

    /// <summary>
    /// One endpoint: whether it is signed and needs <c>category</c>, its per-UID budget per second (0: none) and whether
    /// that budget is charged per order of the request (the batch endpoints), and the handler (given the number of
    /// orders the batch budget allowed).
    /// </summary>
    private sealed record EndpointSpec(bool Signed, bool NeedsCategory, int UidLimit, bool PerOrder, Func<Dictionary<string, string>, JsonElement, int, Task<(Action<Utf8JsonWriter>? Result, Action<Utf8JsonWriter>? Ext, int Status)>> Handler);

    /// <summary>Thrown by handlers for a Bybit retCode answer.</summary>
    private sealed class BybitSimError(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }

    [GeneratedRegex("^[0-9A-Za-z_-]{1,36}$")]
    private static partial Regex OrderLinkIdRule();
}
