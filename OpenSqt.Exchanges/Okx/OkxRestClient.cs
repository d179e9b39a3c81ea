using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX v5 REST: GET parameters in the query string (signed as part of the request path), POST parameters as a JSON
/// body; signed calls carry OK-ACCESS-KEY, OK-ACCESS-SIGN, OK-ACCESS-TIMESTAMP and OK-ACCESS-PASSPHRASE. Answers are
/// <c>{"code","msg","data"}</c>. Order operations answer per item (<c>sCode</c>/<c>sMsg</c>) with an overall code of
/// "1" (all failed) or "2" (some failed): such answers are returned to the caller, which reads each item.
/// </summary>
internal sealed class OkxRestClient : VenueRestClient
{
    private readonly VenueCredentials _credentials;

    public OkxRestClient(HttpClient http, OkxOptions options, VenueCredentials credentials, ServerClock clock, TimeProvider time, ILogger logger, VenueMetrics metrics)
        : base(OkxParsers.Venue, http, options.RestUri, clock,
            new RateLimitTracker(OkxRateLimits.Rules, () => clock.Now, time, options.RateLimitSafetyFraction, options.RateLimitMaxWait, OkxRateLimits.BackoffInitial, OkxRateLimits.BackoffMax),
            time, logger, metrics, options.RequestTimeout)
    {
        _credentials = credentials;
    }

