using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate APIv4 USDT-settled perpetual futures (https://www.gate.com/docs/developers/apiv4/en/#futures): every
/// <see cref="IExchange"/> call over REST through the shared signed client, and tickers, candlesticks, orders, fills,
/// positions and balances over the futures WebSocket. Quantities are converted between base units and Gate's signed
/// contract sizes with each contract's <c>quanto_multiplier</c>; a quantity that is not a whole number of contracts is
/// refused. Single position mode only.
/// </summary>
public sealed partial class GateExchange : VenueExchange<GateOptions, GateRestClient>
{
    public const string VenueName = GateParsers.Venue;
    public const string Settle = "usdt";
    private const string Futures = "/futures/" + Settle;
    private const int BatchPlaceChunk = 10;
    private const int BatchCancelChunk = 20;

    /// <summary>Gate's default page (https://www.gate.com/docs/developers/apiv4/en/#pagination: limit "defaults to 100").</summary>
    private const int PageSize = 100;
    private const string PageSizeText = "100";

    /// <summary>How many pages of finished orders (newest first) are searched for an order Gate no longer finds by text.</summary>
    private const int FinishedScanPages = 5;
    private readonly Lock _marksGate = new();
    private readonly Dictionary<string, (decimal Mark, DateTimeOffset At)> _marks = new(StringComparer.Ordinal);
    private volatile ContractCache? _contracts;
    private string? _userId;

    /// <summary>Builds the connector; <c>handler</c> is the HTTP handler under Gate's own 429 handling (a pooled socket handler when null).</summary>
    public GateExchange(IOptions<GateOptions> options, VenueCredentials credentials, TimeProvider time, ILoggerFactory? loggerFactory = null, VenueMetrics? metrics = null, HttpMessageHandler? handler = null)
        : base(VenueName, options.Value, credentials, needsPassphrase: false, time, loggerFactory, metrics, http: null, handler,
            (clock, inner) => new GateRateLimitHandler(() => clock.Now, options.Value.RateLimitBackoffInitial, options.Value.RateLimitBackoffMax) { InnerHandler = inner })
    {
        Unknown = new GateUnknownValues(Logger, Metrics);
        Rest = new GateRestClient(Http, Options, credentials, Clock, time, Logger, Metrics);
        UserStream = new GateUserStream(Options, credentials, GetUserIdAsync, async ct => (await ContractsAsync(ct).ConfigureAwait(false)).All, GetAccountAsync, MarkPriceAsync, Unknown, time, Logger, Metrics);
        MarketStream = new GateMarketStream(Options, time, Logger, Metrics);
        UseStreams(UserStream, ("market", MarketStream));
    }

    public override bool IsUnifiedMargin => false;

    public override GateRestClient Rest { get; }

    public GateUserStream UserStream { get; }

    public GateMarketStream MarketStream { get; }

    /// <summary>Unknown values and unlisted contracts met in Gate's answers.</summary>
    public GateUnknownValues Unknown { get; }

    protected override TimeSpan RulesCacheDuration => Options.ContractsCacheDuration;

    public override async Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var contract = await ContractAsync(request.Symbol, cancellationToken).ConfigureAwait(false);
        var body = OrderBody([request], [contract], single: true);
        using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Post, Futures + "/orders")
        {
            JsonBody = body,
            Signed = true,
            Retry = RetryPolicy.Never,
            Costs = GateRateLimits.Call(GateRateLimits.Orders),
            Operation = "place",
        }, cancellationToken).ConfigureAwait(false);

        // The acknowledgement is the answer: nothing is read back, so a failed read can never turn a live order into a refusal.
        return ParseReported(doc.RootElement, contract.Multiplier, "place");
    }

    public override async Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var orders = new List<Order>();
        var errors = new List<BatchItemError>();
        var cache = await ContractsAsync(cancellationToken).ConfigureAwait(false);
        for (var start = 0; start < requests.Count; start += BatchPlaceChunk)
        {
            var chunk = requests.Skip(start).Take(BatchPlaceChunk).ToArray();
            var sendable = new List<(int Index, OrderRequest Request, GateContract Contract)>();
            for (var i = 0; i < chunk.Length; i++)
            {
                try
                {
                    var contract = cache.BySymbol(chunk[i].Symbol);
                    OrderBody([chunk[i]], [contract], single: true);
                    sendable.Add((start + i, chunk[i], contract));
                }
                catch (ExchangeException ex)
                {
                    errors.Add(new BatchItemError(start + i, ex.Kind, ex.Message, chunk[i].ClientOrderId));
                }
            }

            if (sendable.Count == 0)
            {
                continue;
            }

            try
            {
                using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Post, Futures + "/batch_orders")
                {
                    JsonBody = OrderBody([.. sendable.Select(s => s.Request)], [.. sendable.Select(s => s.Contract)], single: false),
                    Signed = true,
                    Retry = RetryPolicy.Never,
                    Costs = GateRateLimits.Call(GateRateLimits.Orders),
                    Operation = "batchPlace",
                }, cancellationToken).ConfigureAwait(false);
                var results = GateParsers.ParseBatchOrders(doc.RootElement, name => cache.ByName(name).Multiplier);
                for (var i = 0; i < sendable.Count; i++)
                {
                    var (order, error) = i < results.Count ? results[i] : (null, null);
                    if (order is not null)
                    {
                        orders.Add(order);
                    }
                    else
                    {
                        var ex = error?.Exception ?? new ExchangeException(ExchangeErrorKind.Internal, "gate answered fewer batch items than were sent");
                        errors.Add(new BatchItemError(sendable[i].Index, ex.Kind, ex.Message, sendable[i].Request.ClientOrderId));
                    }
                }
            }
            catch (ExchangeException ex)
            {
                errors.AddRange(sendable.Select(s => new BatchItemError(s.Index, ex.Kind, ex.Message, s.Request.ClientOrderId)));
            }
        }

        errors.Sort((a, b) => a.Index.CompareTo(b.Index));
        return new BatchPlaceResult(orders, errors);
    }

    /// <summary>
    /// Cancels one order: done when Gate cancelled it or it had already finished; <see cref="ExchangeErrorKind.NotFound"/>
    /// when Gate does not know it. Gate finds an order by <c>text</c> only while it is open and for 60 s after it ends
    /// (gateapi-python docs/FuturesApi.md get_futures_order), so a client id Gate no longer resolves is looked up in the
    /// order lists and the stream before the answer is NOT_FOUND.
    /// </summary>
    public override async Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        try
        {
            using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Delete, Futures + "/orders/" + Uri.EscapeDataString(OrderPathId(order)))
            {
                Signed = true,
                Retry = RetryPolicy.Never,
                Costs = GateRateLimits.Call(GateRateLimits.Cancels),
                Operation = "cancel",
            }, cancellationToken).ConfigureAwait(false);
            var cancelled = ParseReported(doc.RootElement, contract.Multiplier, "cancel");
            if (cancelled.Symbol != symbol)
            {
                throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"{order} belongs to {cancelled.Symbol}, not {symbol}");
            }
        }
        catch (ExchangeException ex) when (IsFinished(ex.VenueCode))
        {
            // Gate answers these for an order that already filled or was cancelled: it is done either way.
            GateLog.CancelFoundFinished(Logger, order.ToString(), ex.VenueCode!);
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound && order.ExchangeOrderId is null && order.ClientOrderId is { } clientId)
        {
            var found = await FindByTextAsync(contract, clientId, cancellationToken).ConfigureAwait(false)
                ?? throw new ExchangeException(ExchangeErrorKind.NotFound, $"gate does not know {order} on {symbol}", ex, venueCode: ex.VenueCode);
            if (found.Status.IsTerminal())
            {
                GateLog.CancelFoundFinished(Logger, order.ToString(), found.Status.ToString());
                return;
            }

            await CancelOrderAsync(symbol, OrderRef.ByExchangeId(found.ExchangeOrderId), cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound && order.ExchangeOrderId is not null)
        {
            // Gate answers 404 both to an id it never had and to an order that has already finished ("Request DELETE
            // /futures/orders/{order_id} with invalid order ID or order that has been finished will return 404", APIv4
            // changelog v1.1.0): a read of the order tells them apart (unknown there too: NOT_FOUND).
            var found = await GetOrderAsync(symbol, order, cancellationToken).ConfigureAwait(false);
            if (!found.Status.IsTerminal())
            {
                throw new ExchangeException(ExchangeErrorKind.Unavailable, $"gate answered {ex.VenueCode} to cancelling {order}, which is still open", ex, venueCode: ex.VenueCode);
            }

            GateLog.CancelFoundFinished(Logger, order.ToString(), found.Status.ToString());
        }
    }

    /// <summary>
    /// Cancels up to 20 orders a call. Gate answers each with <c>{id, user_id, succeeded, message}</c>, the message being
    /// "Error description when cancellation fails" (gateapi-python docs/FutureCancelOrderResult.md), not a label: a
    /// failed item whose message is a known label is mapped by it, any other is settled by reading the order (finished:
    /// done; unknown to Gate: NOT_FOUND; still open: refused with Gate's message).
    /// </summary>
    public override async Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchangeOrderIds);
        await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        var errors = new List<BatchItemError>();
        for (var start = 0; start < exchangeOrderIds.Count; start += BatchCancelChunk)
        {
            var chunk = exchangeOrderIds.Skip(start).Take(BatchCancelChunk).ToArray();
            var failed = new List<(int Index, string Id, string Message)>();
            try
            {
                using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Post, Futures + "/batch_cancel_orders")
                {
                    JsonBody = JsonSerializer.Serialize(chunk, GateJsonContext.Default.StringArray),
                    Signed = true,
                    Retry = RetryPolicy.Never,
                    Costs = GateRateLimits.Call(GateRateLimits.Cancels),
                    Operation = "batchCancel",
                }, cancellationToken).ConfigureAwait(false);
                var byId = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var item in doc.RootElement.EnumerateArray())
                {
                    byId[item.GetRequiredString("id")] = item;
                }

                for (var i = 0; i < chunk.Length; i++)
                {
                    if (!byId.TryGetValue(chunk[i], out var item))
                    {
                        errors.Add(new BatchItemError(start + i, ExchangeErrorKind.UnknownOutcome, $"gate did not answer for order {chunk[i]}", ExchangeOrderId: chunk[i]));
                    }
                    else if (!GateParsers.IsSucceeded(item))
                    {
                        failed.Add((start + i, chunk[i], item.GetStringOrNull("message") ?? ""));
                    }
                }
            }
            catch (ExchangeException ex)
            {
                errors.AddRange(chunk.Select((id, i) => new BatchItemError(start + i, ex.Kind, ex.Message, ExchangeOrderId: id)));
                continue;
            }

            foreach (var (index, id, message) in failed)
            {
                if (await BatchCancelItemErrorAsync(symbol, index, id, message, cancellationToken).ConfigureAwait(false) is { } error)
                {
                    errors.Add(error);
                }
            }
        }

        errors.Sort((a, b) => a.Index.CompareTo(b.Index));
        return errors;
    }

    public override async Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default)
    {
        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        using var _ = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Delete, Futures + "/orders")
        {
            Parameters = [KeyValuePair.Create("contract", contract.Name)],
            Signed = true,
            Retry = RetryPolicy.Never,
            Costs = GateRateLimits.Call(GateRateLimits.Cancels),
            Operation = "cancelAll",
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One order by id or client id. Gate resolves a <c>text</c> only while the order is open and for 60 s after it
    /// ends; past that the order is looked up in the open list, the stream and the finished list (most recent
    /// <see cref="FinishedScanPages"/> pages), so an unknown place outcome can still be settled.
    /// </summary>
    public override async Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        try
        {
            using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/orders/" + Uri.EscapeDataString(OrderPathId(order)))
            {
                Signed = true,
                Costs = GateRateLimits.Call(GateRateLimits.OrderLookup),
                Operation = "getOrder",
            }, cancellationToken).ConfigureAwait(false);
            var found = ParseReported(doc.RootElement, contract.Multiplier, "getOrder");
            return found.Symbol == symbol
                ? found
                : throw new ExchangeException(ExchangeErrorKind.NotFound, $"{order} is not an order of {symbol} on gate");
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound && order.ExchangeOrderId is null && order.ClientOrderId is { } clientId)
        {
            return await FindByTextAsync(contract, clientId, cancellationToken).ConfigureAwait(false)
                ?? throw new ExchangeException(ExchangeErrorKind.NotFound, $"gate does not know {order} on {symbol}", ex, venueCode: ex.VenueCode);
        }
    }

    /// <summary>Every open order, paged through (Gate returns 100 a page unless asked for more).</summary>
    public override async Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        var cache = await ContractsAsync(cancellationToken).ConfigureAwait(false);
        return await ListOrdersAsync(cache, symbol is null ? null : cache.BySymbol(symbol), "open", int.MaxValue, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<Account> GetAccountAsync(CancellationToken cancellationToken = default)
    {
        var positions = GetPositionsAsync(null, cancellationToken);
        using var doc = await AccountDocumentAsync(cancellationToken).ConfigureAwait(false);
        return GateParsers.ParseAccount(doc.RootElement, await positions.ConfigureAwait(false), Clock.Now);
    }

    /// <summary>
    /// The open positions: GET positions with <c>holding=true</c> (only real positions; without it Gate lists empty ones
    /// too, and only the first 100), paged with <c>limit</c>/<c>offset</c> (gateapi-python docs/FuturesApi.md
    /// list_positions). Positions on contracts the connector does not list are skipped.
    /// </summary>
    public override async Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        var cache = await ContractsAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<Position>();
        if (symbol is not null)
        {
            using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/positions/" + cache.BySymbol(symbol).Name)
            {
                Signed = true,
                Costs = GateRateLimits.Call(GateRateLimits.Positions),
                Operation = "position",
            }, cancellationToken).ConfigureAwait(false);
            AddPositions(cache, [doc.RootElement], result);
            return result;
        }

        for (var offset = 0; ; offset += PageSize)
        {
            using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/positions")
            {
                Parameters = [KeyValuePair.Create("holding", "true"), KeyValuePair.Create("limit", PageSizeText), KeyValuePair.Create("offset", offset.ToString(CultureInfo.InvariantCulture))],
                Signed = true,
                Costs = GateRateLimits.Call(GateRateLimits.Positions),
                Operation = "positions",
            }, cancellationToken).ConfigureAwait(false);
            var page = doc.RootElement.EnumerateArray().ToArray();
            AddPositions(cache, page, result);
            if (page.Length < PageSize)
            {
                return result;
            }
        }
    }

    public override async Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default)
    {
        using var doc = await AccountDocumentAsync(cancellationToken).ConfigureAwait(false);
        var currency = doc.RootElement.GetStringOrNull("currency") ?? "USDT";
        return string.Equals(currency, asset, StringComparison.OrdinalIgnoreCase)
            ? doc.RootElement.GetDecimal("total")
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"the gate {Settle} futures account holds {currency}, not {asset}");
    }

    public override async Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default)
    {
        // The last price needs no contract size, so it costs one call even before the contract list is loaded.
        var name = GateParsers.Symbols.ToVenue(symbol);
        using var doc = await TickerDocumentAsync(name, cancellationToken).ConfigureAwait(false);
        var item = doc.RootElement.EnumerateArray().FirstOrDefault(e => e.GetStringOrNull("contract") == name);
        return item.ValueKind == JsonValueKind.Object
            ? item.GetDecimal("last")
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"symbol '{symbol}' is not a trading USDT perpetual on gate");
    }

    public override async Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default)
    {
        GateParsers.RequireCandleInterval(interval);
        if (limit is <= 0 or > 2000)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"limit {limit} must be between 1 and 2000");
        }

        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/candlesticks")
        {
            Parameters = [KeyValuePair.Create("contract", contract.Name), KeyValuePair.Create("interval", interval), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))],
            Costs = GateRateLimits.Call(GateRateLimits.Candlesticks),
            Operation = "klines",
        }, cancellationToken).ConfigureAwait(false);
        var now = Clock.Now;
        return [.. doc.RootElement.EnumerateArray().Select(e => GateParsers.ParseCandle(e, symbol, interval, contract.Multiplier, now)).OrderBy(c => c.OpenTime)];
    }

    public override async Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default)
    {
        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/contracts/" + contract.Name)
        {
            Costs = GateRateLimits.Call(GateRateLimits.Contracts),
            Operation = "funding",
        }, cancellationToken).ConfigureAwait(false);
        using var wrapped = JsonDocument.Parse("[" + doc.RootElement.GetRawText() + "]");
        var fresh = GateParsers.ParseContracts(wrapped.RootElement);
        return GateParsers.ContractFunding(fresh.Count == 1 ? fresh[0] : contract, Clock.Now);
    }

    public override async Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default)
    {
        var now = Clock.Now;
        return [.. (await LoadContractsAsync(cancellationToken).ConfigureAwait(false)).All.Select(c => GateParsers.ContractFunding(c, now))];
    }

    public override async Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default)
    {
        if (limit is <= 0 or > 1000)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"limit {limit} must be between 1 and 1000");
        }

        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/funding_rate")
        {
            Parameters = [KeyValuePair.Create("contract", contract.Name), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))],
            Costs = GateRateLimits.Call(GateRateLimits.FundingRate),
            Operation = "fundingHistory",
        }, cancellationToken).ConfigureAwait(false);
        return [.. doc.RootElement.EnumerateArray().Select(e => GateParsers.ParseFundingHistory(e, symbol)).OrderBy(f => f.Timestamp)];
    }

    public override async Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default)
    {
        var cache = await ContractsAsync(cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/tickers")
        {
            Costs = GateRateLimits.Call(GateRateLimits.Tickers),
            Operation = "tickers",
        }, cancellationToken).ConfigureAwait(false);
        var now = Clock.Now;
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            ObserveMark(e);
        }

        return [.. doc.RootElement.EnumerateArray()
            .Where(e => cache.TryByName(e.GetRequiredString("contract"), out _))
            .Select(e => GateParsers.ParseTicker(e, cache.ByName(e.GetRequiredString("contract")).Multiplier, now))];
    }

    public override async Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await TickerAsync(symbol, cancellationToken).ConfigureAwait(false)).OpenInterest;

    public override IAsyncEnumerable<PriceChange> SubscribePriceAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return MarketAsync(symbols, GateMarketStream.Tickers, null, (e, contract, now) => new PriceChange(contract.Symbol, e.GetDecimal("last"), now, VenueName), cancellationToken);
    }

    public override IAsyncEnumerable<Candle> SubscribeKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        GateParsers.RequireCandleInterval(interval);
        return MarketAsync(symbols, GateMarketStream.Candlesticks, interval, (e, contract, now) => GateParsers.ParseCandle(e, contract.Symbol, interval, contract.Multiplier, now), cancellationToken);
    }

    public override IAsyncEnumerable<FundingRate> SubscribeFundingRateAsync(string symbol, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        return MarketAsync([symbol], GateMarketStream.Tickers, null, (e, contract, now) => GateParsers.ParseTickerFunding(e, contract, now), cancellationToken);
    }

    /// <summary>The request body of one order (an object) or of a batch (an array).</summary>
    public static string OrderBody(IReadOnlyList<OrderRequest> requests, IReadOnlyList<GateContract> contracts, bool single)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            if (!single)
            {
                w.WriteStartArray();
            }

            for (var i = 0; i < requests.Count; i++)
            {
                WriteOrder(w, requests[i], contracts[i]);
            }

            if (!single)
            {
                w.WriteEndArray();
            }
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteOrder(Utf8JsonWriter w, OrderRequest request, GateContract contract)
    {
        if (request.Quantity <= 0)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"quantity {VenueJson.Format(request.Quantity)} must be positive");
        }

        var contracts = ContractSize.ToContracts(request.Quantity, contract.Multiplier);
        ContractSize.FormatWhole(contracts);
        w.WriteStartObject();
        w.WriteString("contract", contract.Name);
        w.WriteNumber("size", request.Side == OrderSide.Buy ? decimal.ToInt64(contracts) : -decimal.ToInt64(contracts));
        if (request.Type == OrderType.Market)
        {
            if (request.IsPostOnly)
            {
                throw new ExchangeException(ExchangeErrorKind.InvalidArgument, "a market order cannot be post-only");
            }

            // Gate: a market order is price "0" with tif ioc.
            w.WriteString("price", "0");
            w.WriteString("tif", "ioc");
        }
        else
        {
            var price = request.Price ?? throw new ExchangeException(ExchangeErrorKind.InvalidArgument, "price is required for a limit order");
            if (price <= 0)
            {
                throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"price {VenueJson.Format(price)} must be positive");
            }

            w.WriteString("price", VenueJson.Format(price));
            w.WriteString("tif", GateParsers.FormatTimeInForce(request.IsPostOnly ? TimeInForce.Gtx : request.TimeInForce));
        }

        if (!string.IsNullOrEmpty(request.ClientOrderId))
        {
            w.WriteString("text", GateParsers.ToText(request.ClientOrderId));
        }

        if (request.ReduceOnly)
        {
            w.WriteBoolean("reduce_only", true);
        }

        w.WriteEndObject();
    }

    /// <summary>An order of a single-order answer, its unknown values logged and counted.</summary>
    private Order ParseReported(JsonElement e, decimal multiplier, string where)
    {
        var order = GateParsers.ParseOrder(e, multiplier, out var unknown);
        if (unknown is not null)
        {
            Unknown.Value(where, unknown);
        }

        return order;
    }

    /// <summary>Labels Gate gives a cancel of an order that has already ended (ccxt ts/src/gate.ts exceptions).</summary>
    private static bool IsFinished(string? label) => label is GateErrors.OrderFinished or "ORDER_CLOSED" or "ORDER_CANCELLED";

    /// <summary>The error of one failed batch-cancel item, or null when the order turns out to be finished.</summary>
    private async Task<BatchItemError?> BatchCancelItemErrorAsync(string symbol, int index, string id, string message, CancellationToken cancellationToken)
    {
        if (GateErrors.Table.Find(message) is not null)
        {
            // Some answers put a label in the message: take it at its word.
            return IsFinished(message)
                ? null
                : GateErrors.Table.ToFailure(message, message, 400).Exception is var mapped
                    ? new BatchItemError(index, mapped.Kind, mapped.Message, ExchangeOrderId: id)
                    : null;
        }

        try
        {
            var order = await GetOrderAsync(symbol, OrderRef.ByExchangeId(id), cancellationToken).ConfigureAwait(false);
            return order.Status.IsTerminal()
                ? null
                : new BatchItemError(index, ExchangeErrorKind.Rejected, $"gate did not cancel order {id}: {message}", ExchangeOrderId: id);
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
        {
            return new BatchItemError(index, ExchangeErrorKind.NotFound, $"gate does not know order {id}: {message}", ExchangeOrderId: id);
        }
        catch (ExchangeException ex)
        {
            return new BatchItemError(index, ExchangeErrorKind.UnknownOutcome, $"gate did not cancel order {id} ({message}) and it could not be read back: {ex.Message}", ExchangeOrderId: id);
        }
    }

    /// <summary>
    /// An order Gate no longer resolves by <c>text</c>: a finished state pushed on the stream, else the open list,
    /// else the most recent finished orders, else an open state from the stream; null when none has it.
    /// </summary>
    private async Task<Order?> FindByTextAsync(GateContract contract, string clientOrderId, CancellationToken cancellationToken)
    {
        var pushed = UserStream.RecentOrder(clientOrderId) is { } p && p.Symbol == contract.Symbol ? p : null;
        if (pushed is { } final && final.Status.IsTerminal())
        {
            GateLog.OrderResolvedByList(Logger, clientOrderId, "order stream");
            return final;
        }

        var cache = await ContractsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (status, pages) in new[] { ("open", int.MaxValue), ("finished", FinishedScanPages) })
        {
            var found = (await ListOrdersAsync(cache, contract, status, pages, cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(o => o.ClientOrderId == clientOrderId);
            if (found is not null)
            {
                GateLog.OrderResolvedByList(Logger, clientOrderId, status + " order list");
                return found;
            }
        }

        return pushed;
    }

    /// <summary>
    /// GET orders with a status, paged with <c>limit</c>/<c>offset</c> until a page comes back short
    /// (https://www.gate.com/docs/developers/apiv4/en/#pagination) or <paramref name="maxPages"/> were read. Orders on
    /// contracts the connector does not list are skipped.
    /// </summary>
    private async Task<IReadOnlyList<Order>> ListOrdersAsync(ContractCache cache, GateContract? contract, string status, int maxPages, CancellationToken cancellationToken)
    {
        var orders = new List<Order>();
        for (var page = 0; page < maxPages; page++)
        {
            List<KeyValuePair<string, string>> parameters = [KeyValuePair.Create("status", status), KeyValuePair.Create("limit", PageSizeText), KeyValuePair.Create("offset", (page * PageSize).ToString(CultureInfo.InvariantCulture))];
            if (contract is not null)
            {
                parameters.Insert(0, KeyValuePair.Create("contract", contract.Name));
            }

            using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/orders")
            {
                Parameters = parameters,
                Signed = true,
                Costs = GateRateLimits.Call(GateRateLimits.OrderList),
                Operation = status + "Orders",
            }, cancellationToken).ConfigureAwait(false);
            var count = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                count++;
                var name = e.GetRequiredString("contract");
                if (!cache.TryByName(name, out var of))
                {
                    Unknown.UnlistedContract(status + " orders", name);
                    continue;
                }

                orders.Add(ParseReported(e, of.Multiplier, status + " orders"));
            }

            if (count < PageSize)
            {
                break;
            }
        }

        return orders;
    }

    /// <summary>The non-empty positions of a positions answer; unlisted contracts skipped, mark prices remembered.</summary>
    private void AddPositions(ContractCache cache, IEnumerable<JsonElement> items, List<Position> into)
    {
        var now = Clock.Now;
        foreach (var e in items)
        {
            var name = e.GetRequiredString("contract");
            if (!cache.TryByName(name, out var contract))
            {
                Unknown.UnlistedContract("positions", name);
                continue;
            }

            ObserveMark(e);
            var position = GateParsers.ParsePosition(e, contract.Multiplier, now);
            if (position.Size != 0)
            {
                into.Add(position);
            }
        }
    }

    /// <summary>Remembers the <c>mark_price</c> of a ticker or REST position item.</summary>
    private void ObserveMark(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("mark_price", out _) || e.GetStringOrNull("contract") is not { } contract)
        {
            return;
        }

        var mark = e.GetDecimal("mark_price");
        if (mark > 0)
        {
            lock (_marksGate)
            {
                _marks[contract] = (mark, Time.GetUtcNow());
            }
        }
    }

    /// <summary>
    /// The mark price of a contract for a <c>futures.positions</c> push: the last one seen on the ticker stream or a REST
    /// answer if younger than <see cref="GateOptions.MarkPriceMaxAge"/>, else fetched from GET tickers; when that fails,
    /// the last one known, else null.
    /// </summary>
    private async Task<decimal?> MarkPriceAsync(string contract, CancellationToken cancellationToken)
    {
        (decimal Mark, DateTimeOffset At) known;
        bool have;
        lock (_marksGate)
        {
            have = _marks.TryGetValue(contract, out known);
        }

        if (have && Time.GetUtcNow() - known.At <= Options.MarkPriceMaxAge)
        {
            return known.Mark;
        }

        try
        {
            using var doc = await TickerDocumentAsync(contract, cancellationToken).ConfigureAwait(false);
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                ObserveMark(e);
            }

            lock (_marksGate)
            {
                return _marks.TryGetValue(contract, out var fresh) ? fresh.Mark : have ? known.Mark : null;
            }
        }
        catch (ExchangeException ex)
        {
            GateLog.MarkPriceRefreshFailed(Logger, contract, ex.Message);
            return have ? known.Mark : null;
        }
    }

    private static string OrderPathId(OrderRef order) =>
        order.ExchangeOrderId ?? GateParsers.ToText(order.ClientOrderId ?? throw new ArgumentException("the order reference is empty", nameof(order)));

    private async IAsyncEnumerable<T> MarketAsync<T>(IReadOnlyCollection<string> symbols, string channel, string? interval, Func<JsonElement, GateContract, DateTimeOffset, T> parse, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cache = await ContractsAsync(cancellationToken).ConfigureAwait(false);
        var keys = symbols.Select(s => GateMarketStream.Key(channel, interval, cache.BySymbol(s).Name)).ToArray();
        await foreach (var item in MarketStream.SubscribeAsync(keys, (e, contractName) =>
        {
            if (channel == GateMarketStream.Tickers)
            {
                // futures.tickers items carry mark_price: the mark source of futures.positions pushes.
                ObserveMark(e);
            }

            return cache.TryByName(contractName, out var contract) ? parse(e, contract, Clock.Now) : default;
        }, cancellationToken).ConfigureAwait(false))
        {
            if (item is not null)
            {
                yield return item;
            }
        }
    }

    private async Task<Ticker> TickerAsync(string symbol, CancellationToken cancellationToken)
    {
        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        using var doc = await TickerDocumentAsync(contract.Name, cancellationToken).ConfigureAwait(false);
        var item = doc.RootElement.EnumerateArray().FirstOrDefault(e => e.GetStringOrNull("contract") == contract.Name);
        ObserveMark(item);
        return item.ValueKind == JsonValueKind.Object
            ? GateParsers.ParseTicker(item, contract.Multiplier, Clock.Now)
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"gate has no ticker for {contract.Name}");
    }

    private Task<JsonDocument> TickerDocumentAsync(string contractName, CancellationToken cancellationToken) =>
        Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/tickers")
        {
            Parameters = [KeyValuePair.Create("contract", contractName)],
            Costs = GateRateLimits.Call(GateRateLimits.Tickers),
            Operation = "ticker",
        }, cancellationToken);

    private async Task<JsonDocument> AccountDocumentAsync(CancellationToken cancellationToken) =>
        await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/accounts")
        {
            Signed = true,
            Costs = GateRateLimits.Call(GateRateLimits.Accounts),
            Operation = "account",
        }, cancellationToken).ConfigureAwait(false);

    private async Task<string> GetUserIdAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _userId) is { } known)
        {
            return known;
        }

        using var doc = await AccountDocumentAsync(cancellationToken).ConfigureAwait(false);
        var user = GateParsers.ParseUserId(doc.RootElement);
        Volatile.Write(ref _userId, user);
        return user;
    }

    private async Task<GateContract> ContractAsync(string symbol, CancellationToken cancellationToken) =>
        (await ContractsAsync(cancellationToken).ConfigureAwait(false)).BySymbol(symbol);

    private async Task<ContractCache> ContractsAsync(CancellationToken cancellationToken)
    {
        await RulesAsync(cancellationToken).ConfigureAwait(false);
        return _contracts!;
    }

    /// <summary>Fetches the contracts now (funding changes between cache refreshes).</summary>
    private async Task<ContractCache> LoadContractsAsync(CancellationToken cancellationToken)
    {
        await RulesAsync(cancellationToken, reload: true).ConfigureAwait(false);
        return _contracts!;
    }

    protected override async Task<IReadOnlyList<SymbolRules>> FetchRulesAsync(CancellationToken cancellationToken)
    {
        using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, Futures + "/contracts") { Costs = GateRateLimits.Call(GateRateLimits.Contracts), Operation = "contracts" }, cancellationToken).ConfigureAwait(false);
        var cache = new ContractCache(GateParsers.ParseContracts(doc.RootElement));
        _contracts = cache;
        return [.. cache.All.Select(c => c.Rules)];
    }

    private sealed class ContractCache(IReadOnlyList<GateContract> contracts)
    {
        private readonly Dictionary<string, GateContract> _bySymbol = contracts.ToDictionary(c => c.Symbol, StringComparer.Ordinal);
        private readonly Dictionary<string, GateContract> _byName = contracts.ToDictionary(c => c.Name, StringComparer.Ordinal);

        public IReadOnlyList<GateContract> All { get; } = contracts;

        public GateContract BySymbol(string symbol) =>
            _bySymbol.TryGetValue(symbol, out var contract)
                ? contract
                : throw new ExchangeException(ExchangeErrorKind.NotFound, $"symbol '{symbol}' is not a trading USDT perpetual on gate");

        public GateContract ByName(string name) =>
            _byName.TryGetValue(name, out var contract)
                ? contract
                : throw new ExchangeException(ExchangeErrorKind.Internal, $"gate answered for contract '{name}', which its contract list does not have");

        public bool TryByName(string name, out GateContract contract) => _byName.TryGetValue(name, out contract!);
    }
}
