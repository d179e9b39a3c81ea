using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>
/// Binance USDT-M perpetual futures (https://developers.binance.com/docs/derivatives/usds-margined-futures): every
/// <see cref="IExchange"/> call over REST through the shared signed client, and the order, account, position, price,
/// kline and funding streams over WebSockets. One-way position mode only: a hedge-mode account fails with
/// <see cref="ExchangeErrorKind.PositionModeMismatch"/>.
/// </summary>
internal sealed partial class BinanceExchange : VenueExchange<BinanceOptions, BinanceRestClient>, IMarketTape
{
    public const string VenueName = BinanceParsers.Venue;
    private const int BatchPlaceChunk = 5;
    private const int BatchCancelChunk = 10;

    public BinanceExchange(IOptions<BinanceOptions> options, VenueCredentials credentials, TimeProvider time, ILoggerFactory? loggerFactory = null, VenueMetrics? metrics = null, HttpClient? http = null)
        : base(VenueName, options.Value, credentials, needsPassphrase: false, time, loggerFactory, metrics, http)
    {
        Rest = new BinanceRestClient(Http, Options, credentials, Clock, time, Logger, Metrics);
        OnUnknownValue = CountUnknown;
        UserStream = new BinanceUserStream(Rest, Options, GetAccountAsync, time, Logger, Metrics, OnUnknownValue);
        MarketStream = new BinanceMarketStream(Options, Options.MarketStreamUri, "market", time, Logger, Metrics);
        PublicStream = new BinanceMarketStream(Options, Options.PublicStreamUri, "public", time, Logger, Metrics);
        UseStreams(UserStream, ("market", MarketStream), ("public", PublicStream));
    }

    public override bool IsUnifiedMargin => false;

    public override BinanceRestClient Rest { get; }

    public BinanceUserStream UserStream { get; }

    public BinanceMarketStream MarketStream { get; }

    /// <summary>The book streams' connection (<c>/public</c>); it connects when the first book stream is asked for.</summary>
    public BinanceMarketStream PublicStream { get; }

    protected override TimeSpan RulesCacheDuration => Options.ExchangeInfoCacheDuration;

    private Action<string, string> OnUnknownValue { get; }

    public override async Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parameters = BinanceParsers.OrderParameters(request);
        using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/fapi/v1/order", "place", BinanceRateLimits.NewOrder, parameters: parameters), cancellationToken).ConfigureAwait(false);

