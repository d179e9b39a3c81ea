using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate APIv4 REST: parameters in the query string in the order given, JSON bodies for order entry, and for signed
/// calls the <c>KEY</c>, <c>Timestamp</c> (seconds) and <c>SIGN</c> headers over the exact path, query and body sent.
/// Errors are <c>{"label","message"}</c>.
/// </summary>
internal sealed class GateRestClient : VenueRestClient
{
    /// <summary>The path prefix of the USDT-settled futures endpoints.</summary>
    public const string Futures = "/futures/usdt";

    /// <summary>Gate's default page (https://www.gate.com/docs/developers/apiv4/en/#pagination: limit "defaults to 100").</summary>
    public const int PageSize = 100;

    /// <summary>How many pages of finished orders (newest first) are searched for an order Gate no longer finds by text.</summary>
    public const int FinishedScanPages = 5;
    private readonly VenueCredentials _credentials;
    private readonly string _basePath;
    private string? _userId;

    public GateRestClient(HttpClient http, GateOptions options, VenueCredentials credentials, ServerClock clock, TimeProvider time, ILogger logger, VenueMetrics metrics)
        : base(GateParsers.Venue, http, options.RestUri, clock,
            new RateLimitTracker(GateRateLimits.Rules, () => clock.Now, time, options.RateLimitSafetyFraction, options.RateLimitMaxWait, options.RateLimitBackoffInitial, options.RateLimitBackoffMax),
            time, logger, metrics, options.RequestTimeout)
    {
        _credentials = credentials;
        _basePath = options.RestUri.AbsolutePath.TrimEnd('/');
    }

    /// <summary>
    /// A 429 is paused until its reset timestamp (<see cref="RetryAfterOf"/> reads it as the Retry-After): its
    /// "0 remaining" must not also hold the budget spent until the end of our own, longer window.
    /// </summary>
    protected override void OnAnswered(VenueRequest request, VenueResponse response)
    {
        if (response.Status != System.Net.HttpStatusCode.TooManyRequests)
        {
            ApplyLimitHeader(request.Costs, response.Headers);
        }
    }

    /// <summary>
    /// Takes the budget's size from <c>X-Gate-RateLimit-Limit</c> ("your current limit for current endpoint": Gate
    /// lowers it for a low fill ratio and raises it for VIP accounts) and what is left of it from
    /// <c>X-Gate-RateLimit-Requests-Remain</c>, for the one budget the request was charged against.
    /// </summary>
    private void ApplyLimitHeader(IReadOnlyList<RateLimitCost> costs, HttpResponseHeaders headers)
    {
        if (GateRateLimits.BudgetOf(costs) is not { } budget
            || !headers.TryGetValues(GateRateLimits.LimitHeader, out var limits)
            || !int.TryParse(limits.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var limit)
            || limit <= 0)
        {
            return;
        }

        RateLimits.SetLimit(budget, limit);
        if (headers.TryGetValues(GateRateLimits.RemainHeader, out var remains)
            && int.TryParse(remains.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var remain))
        {
            RateLimits.ObserveUsed(budget, Math.Max(0, limit - remain));
        }
    }

    /// <summary>
    /// Gate sends no <c>Retry-After</c>; it says when the refused endpoint's budget resets in
    /// <c>X-Gate-RateLimit-Reset-Timestamp</c> (https://www.gate.com/docs/developers/apiv4/en/#frequency-limit-rule), so
    /// a 429 pauses until that reset (a second for order entry). When the reset is absent or not in the future (Gate:
    /// "otherwise, this is just the current timestamp"), no wait is named and the budget's brief doubling backoff
    /// (<see cref="GateOptions.RateLimitBackoffInitial"/> up to <see cref="GateOptions.RateLimitBackoffMax"/>) applies.
    /// </summary>
    protected override TimeSpan? RetryAfterOf(System.Net.HttpStatusCode status, HttpResponseHeaders headers)
    {
        if (base.RetryAfterOf(status, headers) is { } named)
        {
            return named;
        }

        return status == System.Net.HttpStatusCode.TooManyRequests && GateRateLimits.ResetAt(headers) is { } reset && reset - Clock.Now is var wait && wait > TimeSpan.Zero
            ? wait
            : null;
    }

