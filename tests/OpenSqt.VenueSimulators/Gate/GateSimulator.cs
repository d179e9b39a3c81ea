using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using OpenSqt.Exchanges.Sim;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Gate;

/// <summary>
/// Gate APIv4 USDT-settled futures on loopback: the <c>/api/v4/futures/usdt</c> REST endpoints and the futures
/// WebSocket <c>/v4/ws/usdt</c>, on top of the sim matching engine. Strict as Gate: byte-exact HMAC-SHA512 check of
/// method, path, query and body hash (<c>INVALID_SIGNATURE</c>), the Timestamp window (<c>REQUEST_EXPIRED</c>), the
/// API key (<c>INVALID_KEY</c>), sizes in whole signed contracts of <c>quanto_multiplier</c> base units (a fractional
/// or base-unit size is <c>INVALID_PARAM_VALUE</c> or lands as the wrong quantity), <c>order_price_round</c>
/// (<c>INVALID_PRECISION</c>), <c>order_size_min</c> (<c>SIZE_TOO_SMALL</c>), <c>text</c> ids of <c>t-</c> plus at
/// most 28 of <c>[0-9A-Za-z_.-]</c>, <c>poc</c> crossing (<c>ORDER_POC_IMMEDIATE</c>), per-request authentication of
/// private channels with a fresh time, <c>futures.ping</c> heartbeats (silent connections are dropped), and the
/// request budgets as Gate counts them (one budget per endpoint, see <see cref="Budgets"/>) with the
/// <c>X-Gate-RateLimit-*</c> headers and 429 <c>TOO_MANY_REQUESTS</c>. Nasty on demand through <see cref="Faults"/>.
/// </summary>
public sealed partial class GateSimulator : VenueSimulatorHost
{
    public const string DefaultApiKey = "sim-gate-api-key";
    public const string DefaultApiSecret = "sim-gate-api-secret";
    public const string UserId = "10406147";
    public const string ApiPrefix = "/api/v4";
    public const string WsPath = "/v4/ws/usdt";
    private const string SocketKind = "futures";
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];

    /// <summary>
    /// Gate's budgets (https://www.gate.com/docs/developers/apiv4/en/#frequency-limit-rule): every public endpoint
    /// 200 r/10 s of its own (per IP); perpetual futures "batch/single order placement and amend an order are total of
    /// 100r/s", "order cancellation (bulk/single) is 200r/s", "the others: 200r/10s per endpoint" (per UID). The first
    /// is the tickers budget, which the shared suite reads as <see cref="VenueSimulatorHost.RateLimiter"/>.
    /// </summary>
    public static IReadOnlyList<SimRateLimit> Budgets { get; } =
    [
        new("public:tickers", 200, TimeSpan.FromSeconds(10), RemainHeader),
        new("public:time", 200, TimeSpan.FromSeconds(10), RemainHeader),
        new("public:contracts", 200, TimeSpan.FromSeconds(10), RemainHeader),
        new("public:candlesticks", 200, TimeSpan.FromSeconds(10), RemainHeader),
        new("public:funding_rate", 200, TimeSpan.FromSeconds(10), RemainHeader),
        new("private:orders", 200, TimeSpan.FromSeconds(10), RemainHeader),
        new("private:order", 200, TimeSpan.FromSeconds(10), RemainHeader),
        new("private:accounts", 200, TimeSpan.FromSeconds(10), RemainHeader),
        new("private:positions", 200, TimeSpan.FromSeconds(10), RemainHeader),
        new("orders", 100, TimeSpan.FromSeconds(1), RemainHeader),
        new("cancels", 200, TimeSpan.FromSeconds(1), RemainHeader),
        new("private:countdown_cancel_all", 200, TimeSpan.FromSeconds(10), RemainHeader),
    ];

    /// <summary>Gate: "X-Gate-RateLimit-Requests-Remain - your remaining requests for current endpoint".</summary>
    public const string RemainHeader = "X-Gate-RateLimit-Requests-Remain";

    /// <summary>Gate: "X-Gate-RateLimit-Limit - your current limit for current endpoint".</summary>
    public const string LimitHeader = "X-Gate-RateLimit-Limit";

    /// <summary>
    /// Gate: "X-Gate-RateLimit-Reset-Timestamp - the timestamp indicating when your request limit resets if you have
    /// exceeded your rate_limit. Otherwise, this is just the current timestamp". The unit is not documented; this
    /// simulator writes Unix seconds (rounded up), as the clients that read it assume (see docs/venues/gate-facts.md).
    /// </summary>
    public const string ResetHeader = "X-Gate-RateLimit-Reset-Timestamp";

    private readonly Dictionary<string, WindowRateLimiter> _limiters;

    private GateSimulator(SimVenueOptions? engineOptions)
        : base([Budgets[0]], engineOptions)
    {
        // One limiter per budget, so a refusal (and a client that keeps sending into it) is counted against that
        // budget only; the tickers budget is the host's own limiter.
        _limiters = Budgets.Skip(1).ToDictionary(b => b.Name, b => new WindowRateLimiter([b], Clock), StringComparer.Ordinal);
        _limiters[Budgets[0].Name] = RateLimiter;
        _pumps.Add(PumpOrdersAsync(_stop.Token));
        _pumps.Add(PumpPositionsAsync(_stop.Token));
    }

    /// <summary>429s served on every budget.</summary>
    public int TotalRefusals => _limiters.Values.Sum(l => l.Refusals);

    /// <summary>Requests sent into a budget the client had been told was spent (Gate answers them 429 too).</summary>
    public int TotalBans => _limiters.Values.Sum(l => l.Bans);

    /// <summary>The limiter of one budget of <see cref="Budgets"/>.</summary>
    public WindowRateLimiter Budget(string name) => _limiters[name];

    public string ApiKey { get; init; } = DefaultApiKey;

    public string ApiSecret { get; init; } = DefaultApiSecret;

    /// <summary>The REST base the client is configured with (it includes <c>/api/v4</c>, which is signed).</summary>
    public string ApiBaseUrl => RestBaseUrl + ApiPrefix;

    /// <summary>The futures WebSocket URL of the USDT settle.</summary>
    public string FuturesWsUrl => WsBaseUrl + WsPath;

    /// <summary>
    /// Largest gap between a request's Timestamp (or a channel request's time) and the venue clock: "the gap between its
    /// value and current time cannot exceed 60 seconds" (https://www.gate.com/docs/developers/apiv4/en/#apiv4-signed-request-requirements).
    /// </summary>
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A connection that sends nothing (no ping, no request) for this long is dropped. Gate documents only that "If the
    /// client does not reply, the client will be disconnected" (futures WebSocket, Ping and Pong); 60 s is this
    /// simulator's choice, not a documented figure.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary><c>futures.ping</c> requests answered since start.</summary>
    public int PingsAnswered => Volatile.Read(ref _pings);

    private int _pings;

    /// <summary>Starts a simulator on an ephemeral loopback port.</summary>
    public static async Task<GateSimulator> StartAsync(SimVenueOptions? engineOptions = null, string apiKey = DefaultApiKey, string apiSecret = DefaultApiSecret, CancellationToken cancellationToken = default)
    {
        var simulator = new GateSimulator(engineOptions) { ApiKey = apiKey, ApiSecret = apiSecret };
        await simulator.StartAsync(cancellationToken).ConfigureAwait(false);
        return simulator;
    }

    /// <summary>Gate has no listen keys; the private connection ends as a server-side disconnect with a close frame.</summary>
    public override async Task ExpireSessionAsync()
    {
        foreach (var socket in Sockets.Where(s => s.Kind == SocketKind && PrivateChannelsOf(s).Count > 0))
        {
            await socket.CloseAsync("session ended").ConfigureAwait(false);
        }
    }

    protected override void MapRoutes(WebApplication app)
    {
        app.Map(ApiPrefix + "/{**path}", context => ServeRestAsync(context, AnswerAsync));
        app.Map(WsPath, context => RunSocketAsync(context, SocketKind, SessionAsync));
    }

    private async Task<RestAnswer> AnswerAsync(HttpContext context, string method, string path, string rawQuery, string body)
    {
        var endpoint = Endpoint(method, path[ApiPrefix.Length..]);
        if (endpoint is null)
        {
            return Error(404, "NOT_FOUND", $"Unknown endpoint {method} {path}");
        }

        // Gate sends no Retry-After (none is documented); the budget's own headers say what is left and when it resets.
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        var limiter = _limiters[endpoint.Budget];
        var budget = limiter.Limits[0];
        if (method == "POST" && path == ApiPrefix + "/futures/usdt/orders" && Faults.TakePlacementRefusal())
        {
            // A 429 whose reset timestamp is "now": it names no pause of its own (Gate sends no Retry-After at all).
            headers[RemainHeader] = "0";
            headers[LimitHeader] = budget.Limit.ToString(CultureInfo.InvariantCulture);
            headers[ResetHeader] = ResetSeconds(TimeSpan.Zero);
            return Error(429, "TOO_MANY_REQUESTS", "Request Rate limit Exceeded", headers);
        }

        if (Faults.TakeStorm())
        {
            limiter.AnnounceRetryAfter(Faults.StormRetryAfter);
            headers[RemainHeader] = "0";
            headers[LimitHeader] = budget.Limit.ToString(CultureInfo.InvariantCulture);
            headers[ResetHeader] = ResetSeconds(Faults.StormRetryAfter);
            return Error(429, "TOO_MANY_REQUESTS", "Request Rate limit Exceeded", headers);
        }

        var (limitStatus, retryAfter, usage) = limiter.Charge(new Dictionary<string, int>(StringComparer.Ordinal) { [budget.Name] = 1 });
        headers[RemainHeader] = Math.Max(0, budget.Limit - usage[budget.Name]).ToString(CultureInfo.InvariantCulture);
        headers[LimitHeader] = budget.Limit.ToString(CultureInfo.InvariantCulture);
        headers[ResetHeader] = ResetSeconds(limitStatus == 0 ? TimeSpan.Zero : retryAfter);
        if (limitStatus != 0)
        {
            // A 418 of the shared limiter means the client sent into a spent budget; Gate answers that 429 as well.
            return Error(429, "TOO_MANY_REQUESTS", "Request Rate limit Exceeded", headers);
        }

        if (endpoint.Signed && CheckSignature(context.Request, method, path, rawQuery, body) is { } refused)
        {
            return refused with { Headers = headers };
        }

        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in QueryHelpers.ParseQuery(rawQuery))
        {
            parameters[key] = value.ToString();
        }

        try
        {
            var (status, json) = await endpoint.Handler(new GateCall(path[ApiPrefix.Length..], parameters, body)).ConfigureAwait(false);
            return new RestAnswer(status, json, headers);
        }
        catch (GateSimError error)
        {
            return Error(error.Status, error.Label, error.Message, headers);
        }
    }

    private RestAnswer? CheckSignature(HttpRequest request, string method, string path, string rawQuery, string body)
    {
        var key = request.Headers["KEY"].ToString();
        var sign = request.Headers["SIGN"].ToString();
        var timestamp = request.Headers["Timestamp"].ToString();
        if (key.Length == 0 || sign.Length == 0 || timestamp.Length == 0)
        {
            return Error(401, "MISSING_REQUIRED_HEADER", "Missing required header: KEY, SIGN or Timestamp");
        }

        if (key != ApiKey)
        {
            return Error(401, "INVALID_KEY", "Invalid key provided");
        }

        if (!GateSignature.VerifyRest(ApiSecret, method, path, rawQuery, body, timestamp, sign))
        {
            return Error(401, "INVALID_SIGNATURE", "Signature mismatch");
        }

        if (!decimal.TryParse(timestamp, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            return Error(401, "MISSING_REQUIRED_HEADER", "Timestamp is not a number of seconds");
        }

        var now = Clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000m;
        if (Math.Abs(now - seconds) > (decimal)TimestampTolerance.TotalSeconds)
        {
            return Error(401, "REQUEST_EXPIRED", $"gap between request Timestamp and server time exceeds {TimestampTolerance.TotalSeconds:F0}");
        }

        return null;
    }

    private static RestAnswer Error(int status, string label, string message, Dictionary<string, string>? headers = null) =>
        new(status, JsonSerializer.Serialize(new Dictionary<string, string> { ["label"] = label, ["message"] = message }), headers ?? []);

    private sealed record GateCall(string Path, Dictionary<string, string> Query, string Body);

    private sealed record EndpointSpec(bool Signed, string Budget, Func<GateCall, Task<(int Status, string Json)>> Handler);

    /// <summary>The reset timestamp of a budget that frees up after <paramref name="wait"/>, in Unix seconds rounded up.</summary>
    private string ResetSeconds(TimeSpan wait)
    {
        var at = Clock.GetUtcNow() + wait;
        var seconds = at.ToUnixTimeSeconds();
        if (wait > TimeSpan.Zero && at > DateTimeOffset.FromUnixTimeSeconds(seconds))
        {
            seconds++;
        }

        return seconds.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Thrown by handlers for a Gate error answer.</summary>
    private sealed class GateSimError(int status, string label, string message) : Exception(message)
    {
        public int Status { get; } = status;

        public string Label { get; } = label;
    }

    [GeneratedRegex("^t-[0-9A-Za-z_.-]{1,28}$")]
    private static partial Regex TextRule();

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