    protected override HttpRequestMessage BuildRequest(VenueRequest request, long timestampMs)
    {
        var query = BuildQuery(request.Parameters);
        var requestPath = "/" + request.Path.TrimStart('/');
        string body = "";
        HttpRequestMessage message;
        if (request.Method == HttpMethod.Get)
        {
            if (query.Length > 0)
            {
                requestPath += "?" + query;
            }

            message = new HttpRequestMessage(request.Method, new Uri(BaseUrl, requestPath.TrimStart('/')));
        }
        else
        {
            body = request.JsonBody ?? "{}";
            message = new HttpRequestMessage(request.Method, new Uri(BaseUrl, requestPath.TrimStart('/')))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (request.Signed)
        {
            var key = _credentials.ApiKey ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "okx needs API_KEY");
            var secret = _credentials.ApiSecret ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "okx needs API_SECRET");
            var passphrase = _credentials.Passphrase ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "okx needs PASSPHRASE");
            var timestamp = OkxSigner.Timestamp(timestampMs);
            message.Headers.TryAddWithoutValidation(OkxSigner.KeyHeader, key);
            message.Headers.TryAddWithoutValidation(OkxSigner.TimestampHeader, timestamp);
            message.Headers.TryAddWithoutValidation(OkxSigner.PassphraseHeader, passphrase);
            message.Headers.TryAddWithoutValidation(OkxSigner.SignHeader, OkxSigner.Sign(secret, OkxSigner.RestPayload(timestamp, request.Method.Method, requestPath, body)));
        }

        return message;
    }

    protected override VenueFailure? ParseFailure(VenueResponse response)
    {
        var status = (int)response.Status;
        string? code = null;
        string? message = null;
        var perItem = false;
        try
        {
            using var doc = JsonDocument.Parse(response.Body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("code", out _))
            {
                code = root.GetRequiredString("code");
                message = root.GetStringOrNull("msg");
                perItem = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array && data.GetArrayLength() > 0
                    && data[0].ValueKind == JsonValueKind.Object && data[0].TryGetProperty("sCode", out _);
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
                return new VenueFailure(new ExchangeException(ExchangeErrorKind.Internal, $"okx answered HTTP {status} without a code"), false);
            }

            return code == "0" || (perItem && code is "1" or "2") ? null : OkxErrors.Table.ToFailure(code, message, status);
        }

        return OkxErrors.Table.ToFailure(code is null or "0" ? "HTTP" + status.ToString(CultureInfo.InvariantCulture) : code, message ?? $"HTTP {status}", status, response.RetryAfter);
    }

    /// <summary>GET orders-pending: a page of the working orders (newest first, 100 a page), of one swap or all, older than the order <paramref name="after"/>.</summary>
    public Task<JsonDocument> PendingOrdersAsync(string? symbol, string? after, CancellationToken cancellationToken)
    {
        var parameters = new List<KeyValuePair<string, string>> { KeyValuePair.Create("instType", OkxParsers.InstType) };
        if (symbol is not null)
        {
            parameters.Add(KeyValuePair.Create("instId", OkxParsers.Symbols.ToVenue(symbol)));
        }

        if (after is not null)
        {
            parameters.Add(KeyValuePair.Create("after", after));
        }

        // Newest first, 100 a page; "after" an ordId pages to the older ones
        // (https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-list).
        return GetJsonAsync(VenueRequest.Get("/api/v5/trade/orders-pending", "openOrders", OkxRateLimits.Call(OkxEndpoint.OrdersPending), parameters, signed: true), cancellationToken);
    }

    /// <summary>GET account/positions of the swaps, or of one.</summary>
    public Task<JsonDocument> PositionsAsync(string? symbol, CancellationToken cancellationToken)
    {
        var parameters = new List<KeyValuePair<string, string>> { KeyValuePair.Create("instType", OkxParsers.InstType) };
        if (symbol is not null)
        {
            parameters.Add(KeyValuePair.Create("instId", OkxParsers.Symbols.ToVenue(symbol)));
        }

        return GetJsonAsync(VenueRequest.Get("/api/v5/account/positions", "positions", OkxRateLimits.Call(OkxEndpoint.Positions), parameters, signed: true), cancellationToken);
    }

    /// <summary>GET market/candles of a swap.</summary>
    public async Task<IReadOnlyList<Candle>> CandlesAsync(string symbol, string interval, string bar, int limit, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(VenueRequest.Get("/api/v5/market/candles", "klines", OkxRateLimits.Call(OkxEndpoint.Candles), [KeyValuePair.Create("instId", OkxParsers.Symbols.ToVenue(symbol)), KeyValuePair.Create("bar", bar), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))]), cancellationToken).ConfigureAwait(false);
        return OkxParsers.ParseCandles(OkxParsers.Data(doc.RootElement), symbol, interval);
    }

    /// <summary>GET funding-rate-history of a swap, oldest first.</summary>
    public async Task<IReadOnlyList<FundingRate>> FundingHistoryAsync(string symbol, int limit, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(VenueRequest.Get("/api/v5/public/funding-rate-history", "fundingHistory", OkxRateLimits.Call(OkxEndpoint.FundingRateHistory), [KeyValuePair.Create("instId", OkxParsers.Symbols.ToVenue(symbol)), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))]), cancellationToken).ConfigureAwait(false);
        var rates = OkxParsers.Data(doc.RootElement).Select(i => new FundingRate
        {
            Exchange = OkxParsers.Venue,
            Symbol = symbol,
            Rate = i.GetDecimalOrNull("realizedRate") ?? i.GetDecimal("fundingRate"),
            Timestamp = OkxParsers.Time(i, "fundingTime"),
        }).ToList();
        rates.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
        return rates;
    }

    /// <summary>
    /// The read-back of an order OKX just acknowledged. The acknowledgement is the answer; the read-back only refines
    /// it (a post-only order OKX cancelled at once, an order that filled). It is skipped when the query budget has no
    /// room, bounded by <paramref name="timeout"/>, and any failure of it (429, 5xx, timeout, not yet visible, an
    /// answer this connector cannot read) answers null: the order stays accepted. A post-only order OKX cancelled with
    /// <c>cancelSource</c> 31 is refused as <see cref="ExchangeErrorKind.PostOnlyRejected"/>.
    /// </summary>
    public async Task<Order?> ReadBackAsync(OrderRequest request, string id, decimal contractSize, TimeSpan timeout, Action<string, OkxUnknownValueException> skipUnknown, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(skipUnknown);
        var lookups = OkxRateLimits.Rule(OkxEndpoint.GetOrder);
        if (timeout <= TimeSpan.Zero || RateLimits.BlockedUntil is not null
            || RateLimits.Used(lookups) + 1 > Math.Floor(RateLimits.Limit(lookups) * RateLimits.SafetyFraction))
        {
            OkxLog.ReadBackSkipped(Logger, id);
            return null;
        }

        Order order;
        JsonElement item;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            using var detail = await GetJsonAsync(OrderDetailRequest(request.Symbol, OrderRef.ByExchangeId(id)) with { Retry = RetryPolicy.Never }, bounded.Token).ConfigureAwait(false);
            item = OkxParsers.Data(detail.RootElement).FirstOrDefault();
            if (item.ValueKind != JsonValueKind.Object)
            {
                OkxLog.ReadBackFailed(Logger, id, request.ClientOrderId, "empty answer");
                return null;
            }

            item = item.Clone();
            order = OkxParsers.ParseOrder(item, contractSize);
        }
        catch (Exception ex) when (ex is ExchangeException or OperationCanceledException or JsonException or FormatException or InvalidOperationException)
        {
            if (ex is OkxUnknownValueException unknown)
            {
                skipUnknown("order " + id, unknown);
            }

            OkxLog.ReadBackFailed(Logger, id, request.ClientOrderId, ex.Message);
            return null;
        }

        return order.Status == OrderStatus.Canceled && OkxParsers.IsPostOnlyCancel(item)
            ? throw new ExchangeException(ExchangeErrorKind.PostOnlyRejected,
                $"okx cancelled post-only order {id} ({request.ClientOrderId}) with cancelSource 31: it would have taken liquidity",
                venueCode: OkxErrors.PostOnlyCancelSource)
            : order;
    }

    /// <summary>POST trade/cancel-order: null when OKX took the cancel, else its refusal (<c>sCode</c>), for the caller to settle.</summary>
    public async Task<ExchangeException?> CancelAsync(string symbol, OrderRef order, CancellationToken cancellationToken)
    {
        var body = VenueJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("instId", OkxParsers.Symbols.ToVenue(symbol));
            OkxParsers.WriteRef(w, order);
            w.WriteEndObject();
        });
        using var doc = await GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/api/v5/trade/cancel-order", "cancel", OkxRateLimits.Call(OkxEndpoint.CancelOrder), body), cancellationToken).ConfigureAwait(false);
        return OkxParsers.ParseItemResult(OkxParsers.Data(doc.RootElement).First()).Error;
    }

    /// <summary>POST trade/cancel-batch-orders of one chunk: the items OKX refused, by position (an item it did not answer is refused too).</summary>
    public async Task<IReadOnlyList<(int Position, ExchangeException Error)>> BatchCancelAsync(string symbol, string[] chunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        var instId = OkxParsers.Symbols.ToVenue(symbol);
        var body = VenueJson.Write(w =>
        {
            w.WriteStartArray();
            foreach (var id in chunk)
            {
                w.WriteStartObject();
                w.WriteString("instId", instId);
                w.WriteString("ordId", id);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        using var doc = await GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/api/v5/trade/cancel-batch-orders", "batchCancel", OkxRateLimits.BatchCancelCost(chunk.Length), body), cancellationToken).ConfigureAwait(false);
        var items = OkxParsers.Data(doc.RootElement).ToArray();
        var refused = new List<(int, ExchangeException)>();
        for (var i = 0; i < chunk.Length; i++)
        {
            if ((i < items.Length ? OkxParsers.ParseItemResult(items[i]).Error : new ExchangeException(ExchangeErrorKind.Internal, "okx answered fewer batch items than were sent")) is { } error)
            {
                refused.Add((i, error));
            }
        }

        return refused;
    }

    /// <summary>GET trade/order: one order by id or client id.</summary>
    public static VenueRequest OrderDetailRequest(string symbol, OrderRef order) => new(HttpMethod.Get, "/api/v5/trade/order")
    {
        Parameters =
        [
            KeyValuePair.Create("instId", OkxParsers.Symbols.ToVenue(symbol)),
            order.ExchangeOrderId is { } id
                ? KeyValuePair.Create("ordId", id)
                : KeyValuePair.Create("clOrdId", order.ClientOrderId ?? throw new ArgumentException("the order reference is empty", nameof(order))),
        ],
        Signed = true,
        Costs = OkxRateLimits.Call(OkxEndpoint.GetOrder),
        Operation = "getOrder",
    };

    protected override async Task<long> FetchServerTimeAsync(CancellationToken cancellationToken)
    {
        var response = await SendAsync(new VenueRequest(HttpMethod.Get, "/api/v5/public/time") { Costs = OkxRateLimits.Call(OkxEndpoint.Time), Operation = "time" }, cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(response.Body);
        return OkxParsers.Data(doc.RootElement).First().GetInt64("ts");
    }
}