    protected override HttpRequestMessage BuildRequest(VenueRequest request, long timestampMs)
    {
        var query = BuildQuery(request.Parameters);
        var path = _basePath + "/" + request.Path.TrimStart('/');
        var uri = new Uri(BaseUrl, query.Length == 0 ? path : path + "?" + query);
        var message = new HttpRequestMessage(request.Method, uri);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (request.JsonBody is { } body)
        {
            message.Content = new StringContent(body, Encoding.UTF8);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (request.Signed)
        {
            var key = _credentials.ApiKey ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "gate needs API_KEY for signed calls");
            var secret = _credentials.ApiSecret ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "gate needs API_SECRET for signed calls");
            var seconds = timestampMs / 1000;
            var payload = GateSigner.RestPayload(request.Method.Method, path, query, request.JsonBody, seconds);
            message.Headers.TryAddWithoutValidation(GateSigner.KeyHeader, key);
            message.Headers.TryAddWithoutValidation(GateSigner.TimestampHeader, seconds.ToString(CultureInfo.InvariantCulture));
            message.Headers.TryAddWithoutValidation(GateSigner.SignHeader, GateSigner.Sign(secret, payload));
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

        var label = "HTTP" + status.ToString(CultureInfo.InvariantCulture);
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(response.Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("label", out _))
            {
                label = doc.RootElement.GetRequiredString("label");
                message = doc.RootElement.GetStringOrNull("message") ?? doc.RootElement.GetStringOrNull("detail");
            }
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(response.Body.AsSpan(0, Math.Min(response.Body.Length, 200)));
        }

        if (status >= 500 && GateErrors.Table.Find(label) is null)
        {
            // A 5xx without a known label: the request may have been executed.
            return new VenueFailure(new ExchangeException(ExchangeErrorKind.UnknownOutcome, $"gate HTTP {status}: {message}", venueCode: label), false);
        }

