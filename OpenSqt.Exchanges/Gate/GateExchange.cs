using System.Runtime.CompilerServices;
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
internal sealed partial class GateExchange : VenueExchange<GateOptions, GateRestClient>
{
    public const string VenueName = GateParsers.Venue;
    public const string Settle = "usdt";
    private const string Futures = GateRestClient.Futures;
    private const int BatchPlaceChunk = 10;
    private const int BatchCancelChunk = 20;
    private volatile GateContractCache? _contracts;

    /// <summary>Builds the connector; <c>handler</c> is the HTTP handler of its client (a pooled socket handler when null).</summary>
    public GateExchange(IOptions<GateOptions> options, VenueCredentials credentials, TimeProvider time, ILoggerFactory? loggerFactory = null, VenueMetrics? metrics = null, HttpMessageHandler? handler = null)
        : base(VenueName, options.Value, credentials, needsPassphrase: false, time, loggerFactory, metrics, http: null, handler)
    {
        Unknown = new GateUnknownValues(Logger, Metrics);
        Rest = new GateRestClient(Http, Options, credentials, Clock, time, Logger, Metrics);
        MarketStream = new GateMarketStream(Options, time, Logger, Metrics);
        UserStream = new GateUserStream(Options, credentials, Rest.UserIdAsync, async ct => (await ContractsAsync(ct).ConfigureAwait(false)).All, GetAccountAsync, (contract, ct) => MarketStream.MarkPriceAsync(contract, Rest.TickersAsync, ct), Unknown, time, Logger, Metrics);
        UseStreams(UserStream, ("market", MarketStream));
    }

    public override bool IsUnifiedMargin => false;

    public override GateRestClient Rest { get; }

    public GateUserStream UserStream { get; }

    public GateMarketStream MarketStream { get; }

    /// <summary>Unknown values and unlisted contracts met in Gate's answers.</summary>
    public GateUnknownValues Unknown { get; }

    protected override TimeSpan RulesCacheDuration => Options.ExchangeInfoCacheDuration;

