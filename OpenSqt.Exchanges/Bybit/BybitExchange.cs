using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit v5 USDT perpetuals, category linear (https://bybit-exchange.github.io/docs/v5/intro): every
/// <see cref="IExchange"/> call over REST through the shared signed client, and the order, execution, position and
/// wallet topics of the private WebSocket plus the tickers and kline topics of the public one. One-way position mode
/// (positionIdx 0). Create and cancel acknowledge only ids, so a placed order is read back from
/// <c>/v5/order/realtime</c>: a post-only order that would have crossed comes back Cancelled with
/// <c>EC_PostOnlyWillTakeLiquidity</c> and is reported as <see cref="ExchangeErrorKind.PostOnlyRejected"/>. The
/// acknowledgement decides the outcome: when the read-back fails or does not see the order yet, the order is reported
/// accepted (the stream tells the rest), never refused. Each endpoint has its own rate budget
/// (<see cref="BybitRateLimits"/>); the batch endpoints are charged per order and sent in chunks the budget allows.
/// </summary>
/// <remarks>The venue switch, Bybit's disconnection protection, is in BybitExchange.DeadMansSwitch.cs; the public tape in BybitExchange.Tape.cs.</remarks>
internal sealed partial class BybitExchange : VenueExchange<BybitOptions, BybitRestClient>
{
    public const string VenueName = BybitParsers.Venue;

    /// <summary>Most orders in one batch call: "A maximum of ... 20 orders (linear)" (https://bybit-exchange.github.io/docs/v5/order/batch-place).</summary>
    public const int BatchSize = 20;

    public BybitExchange(IOptions<BybitOptions> options, VenueCredentials credentials, TimeProvider time, ILoggerFactory? loggerFactory = null, VenueMetrics? metrics = null, HttpClient? http = null)
        : base(VenueName, options.Value, credentials, needsPassphrase: false, time, loggerFactory, metrics, http)
    {
        Skips = new BybitSkips(Logger, Metrics);
        Rest = new BybitRestClient(Http, Options, credentials, Clock, time, Logger, Metrics);
        UserStream = new BybitUserStream(Options, credentials, Clock, time, Logger, Metrics, Skips)
        {
            FetchAccount = GetAccountAsync,
            MarginType = () => Rest.MarginType ?? BybitParsers.CrossMargin,
            IsListed = IsListed,
        };
        MarketStream = new BybitMarketStream(Options, time, Logger, Metrics, Skips);
        UseStreams(UserStream, ("market", MarketStream));
    }

    public override bool IsUnifiedMargin => true;

    public override BybitRestClient Rest { get; }

    public BybitUserStream UserStream { get; }

    public BybitMarketStream MarketStream { get; }

    /// <summary>Answer and push items left out because of an unknown value or an unlisted instrument.</summary>
    public BybitSkips Skips { get; }

    protected override TimeSpan RulesCacheDuration => Options.ExchangeInfoCacheDuration;

    public override async Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = VenueJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("category", BybitParsers.Category);
            BybitParsers.WriteOrderFields(w, request);
            w.WriteEndObject();
        });
        using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/v5/order/create", "place", BybitRateLimits.Call(BybitEndpoint.OrderCreate), body), cancellationToken).ConfigureAwait(false);
        var (orderId, _) = BybitParsers.ParseAck(doc.RootElement);
        Order order;
        try
        {
            // The read-back only refines the answer (a crossing post-only order, a fill); the ack already decided.
            order = await Rest.FindOrderAsync(request.Symbol, OrderRef.ByExchangeId(orderId), Skips, cancellationToken).ConfigureAwait(false)
                ?? Accepted(request, orderId);
        }
        catch (ExchangeException ex)
        {
            BybitLog.ReadBackFailed(Logger, orderId, request.ClientOrderId, ex.Message);
            order = Accepted(request, orderId);
        }

        if (order.Status == OrderStatus.Canceled && order.RejectReason == BybitErrors.PostOnlyWillTakeLiquidity)
        {
            throw new ExchangeException(ExchangeErrorKind.PostOnlyRejected,
                $"bybit cancelled post-only order {orderId} ({request.ClientOrderId}): {BybitErrors.PostOnlyWillTakeLiquidity}, it would have taken liquidity",
                venueCode: BybitErrors.PostOnlyWillTakeLiquidity);
        }

        return order;
    }

    public override Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default) =>
        VenueBatch.PlaceAsync(VenueName, requests, BatchChunk(BybitEndpoint.OrderCreateBatch), (request, _) =>
        {
            OrderChecks.Validate(request);
            return ValueTask.FromResult(request);
        }, async (items, ct) =>
        {
            var body = BybitParsers.BatchBody(items, (w, item) => BybitParsers.WriteOrderFields(w, item.Request));
            using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/v5/order/create-batch", "batchPlace", BybitRateLimits.Call(BybitEndpoint.OrderCreateBatch, items.Count), body), ct).ConfigureAwait(false);
            var outcomes = new List<BatchOutcome>();
            foreach (var ((item, code, message), k) in BybitParsers.BatchResults(doc.RootElement).Take(items.Count).Select((r, k) => (r, k)))
            {
                // 10006 on an item: past the batch budget of this second, not placed; reported as
                // RateLimited (transient) and never re-sent here.
                outcomes.Add(code == "0" && item is { } ok && ok.GetStringOrNull("orderId") is { Length: > 0 } id
                    ? BatchOutcome.Placed(Accepted(items[k].Request, id) with { CreatedAt = BybitParsers.Time(ok, "createAt") })
                    : BatchOutcome.Refused(BybitErrors.Table.ToFailure(code, message, 200).Exception));
            }

            return outcomes;
        }, cancellationToken);

    public override async Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        var body = BybitParsers.CancelBody(symbol, order);
        try
        {
            using var _ = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/v5/order/cancel", "cancel", BybitRateLimits.Call(BybitEndpoint.OrderCancel), body), cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex) when (ex.VenueCode is BybitErrors.OrderFinished or BybitErrors.OrderAlreadyCancelled)
        {
            // 110008 "The order has been completed or cancelled", 110010 "The order has been cancelled"
            // (https://bybit-exchange.github.io/docs/v5/error): done either way.
            BybitLog.CancelFoundFinished(Logger, order.ToString(), ex.VenueCode!);
        }
        catch (ExchangeException ex) when (ex.VenueCode == BybitErrors.OrderNotExists)
        {
            await SettleNotExistsAsync(symbol, order, ex, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// 110001 "Order does not exist" is ambiguous: Bybit also answers it for an order that already filled or was
    /// cancelled ("You can only cancel unfilled or partially filled orders", https://bybit-exchange.github.io/docs/v5/order/cancel-order).
    /// A lookup settles it: finished is done, unknown is <see cref="ExchangeErrorKind.NotFound"/>.
    /// </summary>
    private Task SettleNotExistsAsync(string symbol, OrderRef order, ExchangeException refusal, CancellationToken cancellationToken) =>
        SettleRefusedCancelAsync(symbol, order, refusal, ct => Rest.FindOrderAsync(symbol, order, Skips, ct), ExchangeErrorKind.Unavailable, cancellationToken);

    public override Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default) =>
        VenueBatch.CancelAsync(exchangeOrderIds, BatchChunk(BybitEndpoint.OrderCancelBatch), async (chunk, ct) =>
        {
            var body = BybitParsers.BatchBody(chunk, (w, id) =>
            {
                w.WriteString("symbol", symbol);
                w.WriteString("orderId", id);
            });
            using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/v5/order/cancel-batch", "batchCancel", BybitRateLimits.Call(BybitEndpoint.OrderCancelBatch, chunk.Length), body), ct).ConfigureAwait(false);
            var results = BybitParsers.BatchResults(doc.RootElement);
            var refused = new List<(int, ExchangeException)>();
            for (var i = 0; i < chunk.Length; i++)
            {
                var (_, code, message) = i < results.Count ? results[i] : (null, "HTTP200", "bybit answered fewer batch items than were sent");
                if (code is not ("0" or BybitErrors.OrderFinished or BybitErrors.OrderAlreadyCancelled))
                {
                    // 10006 on an item: past the batch budget of this second; the order is still open.
                    refused.Add((i, BybitErrors.Table.ToFailure(code, message, 200).Exception));
                }
            }

            return refused;
        }, (id, refusal, ct) => refusal.VenueCode == BybitErrors.OrderNotExists
            ? VenueBatch.Verdict(() => SettleNotExistsAsync(symbol, OrderRef.ByExchangeId(id), refusal, ct))
            : Task.FromResult<ExchangeException?>(refusal), cancellationToken);

    public override async Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        using var _ = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/v5/order/cancel-all", "cancelAll", BybitRateLimits.Call(BybitEndpoint.OrderCancelAll), VenueJson.Write(w => { w.WriteStartObject(); w.WriteString("category", BybitParsers.Category); w.WriteString("symbol", symbol); w.WriteEndObject(); })), cancellationToken).ConfigureAwait(false);
    }

    public override async Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default) =>
        await Rest.FindOrderAsync(symbol, order, Skips, cancellationToken).ConfigureAwait(false)
        ?? throw new ExchangeException(ExchangeErrorKind.NotFound, $"bybit has no order {order} on {symbol}", venueCode: BybitErrors.OrderNotExists);

    public override async Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        await RulesAsync(cancellationToken).ConfigureAwait(false);
        var orders = new List<Order>();
        await VenuePaging.ByCursorAsync(async (cursor, ct) =>
        {
            using var doc = await Rest.ListAsync("/v5/order/realtime", "openOrders", BybitEndpoint.OrderRealtime, symbol, 50, cursor, ct).ConfigureAwait(false);
            foreach (var item in BybitParsers.List(doc.RootElement))
            {
                if (Skips.ParseListed(item, "order", "openOrders", IsListed) is { } order && order.Status.IsOpen())
                {
                    orders.Add(order);
                }
            }

            return BybitParsers.NextCursor(doc.RootElement);
        }, cancellationToken).ConfigureAwait(false);
        return orders;
    }

    public override async Task<Account> GetAccountAsync(CancellationToken cancellationToken = default)
    {
        var positions = GetPositionsAsync(null, cancellationToken);
        using var doc = await Rest.WalletAsync(null, cancellationToken).ConfigureAwait(false);
        var account = BybitParsers.List(doc.RootElement).FirstOrDefault();
        if (account.ValueKind != JsonValueKind.Object)
        {
            throw new ExchangeException(ExchangeErrorKind.Internal, "bybit answered no UNIFIED wallet");
        }

        return BybitParsers.ParseWallet(account, await positions.ConfigureAwait(false), Clock.Now);
    }

    public override async Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        await RulesAsync(cancellationToken).ConfigureAwait(false);
        var marginType = await Rest.MarginTypeAsync(cancellationToken).ConfigureAwait(false);
        var positions = new List<Position>();
        await VenuePaging.ByCursorAsync(async (cursor, ct) =>
        {
            using var doc = await Rest.ListAsync("/v5/position/list", "positions", BybitEndpoint.PositionList, symbol, 200, cursor, ct).ConfigureAwait(false);
            foreach (var item in BybitParsers.List(doc.RootElement))
            {
                var position = BybitParsers.ParsePosition(item, marginType);
                if (position.Size == 0)
                {
                    continue;
                }

                if (!IsListed(position.Symbol))
                {
                    Skips.Unlisted("position", position.Symbol, "positions");
                    continue;
                }

                if (BybitParsers.PositionIndex(item) != 0)
                {
                    throw new ExchangeException(ExchangeErrorKind.PositionModeMismatch,
                        $"bybit position {position.Symbol} is in hedge mode (positionIdx {BybitParsers.PositionIndex(item)}); OpenSqt trades one-way positions only: switch the account to one-way mode and restart");
                }

                positions.Add(position);
            }

            return BybitParsers.NextCursor(doc.RootElement);
        }, cancellationToken).ConfigureAwait(false);
        return positions;
    }

    public override async Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(asset);
        using var doc = await Rest.WalletAsync(asset, cancellationToken).ConfigureAwait(false);
        var account = BybitParsers.List(doc.RootElement).FirstOrDefault();
        return account.ValueKind == JsonValueKind.Object ? BybitParsers.ParseCoinBalance(account, asset) : 0m;
    }

    public override async Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default)
    {
        var ticker = await TickerAsync(symbol, cancellationToken).ConfigureAwait(false);
        return ticker.LastPrice;
    }

    public override async Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default)
    {
        KlineInterval.ToTimeSpan(interval);
        var bybitInterval = BybitParsers.FormatInterval(interval);
        VenueJson.RequireLimit(limit, 1000);
        return await Rest.KlinesAsync(symbol, interval, bybitInterval, limit, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        using var doc = await Rest.TickersAsync(symbol, cancellationToken).ConfigureAwait(false);
        var item = BybitParsers.List(doc.RootElement).FirstOrDefault();
        return item.ValueKind == JsonValueKind.Object
            ? BybitParsers.ParseFunding(item, Clock.Now)
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"bybit has no ticker for '{symbol}'");
    }

    public override async Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.TickersAsync(null, cancellationToken).ConfigureAwait(false);
        var now = Clock.Now;
        return [.. BybitParsers.List(doc.RootElement).Select(i => BybitParsers.ParseFunding(i, now))];
    }

    public override async Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireLimit(limit, 200);
        return await Rest.FundingHistoryAsync(symbol, limit, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.TickersAsync(null, cancellationToken).ConfigureAwait(false);
        var now = Clock.Now;
        return [.. BybitParsers.List(doc.RootElement).Select(i => BybitParsers.ParseTicker(i, now))];
    }

    public override async Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await TickerAsync(symbol, cancellationToken).ConfigureAwait(false)).OpenInterest;

    protected override IAsyncEnumerable<PriceChange> StreamPricesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken) =>
        MarketStream.SubscribePricesAsync(symbols, cancellationToken);

    protected override IAsyncEnumerable<Candle> StreamKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken)
    {
        KlineInterval.ToTimeSpan(interval);
        return MarketStream.SubscribeKlinesAsync(symbols, BybitParsers.FormatInterval(interval), cancellationToken);
    }

    protected override IAsyncEnumerable<FundingRate> StreamFundingAsync(string symbol, CancellationToken cancellationToken) =>
        MarketStream.SubscribeFundingAsync(symbol, cancellationToken);

    /// <summary>
    /// Orders per batch call: at most <see cref="BatchSize"/>, and no more than the batch budget lets through in one
    /// window, since the batch endpoints are charged per order and the items past the allowance fail.
    /// </summary>
    private int BatchChunk(BybitEndpoint endpoint) =>
        Math.Clamp((int)Math.Floor(Rest.RateLimits.Limit(BybitRateLimits.Rule(endpoint)) * Rest.RateLimits.SafetyFraction), 1, BatchSize);

    private async Task<Ticker> TickerAsync(string symbol, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        using var doc = await Rest.TickersAsync(symbol, cancellationToken).ConfigureAwait(false);
        var item = BybitParsers.List(doc.RootElement).FirstOrDefault();
        return item.ValueKind == JsonValueKind.Object
            ? BybitParsers.ParseTicker(item, Clock.Now)
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"bybit has no ticker for '{symbol}'");
    }

    protected override async Task<IReadOnlyList<SymbolRules>> FetchRulesAsync(CancellationToken cancellationToken)
    {
        var rules = new List<SymbolRules>();
        await VenuePaging.ByCursorAsync(async (cursor, ct) =>
        {
            using var doc = await Rest.InstrumentsAsync(cursor, ct).ConfigureAwait(false);
            rules.AddRange(BybitParsers.List(doc.RootElement).Where(BybitParsers.IsTradingPerpetual).Select(BybitParsers.ParseInstrument));
            return BybitParsers.NextCursor(doc.RootElement);
        }, cancellationToken).ConfigureAwait(false);
        return rules;
    }
}