        return GateErrors.Table.ToFailure(label, message ?? $"HTTP {status}", status, response.RetryAfter);
    }

    /// <summary>GET tickers: of one contract, or of all when <paramref name="contract"/> is null.</summary>
    public Task<JsonDocument> TickersAsync(string? contract, CancellationToken cancellationToken) =>
        GetJsonAsync(VenueRequest.Get(Futures + "/tickers", contract is null ? "tickers" : "ticker", GateRateLimits.Call(GateEndpoint.Tickers), contract is null ? null : [KeyValuePair.Create("contract", contract)]), cancellationToken);

    /// <summary>GET accounts: the futures account of the settle currency.</summary>
    public Task<JsonDocument> AccountAsync(CancellationToken cancellationToken) =>
        GetJsonAsync(VenueRequest.Get(Futures + "/accounts", "account", GateRateLimits.Call(GateEndpoint.Accounts), signed: true), cancellationToken);

    /// <summary>The account's user id (from GET accounts, read once), which the private channels are subscribed with.</summary>
    public async Task<string> UserIdAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _userId) is { } known)
        {
            return known;
        }

        using var doc = await AccountAsync(cancellationToken).ConfigureAwait(false);
        var user = GateParsers.ParseUserId(doc.RootElement);
        Volatile.Write(ref _userId, user);
        return user;
    }

    /// <summary>GET one order by id or by <c>text</c>.</summary>
    public Task<JsonDocument> OrderAsync(string pathId, CancellationToken cancellationToken) =>
        GetJsonAsync(VenueRequest.Get(Futures + "/orders/" + Uri.EscapeDataString(pathId), "getOrder", GateRateLimits.Call(GateEndpoint.OrderLookup), signed: true), cancellationToken);

    /// <summary>GET orders with a status, one page of <paramref name="pageSize"/> from <paramref name="offset"/>, of one contract or all.</summary>
    public Task<JsonDocument> OrdersPageAsync(string? contract, string status, int pageSize, int offset, CancellationToken cancellationToken)
    {
        List<KeyValuePair<string, string>> parameters = [KeyValuePair.Create("status", status), KeyValuePair.Create("limit", pageSize.ToString(CultureInfo.InvariantCulture)), KeyValuePair.Create("offset", offset.ToString(CultureInfo.InvariantCulture))];
        if (contract is not null)
        {
            parameters.Insert(0, KeyValuePair.Create("contract", contract));
        }

        return GetJsonAsync(VenueRequest.Get(Futures + "/orders", status + "Orders", GateRateLimits.Call(GateEndpoint.OrderList), parameters, signed: true), cancellationToken);
    }

    /// <summary>
    /// GET orders with a status, paged with <c>limit</c>/<c>offset</c> until a page comes back short
    /// (https://www.gate.com/docs/developers/apiv4/en/#pagination) or <paramref name="maxPages"/> were read, of one
    /// contract or all. Orders on contracts the connector does not list are skipped.
    /// </summary>
    internal async Task<IReadOnlyList<Order>> ListOrdersAsync(GateContractCache cache, GateContract? contract, string status, int maxPages, GateUnknownValues unknown, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unknown);
        var orders = new List<Order>();
        await VenuePaging.ByOffsetAsync(PageSize, maxPages, async (offset, ct) =>
        {
            using var doc = await OrdersPageAsync(contract?.Name, status, PageSize, offset, ct).ConfigureAwait(false);
            return unknown.ReadOrders(doc.RootElement, cache, status + " orders", orders);
        }, cancellationToken).ConfigureAwait(false);
        return orders;
    }

    /// <summary>
    /// An order Gate no longer resolves by <c>text</c> (it does so only while the order is open and for 60 s after it
    /// ends, gateapi-python docs/FuturesApi.md get_futures_order): a finished state <paramref name="pushed"/> on the
    /// stream, else the open list, else the most recent <see cref="FinishedScanPages"/> pages of finished orders, else
    /// an open state from the stream; null when none has it.
    /// </summary>
    internal async Task<Order?> FindByTextAsync(GateContractCache cache, GateContract contract, string clientOrderId, Order? pushed, GateUnknownValues unknown, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contract);
        pushed = pushed is { } p && p.Symbol == contract.Symbol ? p : null;
        if (pushed is { } final && final.Status.IsTerminal())
        {
            GateLog.OrderResolvedByList(Logger, clientOrderId, "order stream");
            return final;
        }

        foreach (var (status, pages) in new[] { ("open", int.MaxValue), ("finished", FinishedScanPages) })
        {
            var found = (await ListOrdersAsync(cache, contract, status, pages, unknown, cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(o => o.ClientOrderId == clientOrderId);
            if (found is not null)
            {
                GateLog.OrderResolvedByList(Logger, clientOrderId, status + " order list");
                return found;
            }
        }

        return pushed;
    }

    /// <summary>GET the position of one contract, or one page of the held positions (<c>holding=true</c>) when <paramref name="contract"/> is null.</summary>
    public Task<JsonDocument> PositionsAsync(string? contract, int pageSize, int offset, CancellationToken cancellationToken) => contract is not null
        ? GetJsonAsync(VenueRequest.Get(Futures + "/positions/" + contract, "position", GateRateLimits.Call(GateEndpoint.Positions), signed: true), cancellationToken)
        : GetJsonAsync(VenueRequest.Get(Futures + "/positions", "positions", GateRateLimits.Call(GateEndpoint.Positions), [KeyValuePair.Create("holding", "true"), KeyValuePair.Create("limit", pageSize.ToString(CultureInfo.InvariantCulture)), KeyValuePair.Create("offset", offset.ToString(CultureInfo.InvariantCulture))], signed: true), cancellationToken);

    /// <summary>GET contracts: every contract, or one (its current funding) when <paramref name="contract"/> is given.</summary>
    public Task<JsonDocument> ContractsAsync(string? contract, CancellationToken cancellationToken) => contract is null
        ? GetJsonAsync(VenueRequest.Get(Futures + "/contracts", "contracts", GateRateLimits.Call(GateEndpoint.FuturesContracts)), cancellationToken)
        : GetJsonAsync(VenueRequest.Get(Futures + "/contracts/" + contract, "funding", GateRateLimits.Call(GateEndpoint.FuturesContracts)), cancellationToken);

    /// <summary>GET candlesticks of a contract, oldest first.</summary>
    public async Task<IReadOnlyList<Candle>> CandlesAsync(GateContract contract, string symbol, string interval, int limit, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(VenueRequest.Get(Futures + "/candlesticks", "klines", GateRateLimits.Call(GateEndpoint.Candlesticks), [KeyValuePair.Create("contract", contract.Name), KeyValuePair.Create("interval", interval), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))]), cancellationToken).ConfigureAwait(false);
        var now = Clock.Now;
        return [.. doc.RootElement.EnumerateArray().Select(e => GateParsers.ParseCandle(e, symbol, interval, contract.Multiplier, now)).OrderBy(c => c.OpenTime)];
    }

    /// <summary>GET funding_rate: the funding history of a contract, oldest first.</summary>
    public async Task<IReadOnlyList<FundingRate>> FundingHistoryAsync(string contract, string symbol, int limit, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(VenueRequest.Get(Futures + "/funding_rate", "fundingHistory", GateRateLimits.Call(GateEndpoint.FundingRate), [KeyValuePair.Create("contract", contract), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))]), cancellationToken).ConfigureAwait(false);
        return [.. doc.RootElement.EnumerateArray().Select(e => GateParsers.ParseFundingHistory(e, symbol)).OrderBy(f => f.Timestamp)];
    }

    protected override async Task<long> FetchServerTimeAsync(CancellationToken cancellationToken)
    {
        var response = await SendAsync(new VenueRequest(HttpMethod.Get, "/spot/time") { Costs = GateRateLimits.Call(GateEndpoint.Time), Operation = "time" }, cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(response.Body);
        return GateParsers.ParseServerTime(doc.RootElement);
    }
}