        // The acknowledgement is the answer: no read-back that could turn a live order into a failure.
        return BinanceParsers.ParseOrder(doc.RootElement, OnUnknownValue);
    }

    public override Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default) =>
        VenueBatch.PlaceAsync(VenueName, requests, BatchPlaceChunk, (request, _) => ValueTask.FromResult(BinanceParsers.BatchOrderItem(request)), async (items, ct) =>
        {
            var json = JsonSerializer.Serialize([.. items.Select(i => i.Prepared)], BinanceJsonContext.Default.ListBinanceBatchOrderItem);
            using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/fapi/v1/batchOrders", "batchPlace", BinanceRateLimits.BatchOrders, parameters: [KeyValuePair.Create("batchOrders", json)]), ct).ConfigureAwait(false);
            return [.. BinanceParsers.ParseBatchOrders(doc.RootElement, OnUnknownValue).Select(r => new BatchOutcome(r.Order, r.Error?.Exception))];
        }, cancellationToken, passThrough: ex => ex.Kind == ExchangeErrorKind.PositionModeMismatch);

    public override async Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        try
        {
            using var _ = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Delete, "/fapi/v1/order", "cancel", BinanceRateLimits.Ip(1), parameters: [KeyValuePair.Create("symbol", symbol), BinanceParsers.RefParameter(order)]), cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex) when (ex.VenueCode is BinanceErrors.UnknownOrderOnCancel or BinanceErrors.OrderDoesNotExist)
        {
            await SettleRefusedCancelAsync(symbol, order, ex, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Binance refuses a cancel with -2011 "Unknown order sent." both for an order it never had and for one that is
    /// already filled, cancelled or expired (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code:
    /// "-2011 CANCEL_REJECTED"; ccxt binance.py maps it to OrderNotFound whatever the cause). A query settles it: a final
    /// order means the cancel's goal is met (OK); -2013 "Order does not exist" means the venue does not know it
    /// (<see cref="ExchangeErrorKind.NotFound"/>); an order still open means the cancel did not happen (transient).
    /// </summary>
    private Task SettleRefusedCancelAsync(string symbol, OrderRef order, ExchangeException refusal, CancellationToken cancellationToken) =>
        SettleRefusedCancelAsync(symbol, order, refusal, async ct =>
        {
            try
            {
                return await GetOrderAsync(symbol, order, ct).ConfigureAwait(false);
            }
            catch (ExchangeException query) when (query.VenueCode == BinanceErrors.OrderDoesNotExist)
            {
                return null;
            }
        }, ExchangeErrorKind.Unavailable, cancellationToken);

    public override Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchangeOrderIds);
        foreach (var id in exchangeOrderIds)
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"binance order ids are numbers; '{id}' is not");
            }
        }

        return VenueBatch.CancelAsync(exchangeOrderIds, BatchCancelChunk, async (chunk, ct) =>
        {
            using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Delete, "/fapi/v1/batchOrders", "batchCancel", BinanceRateLimits.Ip(1), parameters: [KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("orderIdList", "[" + string.Join(',', chunk) + "]")]), ct).ConfigureAwait(false);
            return BinanceParsers.ParseBatchCancel(doc.RootElement, chunk.Length);
        }, (id, refusal, ct) => refusal.VenueCode is BinanceErrors.UnknownOrderOnCancel or BinanceErrors.OrderDoesNotExist
            ? VenueBatch.Verdict(() => SettleRefusedCancelAsync(symbol, OrderRef.ByExchangeId(id), refusal, ct))
            : Task.FromResult<ExchangeException?>(refusal), cancellationToken, passThrough: ex => ex.Kind == ExchangeErrorKind.PositionModeMismatch);
    }

    public override async Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default)
    {
        using var _ = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Delete, "/fapi/v1/allOpenOrders", "cancelAll", BinanceRateLimits.Ip(1), parameters: [KeyValuePair.Create("symbol", symbol)]), cancellationToken).ConfigureAwait(false);
    }

    public override async Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v1/order", "getOrder", BinanceRateLimits.Ip(1), [KeyValuePair.Create("symbol", symbol), BinanceParsers.RefParameter(order)], signed: true), cancellationToken).ConfigureAwait(false);
        return BinanceParsers.ParseOrder(doc.RootElement, OnUnknownValue);
    }

    public override async Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v1/openOrders", "openOrders", BinanceRateLimits.Ip(symbol is null ? 40 : 1), symbol is null ? [] : [KeyValuePair.Create("symbol", symbol)], signed: true), cancellationToken).ConfigureAwait(false);
        // Binance answers every open order in one array (no paging). An item whose status the connector does not know
        // is logged, counted and skipped; the rest of the list stands.
        var orders = new List<Order>(doc.RootElement.GetArrayLength());
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var status = item.GetStringOrNull("status");
            if (BinanceParsers.TryParseStatus(status) is null)
            {
                OnUnknownValue("status", status ?? "");
                continue;
            }

            orders.Add(BinanceParsers.ParseOrder(item, OnUnknownValue));
        }

        return orders;
    }

    public override async Task<Account> GetAccountAsync(CancellationToken cancellationToken = default)
    {
        var positions = GetPositionsAsync(null, cancellationToken);
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v3/account", "account", BinanceRateLimits.Ip(5), signed: true), cancellationToken).ConfigureAwait(false);
        return BinanceParsers.ParseAccount(doc.RootElement, await positions.ConfigureAwait(false));
    }

    public override async Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v2/positionRisk", "positions", BinanceRateLimits.Ip(5), symbol is null ? [] : [KeyValuePair.Create("symbol", symbol)], signed: true), cancellationToken).ConfigureAwait(false);
        return BinanceParsers.ParsePositions(doc.RootElement);
    }

    public override async Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v3/balance", "balance", BinanceRateLimits.Ip(5), signed: true), cancellationToken).ConfigureAwait(false);
        return BinanceParsers.ParseBalance(doc.RootElement, asset);
    }

    public override async Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v1/ticker/price", "price", BinanceRateLimits.Ip(1), [KeyValuePair.Create("symbol", symbol)]), cancellationToken).ConfigureAwait(false);
        return BinanceParsers.ParseTickerPrice(doc.RootElement);
    }

    public override async Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default)
    {
        KlineInterval.ToTimeSpan(interval);
        VenueJson.RequireLimit(limit, 1500);

        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v1/klines", "klines", BinanceRateLimits.Ip(BinanceRateLimits.KlinesWeight(limit)), [KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("interval", interval), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))]), cancellationToken).ConfigureAwait(false);
        return BinanceParsers.ParseKlines(doc.RootElement, symbol, interval, Clock.Now);
    }


    public override async Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v1/premiumIndex", "funding", BinanceRateLimits.Ip(1), [KeyValuePair.Create("symbol", symbol)]), cancellationToken).ConfigureAwait(false);
        return BinanceParsers.ParsePremiumIndex(doc.RootElement);
    }

    public override async Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v1/premiumIndex", "fundingAll", BinanceRateLimits.Ip(10)), cancellationToken).ConfigureAwait(false);
        return [.. doc.RootElement.EnumerateArray().Select(BinanceParsers.ParsePremiumIndex)];
    }

    public override async Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireLimit(limit, 1000);

        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v1/fundingRate", "fundingHistory", BinanceRateLimits.FundingRate, [KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))]), cancellationToken).ConfigureAwait(false);
        return [.. doc.RootElement.EnumerateArray().Select(BinanceParsers.ParseFundingHistory)];
    }

    public override async Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v1/ticker/24hr", "tickers", BinanceRateLimits.Ip(40)), cancellationToken).ConfigureAwait(false);
        return [.. doc.RootElement.EnumerateArray().Select(BinanceParsers.ParseTicker24h)];
    }

    public override async Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v1/openInterest", "openInterest", BinanceRateLimits.Ip(1), [KeyValuePair.Create("symbol", symbol)]), cancellationToken).ConfigureAwait(false);
        return doc.RootElement.GetDecimal("openInterest");
    }


    protected override IAsyncEnumerable<PriceChange> StreamPricesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken) =>
        MarketStream.SubscribeAsync([.. symbols.Select(s => BinanceMarketStream.Name(s, "aggTrade"))], BinanceParsers.ParseWsAggTrade, cancellationToken);

    /// <summary>Every aggregate trade, with its size and aggressor (<c>&lt;symbol&gt;@aggTrade</c> on <c>/market</c>).</summary>
    public IAsyncEnumerable<TapeTrade> SubscribeTradesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return MarketStream.SubscribeAsync([.. symbols.Select(s => BinanceMarketStream.Name(s, "aggTrade"))], BinanceParsers.ParseWsAggTape, cancellationToken);
    }

    /// <summary>Every change of the best bid or ask (<c>&lt;symbol&gt;@bookTicker</c> on <c>/public</c>).</summary>
    public IAsyncEnumerable<BookTop> SubscribeBookTopAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return PublicStream.SubscribeAsync([.. symbols.Select(s => BinanceMarketStream.Name(s, "bookTicker"))], BinanceParsers.ParseWsBookTicker, cancellationToken);
    }

    protected override IAsyncEnumerable<Candle> StreamKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken)
    {
        KlineInterval.ToTimeSpan(interval);
        return MarketStream.SubscribeAsync([.. symbols.Select(s => BinanceMarketStream.Name(s, "kline_" + interval))], BinanceParsers.ParseWsKline, cancellationToken);
    }



    protected override IAsyncEnumerable<FundingRate> StreamFundingAsync(string symbol, CancellationToken cancellationToken) =>
        MarketStream.SubscribeAsync([BinanceMarketStream.Name(symbol, "markPrice")], BinanceParsers.ParseWsMarkPrice, cancellationToken);



    protected override async Task<IReadOnlyList<SymbolRules>> FetchRulesAsync(CancellationToken cancellationToken)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/fapi/v1/exchangeInfo", "exchangeInfo", BinanceRateLimits.Ip(1)), cancellationToken).ConfigureAwait(false);

        // Binance publishes its limits here; they replace the declared defaults (they differ per account tier).
        foreach (var (rule, limit) in BinanceParsers.ParseRateLimits(doc.RootElement))
        {
            Rest.RateLimits.SetLimit(rule, limit);
        }

        return BinanceParsers.ParseExchangeInfo(doc.RootElement);
    }
}
