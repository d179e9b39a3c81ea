using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using OpenSqt.Exchanges.Gate;
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
/// request budgets with <c>X-Gate-RateLimit-Requests-Remain</c> and 429 <c>TOO_MANY_REQUESTS</c>. Nasty on demand
/// through <see cref="Faults"/>.
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

    private GateSimulator(SimVenueOptions? engineOptions)
        : base(
        [
            new SimRateLimit(GateRateLimits.Public, 200, TimeSpan.FromSeconds(10), GateRateLimits.RemainHeader),
            new SimRateLimit(GateRateLimits.Private, 200, TimeSpan.FromSeconds(10), GateRateLimits.RemainHeader),
            new SimRateLimit(GateRateLimits.Orders, 100, TimeSpan.FromSeconds(1), GateRateLimits.RemainHeader),
        ], engineOptions)
    {
        _pumps.Add(PumpOrdersAsync(_stop.Token));
        _pumps.Add(PumpPositionsAsync(_stop.Token));
    }

    public string ApiKey { get; init; } = DefaultApiKey;

    public string ApiSecret { get; init; } = DefaultApiSecret;

    /// <summary>The REST base the client is configured with (it includes <c>/api/v4</c>, which is signed).</summary>
    public string ApiBaseUrl => RestBaseUrl + ApiPrefix;

    /// <summary>The futures WebSocket URL of the USDT settle.</summary>
    public string FuturesWsUrl => WsBaseUrl + WsPath;

    /// <summary>Largest gap between a request's Timestamp (or a channel request's time) and the venue clock (Gate: 60 s).</summary>
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A connection that sends nothing (no ping, no request) for this long is dropped.</summary>
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
        app.Map(ApiPrefix + "/{**path}", HandleRestAsync);
        app.Map(WsPath, context => RunSocketAsync(context, SocketKind, SessionAsync));
    }

    private async Task HandleRestAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        var rawQuery = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        var answer = await AnswerAsync(context, request.Method, path, rawQuery, body).ConfigureAwait(false);
        Journal.Add(new RecordedRequest(request.Method, path, rawQuery, body, answer.Status));
        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers)
        {
            context.Response.Headers[name] = value;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private async Task<RestAnswer> AnswerAsync(HttpContext context, string method, string path, string rawQuery, string body)
    {
        var endpoint = Endpoint(method, path[ApiPrefix.Length..]);
        if (endpoint is null)
        {
            return Error(404, "NOT_FOUND", $"Unknown endpoint {method} {path}");
        }

        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Faults.TakeStorm())
        {
            RateLimiter.AnnounceRetryAfter(Faults.StormRetryAfter);
            headers["Retry-After"] = Math.Ceiling(Faults.StormRetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return Error(429, "TOO_MANY_REQUESTS", "Request Rate limit Exceeded", headers);
        }

        var (limitStatus, retryAfter, usage) = RateLimiter.Charge(endpoint.Costs);
        foreach (var limit in RateLimiter.Limits)
        {
            if (limit.Header is { } header && endpoint.Costs.ContainsKey(limit.Name))
            {
                headers[header] = Math.Max(0, limit.Limit - usage[limit.Name]).ToString(CultureInfo.InvariantCulture);
                headers["X-Gate-RateLimit-Limit"] = limit.Limit.ToString(CultureInfo.InvariantCulture);
            }
        }

        if (limitStatus != 0)
        {
            headers["Retry-After"] = Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
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

        if (!GateSigner.Verify(ApiSecret, string.Join('\n', method, path, rawQuery, GateSigner.BodyHash(body), timestamp), sign))
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

    private sealed record RestAnswer(int Status, string Body, Dictionary<string, string> Headers);

    private sealed record GateCall(string Path, Dictionary<string, string> Query, string Body);

    private sealed record EndpointSpec(bool Signed, Dictionary<string, int> Costs, Func<GateCall, Task<(int Status, string Json)>> Handler);

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
