using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// Bitget v2 mix, product type USDT-FUTURES, margin coin USDT, under the margin mode the account holds for each
/// contract (https://www.bitget.com/api-doc/contract/intro): every <see cref="IExchange"/> call over REST through the
/// shared signed client, and tickers, candles, orders, positions and account over the v2 WebSockets. One-way position
/// mode only: orders carry no <c>tradeSide</c>, and a hedge-mode account fails with
/// <see cref="ExchangeErrorKind.PositionModeMismatch"/>. Place answers only ids; the order is live from then on. It is
/// read back with order detail only to tell a post-only order that Bitget accepted and cancelled because it would take
/// (reported as <see cref="ExchangeErrorKind.PostOnlyRejected"/>); a failed read-back reports the acknowledged order.
/// Lists are paged to the end; items with values we do not know, or on contracts we do not list, are skipped and
/// counted in <see cref="Unknowns"/>. A cancel answers OK when the order is cancelled or already final and
/// <see cref="ExchangeErrorKind.NotFound"/> when Bitget does not know it.
/// </summary>
/// <remarks>
/// No <see cref="IVenueDeadMansSwitch"/> (issue 14): the v2 mix API has no cancel-all-after (its order endpoints in
/// tiagosiebler/bitget-api src/rest-client-v2.ts cancel only on request: cancel-order, batch-cancel-orders,
/// cancel-all-orders, cancel-plan-order). A countdown exists only in the v3 unified-account API,
/// <c>POST /api/v3/trade/countdown-cancel-all</c> ("seconds until auto-cancel (5-60, or 0 to disable)", same repository,
/// src/rest-client-v3.ts and src/types/request/v3/trade.ts), which this connector does not use.
/// </remarks>
internal sealed partial class BitgetExchange : VenueExchange<BitgetOptions, BitgetRestClient>
{
    public const string VenueName = BitgetParsers.Venue;
    private const string Mix = "/api/v2/mix";
    private const int BatchChunk = 20;
    private const int PageSize = 100;
    private const int MaxPages = 100;
    private IReadOnlySet<string> _listed = new HashSet<string>(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, int> _fundingHours = new Dictionary<string, int>();

    public BitgetExchange(IOptions<BitgetOptions> options, VenueCredentials credentials, TimeProvider time, ILoggerFactory? loggerFactory = null, VenueMetrics? metrics = null, HttpClient? http = null)
        : base(VenueName, options.Value, credentials, needsPassphrase: true, time, loggerFactory, metrics, http)
    {
        Rest = new BitgetRestClient(Http, Options, credentials, Clock, time, Logger, Metrics);
        UserStream = new BitgetUserStream(Options, credentials, GetAccountAsync, Clock, Rest.SyncClockAsync, time, Logger, Metrics) { Unknowns = Unknowns };
        MarketStream = new BitgetMarketStream(Options, time, Logger, Metrics);
        UseStreams(UserStream, ("market", MarketStream));
    }

    public override bool IsUnifiedMargin => false;

    public override BitgetRestClient Rest { get; }

    public BitgetUserStream UserStream { get; }

    public BitgetMarketStream MarketStream { get; }

    /// <summary>Values of Bitget answers this connector did not know (a new status, force, order type or side), counted per field.</summary>
    public BitgetUnknownValues Unknowns { get; } = new();

    protected override TimeSpan RulesCacheDuration => Options.ExchangeInfoCacheDuration;

    public override async Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var marginMode = await Rest.MarginModeAsync(request.Symbol, cancellationToken).ConfigureAwait(false);
        var body = BitgetParsers.PlaceOrderBody(request, marginMode);
        using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, Mix + "/order/place-order", "place", BitgetRateLimits.Call(BitgetEndpoint.PlaceOrder), body), cancellationToken).ConfigureAwait(false);
        var id = BitgetParsers.Data(doc.RootElement).GetRequiredString("orderId");
        var acknowledged = Accepted(request, id, Clock.Now);
        Order order;
        try
        {
            // The read-back only tells a post-only order that Bitget accepted and cancelled at once (it would have
            // taken) from a resting one. The order is live from the acknowledgement on: a failed read (429, 5xx,
            // timeout, not yet visible, a value we do not know) leaves it accepted, and the stream tells the rest.
            order = await GetOrderAsync(request.Symbol, OrderRef.ByExchangeId(id), cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex)
        {
            BitgetLog.ReadBackFailed(Logger, id, ex.Kind.ToString(), ex.Message);
            return acknowledged;
        }

        if (request.IsPostOnly && order.Status == OrderStatus.Canceled && order.FilledQuantity == 0)
        {
            // Bitget takes a post-only order that would cross and cancels it at once.
            throw new ExchangeException(ExchangeErrorKind.PostOnlyRejected, $"bitget cancelled post-only order {id}: it would have taken liquidity");
        }

        return order;
    }

    public override Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default) =>
        VenueBatch.PlaceAsync(VenueName, requests, BatchChunk, (request, _) =>
        {
            VenueJson.Write(w =>
            {
                w.WriteStartObject();
                BitgetParsers.WriteOrderFields(w, request);
                w.WriteEndObject();
            });
            return ValueTask.FromResult(request);
        }, async (items, ct) =>
        {
            var symbol = items[0].Request.Symbol;
            var marginMode = await Rest.MarginModeAsync(symbol, ct).ConfigureAwait(false);
            var body = BitgetParsers.BatchPlaceBody(symbol, marginMode, [.. items.Select(i => i.Request)]);
            using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, Mix + "/order/batch-place-order", "batchPlace", BitgetRateLimits.Call(BitgetEndpoint.BatchPlaceOrder), body), ct).ConfigureAwait(false);
            var (succeeded, failed) = BitgetParsers.ParseBatch(BitgetParsers.Data(doc.RootElement));
            var now = Clock.Now;
            return [.. items.Select((item, i) =>
            {
                // Items are matched by clientOid when there is one, else by position among the items without one.
                var ok = item.Request.ClientOrderId is { } cid ? succeeded.FirstOrDefault(s => s.ClientOid == cid) : (i < succeeded.Count && failed.Count == 0 ? succeeded[i] : default);
                return ok.OrderId is not null
                    ? BatchOutcome.Placed(Accepted(item.Request, ok.OrderId, now))
                    : BatchOutcome.Refused(failed.FirstOrDefault(f => f.ClientOid == item.Request.ClientOrderId).Error?.Exception
                        ?? new ExchangeException(ExchangeErrorKind.UnknownOutcome, "bitget did not report this batch item; look it up by client id"));
            })];
        }, cancellationToken, groupBy: r => r.Symbol);

    public override async Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        var body = BitgetParsers.CancelBody(symbol, order);
        try
        {
            using var _ = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, Mix + "/order/cancel-order", "cancel", BitgetRateLimits.Call(BitgetEndpoint.CancelOrder), body), cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex) when (ex.VenueCode is BitgetErrors.OrderDoesNotExist or BitgetErrors.OrderNotFound)
        {
            // Bitget answers these both for an order that already filled or was cancelled and for an order it never
            // had; order detail tells which. Finished is done (OK); unknown is NotFound.
            await SettleCancelAsync(symbol, order, ex, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>After a "does not exist" answer to a cancel: returns when the order is final, throws NotFound when Bitget does not know it.</summary>
    private Task SettleCancelAsync(string symbol, OrderRef order, ExchangeException refusal, CancellationToken cancellationToken) =>
        SettleRefusedCancelAsync(symbol, order, refusal, async ct =>
        {
            try
            {
                return await GetOrderAsync(symbol, order, ct).ConfigureAwait(false);
            }
            catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
            {
                return null;
            }
        }, ExchangeErrorKind.UnknownOutcome, cancellationToken);

    /// <summary>
    /// Cancels up to 20 orders a call. Bitget answers <c>successList</c> and <c>failureList</c> items of
    /// <c>{orderId, clientOid, errorMsg, errorCode}</c> (https://www.bitget.com/api-doc/contract/trade/Batch-Cancel-Orders).
    /// A failure is charged to the order it names, by <c>orderId</c>, else by <c>clientOid</c> (looked up); one that
    /// names no order of the chunk is never charged to another: every order of the chunk that neither list accounts for
    /// is then settled by a query of it.
    /// </summary>
    public override Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default) =>
        VenueBatch.CancelAsync(exchangeOrderIds, BatchChunk, async (chunk, ct) =>
        {
            using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, Mix + "/order/batch-cancel-orders", "batchCancel", BitgetRateLimits.Call(BitgetEndpoint.BatchCancelOrders), BitgetParsers.BatchCancelBody(symbol, chunk)), ct).ConfigureAwait(false);
            var (succeeded, failed) = BitgetParsers.ParseBatch(BitgetParsers.Data(doc.RootElement));
            var named = new List<(string? OrderId, ExchangeException Error)>();
            foreach (var (orderId, clientOid, error) in failed)
            {
                named.Add((orderId ?? (clientOid is null ? null : await OrderIdOfAsync(symbol, clientOid, ct).ConfigureAwait(false)), error.Exception));
            }

            return BitgetParsers.ChargeCancelFailures(chunk, succeeded, named, Logger);
        }, (id, failure, ct) => failure.VenueCode is BitgetErrors.OrderDoesNotExist or BitgetErrors.OrderNotFound or BitgetParsers.UnattributedRefusal
            ? VenueBatch.Verdict(() => SettleCancelAsync(symbol, OrderRef.ByExchangeId(id), failure, ct))
            : Task.FromResult<ExchangeException?>(failure), cancellationToken);

    /// <summary>The id of the order with a client id, or null when it cannot be read.</summary>
    private async Task<string?> OrderIdOfAsync(string symbol, string clientOid, CancellationToken cancellationToken)
    {
        try
        {
            return (await GetOrderAsync(symbol, OrderRef.ByClientId(clientOid), cancellationToken).ConfigureAwait(false)).ExchangeOrderId;
        }
        catch (ExchangeException)
        {
            return null;
        }
    }

    /// <summary>batch-cancel-orders without an id list cancels every open order of the symbol.</summary>
    public override async Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default)
    {
        using var _ = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, Mix + "/order/batch-cancel-orders", "cancelAll", BitgetRateLimits.Call(BitgetEndpoint.BatchCancelOrders), BitgetParsers.BatchCancelBody(symbol, null)), cancellationToken).ConfigureAwait(false);
    }

    public override async Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.OrderDetailAsync(symbol, order, cancellationToken).ConfigureAwait(false);
        return Unknowns.ParseOne(BitgetParsers.Data(doc.RootElement), Logger);
    }

    /// <summary>
    /// orders-pending pages through <c>idLessThan</c> = the previous page's <c>endId</c>, at most 100 a page
    /// (https://www.bitget.com/api-doc/contract/trade/Get-Orders-Pending: "limit ... Maximum: 100, default: 100";
    /// "idLessThan: requests the content on the page before this ID (older data), the value input should be the endId").
    /// Orders with a value we do not know, or on a contract we do not list, are logged and left out.
    /// </summary>
    public override async Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        var listed = await ListedAsync(cancellationToken).ConfigureAwait(false);
        var marginWarmup = symbol is null ? Task.CompletedTask : WarmMarginModeAsync(symbol, cancellationToken);
        var orders = await Rest.OpenOrdersAsync(symbol, PageSize, MaxPages, e => Unknowns.ParseListedOrder(e, listed, Logger), cancellationToken).ConfigureAwait(false);
        await marginWarmup.ConfigureAwait(false);
        return orders;
    }

    public override async Task<Account> GetAccountAsync(CancellationToken cancellationToken = default)
    {
        var positions = GetPositionsAsync(null, cancellationToken);
        using var doc = await Rest.AccountsAsync(cancellationToken).ConfigureAwait(false);
        return BitgetParsers.ParseAccount(BitgetParsers.Data(doc.RootElement), await positions.ConfigureAwait(false), Clock.Now);
    }

    /// <summary>all-position answers every open position at once (it takes no page); single-position one contract. Positions on a contract we do not list are left out.</summary>
    public override async Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        var listed = await ListedAsync(cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.PositionsAsync(symbol, cancellationToken).ConfigureAwait(false);
        return Unknowns.ParseListedPositions(BitgetParsers.Data(doc.RootElement), listed, Logger);
    }

    public override async Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.AccountsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var e in BitgetParsers.Data(doc.RootElement).EnumerateArray())
        {
            if (string.Equals(e.GetStringOrNull("marginCoin"), asset, StringComparison.OrdinalIgnoreCase))
            {
                return e.GetDecimal("accountEquity") - e.GetDecimal("unrealizedPL");
            }
        }

        throw new ExchangeException(ExchangeErrorKind.NotFound, $"the bitget {BitgetParsers.ProductType} account has no {asset} margin");
    }

    public override async Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await TickerAsync(symbol, cancellationToken).ConfigureAwait(false)).LastPrice;

    public override async Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default)
    {
        KlineInterval.ToTimeSpan(interval);
        var granularity = BitgetParsers.Granularity(interval);
        VenueJson.RequireLimit(limit, 1000);

        using var doc = await Rest.GetJsonAsync(VenueRequest.Get(Mix + "/market/candles", "klines", BitgetRateLimits.Call(BitgetEndpoint.Candles), [KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("productType", BitgetParsers.ProductType), KeyValuePair.Create("granularity", granularity), KeyValuePair.Create("limit", limit.ToString(CultureInfo.InvariantCulture))]), cancellationToken).ConfigureAwait(false);
        var now = Clock.Now;
        return [.. BitgetParsers.Data(doc.RootElement).EnumerateArray().Select(r => BitgetParsers.ParseCandle(r, symbol, interval, now)).OrderBy(c => c.OpenTime)];
    }

    public override async Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default)
    {
        var next = Rest.NextFundingAsync(symbol, cancellationToken);
        using var doc = await Rest.TickerAsync(symbol, cancellationToken).ConfigureAwait(false);
        var item = BitgetParsers.FirstOf(BitgetParsers.Data(doc.RootElement), symbol);
        return BitgetParsers.ParseTickerFunding(item, await next.ConfigureAwait(false));
    }

    public override async Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default)
    {
        // One tickers call; the next funding time follows each contract's fundInterval (hours, aligned to UTC midnight),
        // instead of one funding-time call per contract.
        await RulesAsync(cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.TickersAsync(cancellationToken).ConfigureAwait(false);
        var now = Clock.Now;
        return [.. BitgetParsers.Data(doc.RootElement).EnumerateArray().Select(item =>
        {
            var hours = _fundingHours.GetValueOrDefault(item.GetRequiredString("symbol"), 8);
            return BitgetParsers.ParseTickerFunding(item, BitgetParsers.NextFundingTime(now, hours));
        })];
    }

    public override async Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireLimit(limit, 100);

        using var doc = await Rest.GetJsonAsync(VenueRequest.Get(Mix + "/market/history-fund-rate", "fundingHistory", BitgetRateLimits.Call(BitgetEndpoint.HistoryFundRate), [KeyValuePair.Create("symbol", symbol), KeyValuePair.Create("productType", BitgetParsers.ProductType), KeyValuePair.Create("pageSize", limit.ToString(CultureInfo.InvariantCulture))]), cancellationToken).ConfigureAwait(false);
        return [.. BitgetParsers.Data(doc.RootElement).EnumerateArray().Select(BitgetParsers.ParseFundingHistory).OrderBy(f => f.Timestamp)];
    }

    public override async Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.TickersAsync(cancellationToken).ConfigureAwait(false);
        return [.. BitgetParsers.Data(doc.RootElement).EnumerateArray().Select(BitgetParsers.ParseTicker)];
    }

    public override async Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await TickerAsync(symbol, cancellationToken).ConfigureAwait(false)).OpenInterest;

    protected override IAsyncEnumerable<PriceChange> StreamPricesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken) =>
        MarketStream.SubscribeAsync([.. symbols.Select(s => (BitgetMarketStream.TickerChannel, s))],
        (e, instId) => new PriceChange(instId, e.GetDecimal("lastPr"), DateTimeOffset.FromUnixTimeMilliseconds(e.GetInt64("ts")), VenueName), cancellationToken);

    protected override IAsyncEnumerable<Candle> StreamKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken)
    {
        KlineInterval.ToTimeSpan(interval);
        var channel = "candle" + BitgetParsers.Granularity(interval);
        return MarketStream.SubscribeAsync([.. symbols.Select(s => (channel, s))], (row, instId) => BitgetParsers.ParseCandle(row, instId, interval, Clock.Now), cancellationToken);
    }

    protected override IAsyncEnumerable<FundingRate> StreamFundingAsync(string symbol, CancellationToken cancellationToken) =>
        MarketStream.SubscribeAsync([(BitgetMarketStream.TickerChannel, symbol)], (e, _) => BitgetParsers.ParseTickerFunding(e), cancellationToken);

    /// <summary>Reads the margin mode of a symbol ahead of the first order; a failure is only logged (the place reads it again).</summary>
    private async Task WarmMarginModeAsync(string symbol, CancellationToken cancellationToken)
    {
        try
        {
            await Rest.MarginModeAsync(symbol, cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex)
        {
            BitgetLog.MarginModeReadFailed(Logger, symbol, ex.Message);
        }
    }

    /// <summary>Every contract of the contracts answer, whatever its status (a position on a contract in maintenance is still ours).</summary>
    private async Task<IReadOnlySet<string>> ListedAsync(CancellationToken cancellationToken)
    {
        await RulesAsync(cancellationToken).ConfigureAwait(false);
        return _listed;
    }

    private async Task<Ticker> TickerAsync(string symbol, CancellationToken cancellationToken)
    {
        using var doc = await Rest.TickerAsync(symbol, cancellationToken).ConfigureAwait(false);
        return BitgetParsers.ParseTicker(BitgetParsers.FirstOf(BitgetParsers.Data(doc.RootElement), symbol));
    }

    protected override async Task<IReadOnlyList<SymbolRules>> FetchRulesAsync(CancellationToken cancellationToken)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get(Mix + "/market/contracts", "contracts", BitgetRateLimits.Call(BitgetEndpoint.ContractConfig), [KeyValuePair.Create("productType", BitgetParsers.ProductType)]), cancellationToken).ConfigureAwait(false);
        _listed = BitgetParsers.Data(doc.RootElement).EnumerateArray().Select(e => e.GetRequiredString("symbol")).ToHashSet(StringComparer.Ordinal);
        _fundingHours = BitgetParsers.ParseFundingIntervals(BitgetParsers.Data(doc.RootElement));
        return BitgetParsers.ParseContracts(BitgetParsers.Data(doc.RootElement));
    }
}