    public override async Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var contract = await ContractAsync(request.Symbol, cancellationToken).ConfigureAwait(false);
        var body = GateParsers.OrderBody([request], [contract], single: true);
        using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, Futures + "/orders", "place", GateRateLimits.Call(GateEndpoint.Orders), body), cancellationToken).ConfigureAwait(false);

        // The acknowledgement is the answer: nothing is read back, so a failed read can never turn a live order into a refusal.
        return Unknown.ParseOrder(doc.RootElement, contract.Multiplier, "place");
    }

    public override async Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var cache = await ContractsAsync(cancellationToken).ConfigureAwait(false);
        return await VenueBatch.PlaceAsync(VenueName, requests, BatchPlaceChunk, (request, _) =>
        {
            var contract = cache.BySymbol(request.Symbol);
            GateParsers.OrderBody([request], [contract], single: true);
            return ValueTask.FromResult(contract);
        }, async (items, ct) =>
        {
            var body = GateParsers.OrderBody([.. items.Select(s => s.Request)], [.. items.Select(s => s.Prepared)], single: false);
            using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, Futures + "/batch_orders", "batchPlace", GateRateLimits.Call(GateEndpoint.Orders), body), ct).ConfigureAwait(false);
            return [.. GateParsers.ParseBatchOrders(doc.RootElement, name => cache.ByName(name).Multiplier).Select(r => new BatchOutcome(r.Order, r.Error?.Exception))];
        }, cancellationToken).ConfigureAwait(false);
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
            using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Delete, Futures + "/orders/" + Uri.EscapeDataString(OrderPathId(order)), "cancel", GateRateLimits.Call(GateEndpoint.Cancels)), cancellationToken).ConfigureAwait(false);
            var cancelled = Unknown.ParseOrder(doc.RootElement, contract.Multiplier, "cancel");
            if (cancelled.Symbol != symbol)
            {
                throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"{order} belongs to {cancelled.Symbol}, not {symbol}");
            }
        }
        catch (ExchangeException ex) when (GateErrors.IsFinished(ex.VenueCode))
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
        return await VenueBatch.CancelAsync(exchangeOrderIds, BatchCancelChunk, async (chunk, ct) =>
        {
            var body = JsonSerializer.Serialize(chunk, GateJsonContext.Default.StringArray);
            using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, Futures + "/batch_cancel_orders", "batchCancel", GateRateLimits.Call(GateEndpoint.Cancels), body), ct).ConfigureAwait(false);
            return GateParsers.ParseBatchCancel(doc.RootElement, chunk);
        }, (id, refusal, ct) => GateErrors.SettleBatchCancelItemAsync(id, refusal, token => GetOrderAsync(symbol, OrderRef.ByExchangeId(id), token), ct), cancellationToken).ConfigureAwait(false);
    }

    public override async Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default)
    {
        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        using var _ = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Delete, Futures + "/orders", "cancelAll", GateRateLimits.Call(GateEndpoint.Cancels), parameters: [KeyValuePair.Create("contract", contract.Name)]), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One order by id or client id. Gate resolves a <c>text</c> only while the order is open and for 60 s after it
    /// ends; past that the order is looked up in the open list, the stream and the finished list (most recent
    /// <see cref="GateRestClient.FinishedScanPages"/> pages), so an unknown place outcome can still be settled.
    /// </summary>
    public override async Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        try
        {
            using var doc = await Rest.OrderAsync(OrderPathId(order), cancellationToken).ConfigureAwait(false);
            var found = Unknown.ParseOneOrder(doc.RootElement, contract.Multiplier, "getOrder");
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
        return await Rest.ListOrdersAsync(cache, symbol is null ? null : cache.BySymbol(symbol), "open", int.MaxValue, Unknown, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<Account> GetAccountAsync(CancellationToken cancellationToken = default)
    {
        var positions = GetPositionsAsync(null, cancellationToken);
        using var doc = await Rest.AccountAsync(cancellationToken).ConfigureAwait(false);
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
        if (symbol is not null)
        {
            using var doc = await Rest.PositionsAsync(cache.BySymbol(symbol).Name, GateRestClient.PageSize, 0, cancellationToken).ConfigureAwait(false);
            return Unknown.ReadPositions([doc.RootElement], cache, e => MarketStream.ObserveMark(e), Clock.Now);
        }

        var result = new List<Position>();

        await VenuePaging.ByOffsetAsync(GateRestClient.PageSize, int.MaxValue, async (offset, ct) =>
        {
            using var doc = await Rest.PositionsAsync(null, GateRestClient.PageSize, offset, ct).ConfigureAwait(false);
            var page = doc.RootElement.EnumerateArray().ToArray();
            result.AddRange(Unknown.ReadPositions(page, cache, e => MarketStream.ObserveMark(e), Clock.Now));
            return page.Length;
        }, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public override async Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.AccountAsync(cancellationToken).ConfigureAwait(false);
        var currency = doc.RootElement.GetStringOrNull("currency") ?? "USDT";
        return string.Equals(currency, asset, StringComparison.OrdinalIgnoreCase)
            ? doc.RootElement.GetDecimal("total")
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"the gate {Settle} futures account holds {currency}, not {asset}");
    }

    public override async Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default)
    {
        // The last price needs no contract size, so it costs one call even before the contract list is loaded.
        using var doc = await Rest.TickersAsync(GateParsers.Symbols.ToVenue(symbol), cancellationToken).ConfigureAwait(false);
        return GateParsers.TickerItem(doc.RootElement, GateParsers.Symbols.ToVenue(symbol), $"symbol '{symbol}' is not a trading USDT perpetual on gate").GetDecimal("last");
    }

    public override async Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default)
    {
        GateParsers.RequireCandleInterval(interval);
        VenueJson.RequireLimit(limit, 2000);

        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        return await Rest.CandlesAsync(contract, symbol, interval, limit, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default)
    {
        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.ContractsAsync(contract.Name, cancellationToken).ConfigureAwait(false);
        using var wrapped = JsonDocument.Parse("[" + doc.RootElement.GetRawText() + "]");
        var fresh = GateParsers.ParseContracts(wrapped.RootElement);
        return GateParsers.ContractFunding(fresh.Count == 1 ? fresh[0] : contract, Clock.Now);
    }

    public override async Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default)
    {
        var now = Clock.Now;
        // The contracts are fetched now: funding changes between cache refreshes.
        await RulesAsync(cancellationToken, reload: true).ConfigureAwait(false);
        return [.. _contracts!.All.Select(c => GateParsers.ContractFunding(c, now))];
    }

    public override async Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireLimit(limit, 1000);

        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        return await Rest.FundingHistoryAsync(contract.Name, symbol, limit, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default)
    {
        var cache = await ContractsAsync(cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.TickersAsync(null, cancellationToken).ConfigureAwait(false);
        var now = Clock.Now;
        return [.. doc.RootElement.EnumerateArray()
            .Select(e => MarketStream.ObserveMark(e))
            .Where(e => cache.TryByName(e.GetRequiredString("contract"), out _))
            .Select(e => GateParsers.ParseTicker(e, cache.ByName(e.GetRequiredString("contract")).Multiplier, now))];
    }

    public override async Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await TickerAsync(symbol, cancellationToken).ConfigureAwait(false)).OpenInterest;

    protected override IAsyncEnumerable<PriceChange> StreamPricesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken) =>
        MarketAsync(symbols, GateMarketStream.Tickers, null, (e, contract, now) => new PriceChange(contract.Symbol, e.GetDecimal("last"), now, VenueName), cancellationToken);

    protected override IAsyncEnumerable<Candle> StreamKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken)
    {
        GateParsers.RequireCandleInterval(interval);
        return MarketAsync(symbols, GateMarketStream.Candlesticks, interval, (e, contract, now) => GateParsers.ParseCandle(e, contract.Symbol, interval, contract.Multiplier, now), cancellationToken);
    }

    protected override IAsyncEnumerable<FundingRate> StreamFundingAsync(string symbol, CancellationToken cancellationToken) =>
        MarketAsync([symbol], GateMarketStream.Tickers, null, (e, contract, now) => GateParsers.ParseTickerFunding(e, contract, now), cancellationToken);

    private async Task<Order?> FindByTextAsync(GateContract contract, string clientOrderId, CancellationToken cancellationToken) =>
        await Rest.FindByTextAsync(await ContractsAsync(cancellationToken).ConfigureAwait(false), contract, clientOrderId, UserStream.RecentOrder(clientOrderId), Unknown, cancellationToken).ConfigureAwait(false);

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
                MarketStream.ObserveMark(e);
            }

            return cache.TryByName(contractName, out var contract) ? parse(e, contract, Clock.Now) : default;
        }, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private async Task<Ticker> TickerAsync(string symbol, CancellationToken cancellationToken)
    {
        var contract = await ContractAsync(symbol, cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.TickersAsync(contract.Name, cancellationToken).ConfigureAwait(false);
        var item = MarketStream.ObserveMark(GateParsers.TickerItem(doc.RootElement, contract.Name, $"gate has no ticker for {contract.Name}"));
        return GateParsers.ParseTicker(item, contract.Multiplier, Clock.Now);
    }

    private async Task<GateContract> ContractAsync(string symbol, CancellationToken cancellationToken) =>
        (await ContractsAsync(cancellationToken).ConfigureAwait(false)).BySymbol(symbol);

    private async Task<GateContractCache> ContractsAsync(CancellationToken cancellationToken)
    {
        await RulesAsync(cancellationToken).ConfigureAwait(false);
        return _contracts!;
    }

    protected override async Task<IReadOnlyList<SymbolRules>> FetchRulesAsync(CancellationToken cancellationToken)
    {
        using var doc = await Rest.ContractsAsync(null, cancellationToken).ConfigureAwait(false);
        var cache = new GateContractCache(GateParsers.ParseContracts(doc.RootElement));
        _contracts = cache;
        return [.. cache.All.Select(c => c.Rules)];
    }
}
