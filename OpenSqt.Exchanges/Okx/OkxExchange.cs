using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX v5 USDT perpetual swaps, instType SWAP (https://www.okx.com/docs-v5/en/): every <see cref="IExchange"/> call
/// over REST through the shared signed client, orders, account and positions over the private WebSocket, tickers over
/// the public one and candles over the business one. Symbols are <c>BTC-USDT-SWAP</c> on the wire and sizes are
/// contracts (<c>ctVal</c> base units each), converted both ways here. Net position mode only. A place is answered
/// from OKX's acknowledgement; a short read-back refines it (a post-only order that would have crossed comes back
/// canceled with <c>cancelSource</c> 31 and is reported as <see cref="ExchangeErrorKind.PostOnlyRejected"/>), and
/// whatever happens to the read-back (429, 5xx, timeout, not yet visible, no budget left) the accepted order is
/// reported as accepted, never as refused.
/// </summary>
internal sealed partial class OkxExchange : VenueExchange<OkxOptions, OkxRestClient>
{
    public const string VenueName = OkxParsers.Venue;
    public const int BatchSize = 20;
    private int _unknownValues;
    private IReadOnlyDictionary<string, OkxInstrument> _instruments = new Dictionary<string, OkxInstrument>();

    public OkxExchange(IOptions<OkxOptions> options, VenueCredentials credentials, TimeProvider time, ILoggerFactory? loggerFactory = null, VenueMetrics? metrics = null, HttpClient? http = null)
        : base(VenueName, options.Value, credentials, needsPassphrase: true, time, loggerFactory, metrics, http)
    {
        Rest = new OkxRestClient(Http, Options, credentials, Clock, time, Logger, Metrics);
        UserStream = new OkxUserStream(Options, credentials, Clock, ContractSizesAsync, time, Logger, Metrics);
        MarketStream = new OkxMarketStream("market", Options.WsPublicUri, Options, time, Logger, Metrics);
        BusinessStream = new OkxMarketStream("business", Options.WsBusinessUri, Options, time, Logger, Metrics);
        UseStreams(UserStream, ("market", MarketStream), ("business", BusinessStream));
    }

    public override bool IsUnifiedMargin => true;

    public override OkxRestClient Rest { get; }

    public OkxUserStream UserStream { get; }

    public OkxMarketStream MarketStream { get; }

    public OkxMarketStream BusinessStream { get; }

    /// <summary>Items skipped because OKX sent an enum value this connector does not know (REST answers and the order stream).</summary>
    public int UnknownValuesSkipped => Volatile.Read(ref _unknownValues) + UserStream.UnknownValuesSkipped;

    protected override TimeSpan RulesCacheDuration => Options.ExchangeInfoCacheDuration;

    public override async Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var instrument = await InstrumentAsync(request.Symbol, cancellationToken).ConfigureAwait(false);
        var body = VenueJson.Write(w => WriteOrder(w, request, instrument));
        using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/api/v5/trade/order", "place", OkxRateLimits.Call(OkxEndpoint.PlaceOrder), body), cancellationToken).ConfigureAwait(false);
        var (orderId, _, error) = OkxParsers.ParseItemResult(OkxParsers.Data(doc.RootElement).First());
        if (error is not null)
        {
            throw error;
        }

        // sCode 0 means OKX took the order; without its id only the client id can find it.
        var id = orderId ?? throw new ExchangeException(ExchangeErrorKind.UnknownOutcome,
            $"okx accepted order {request.ClientOrderId} without an ordId; look it up by client id");
        return await Rest.ReadBackAsync(request, id, instrument.ContractSize, Options.PlaceReadBackTimeout, SkipUnknown, cancellationToken).ConfigureAwait(false)
            ?? Accepted(request, id);
    }

    public override Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default) =>
        VenueBatch.PlaceAsync(VenueName, requests, BatchSize, async (request, ct) =>
        {
            var instrument = await InstrumentAsync(request.Symbol, ct).ConfigureAwait(false);
            VenueJson.Write(w => WriteOrder(w, request, instrument));
            return instrument;
        }, async (items, ct) =>
        {
            var body = VenueJson.Write(w =>
            {
                w.WriteStartArray();
                foreach (var (request, instrument) in items)
                {
                    WriteOrder(w, request, instrument);
                }

                w.WriteEndArray();
            });
            using var doc = await Rest.GetJsonAsync(VenueRequest.Trade(HttpMethod.Post, "/api/v5/trade/batch-orders", "batchPlace", OkxRateLimits.BatchPlaceCost(items.Count), body), ct).ConfigureAwait(false);
            return [.. OkxParsers.Data(doc.RootElement).Take(items.Count).Select((item, k) => OkxParsers.ParseItemResult(item) is var (orderId, _, error) && error is null && orderId is not null
                ? BatchOutcome.Placed(Accepted(items[k].Request, orderId))
                : BatchOutcome.Refused(error ?? new ExchangeException(ExchangeErrorKind.Internal, "okx accepted a batch item without an ordId")))];
        }, cancellationToken);

    /// <summary>
    /// Cancels one order. OK when it is now cancelled or was already finished; <see cref="ExchangeErrorKind.NotFound"/>
    /// when OKX does not know it. OKX answers 51400 alike for filled, cancelled and unknown orders, so that answer is
    /// settled with a query of the order.
    /// </summary>
    public override async Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        if (await Rest.CancelAsync(symbol, order, cancellationToken).ConfigureAwait(false) is { } error
            && await SettleCancelErrorAsync(symbol, order, error, cancellationToken).ConfigureAwait(false) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>
    /// What a refused cancel means: null when the order is finished (51401/51402, or 51400 with the order found
    /// filled or cancelled), <see cref="ExchangeErrorKind.NotFound"/> when OKX does not know the order, the venue's
    /// error otherwise. A 51400 whose query fails stays <see cref="ExchangeErrorKind.UnknownOutcome"/>.
    /// </summary>
    private async Task<ExchangeException?> SettleCancelErrorAsync(string symbol, OrderRef order, ExchangeException error, CancellationToken cancellationToken)
    {
        if (error.VenueCode is OkxErrors.CancelAlreadyCanceled or OkxErrors.CancelAlreadyFilled)
        {
            OkxLog.CancelFoundFinished(Logger, order.ToString(), error.VenueCode);
            return null;
        }

        return error.VenueCode != OkxErrors.CancelFailed ? error : await VenueBatch.Verdict(() => SettleRefusedCancelAsync(symbol, order, error, async ct =>
        {
            try
            {
                return await GetOrderAsync(symbol, order, ct).ConfigureAwait(false);
            }
            catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
            {
                return null;
            }
            catch (ExchangeException ex)
            {
                throw new ExchangeException(ExchangeErrorKind.UnknownOutcome,
                    $"okx answered 51400 to the cancel of {order} and the order could not be read ({ex.Message}); its state is unknown", ex, venueCode: OkxErrors.CancelFailed);
            }
        }, ExchangeErrorKind.Unavailable, cancellationToken)).ConfigureAwait(false);
    }

    public override Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default) =>
        VenueBatch.CancelAsync(exchangeOrderIds, BatchSize, (chunk, ct) => Rest.BatchCancelAsync(symbol, chunk, ct),
            (id, error, ct) => SettleCancelErrorAsync(symbol, OrderRef.ByExchangeId(id), error, ct), cancellationToken);

    /// <summary>OKX has no cancel-all for swaps outside MMP: the working orders are read and cancelled in batches.</summary>
    public override async Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        var open = await GetOpenOrdersAsync(symbol, cancellationToken).ConfigureAwait(false);
        if (open.Count == 0)
        {
            return;
        }

        var errors = await BatchCancelOrdersAsync(symbol, [.. open.Select(o => o.ExchangeOrderId)], cancellationToken).ConfigureAwait(false);
        if (errors.Count > 0)
        {
            throw new ExchangeException(errors[0].Kind, $"okx cancel-all left {errors.Count} order(s) working: {errors[0].Message}");
        }
    }

    public override async Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        var instrument = await InstrumentAsync(symbol, cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.GetJsonAsync(OkxRestClient.OrderDetailRequest(symbol, order), cancellationToken).ConfigureAwait(false);
        var item = OkxParsers.Data(doc.RootElement).FirstOrDefault();
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new ExchangeException(ExchangeErrorKind.NotFound, $"okx has no order {order} on {symbol}", venueCode: OkxErrors.OrderNotExist);
        }

        try
        {
            return OkxParsers.ParseOrder(item, instrument.ContractSize);
        }
        catch (OkxUnknownValueException ex)
        {
            SkipUnknown("order " + order, ex);
            if (ex.Mapped is { } mapped)
            {
                // Only the order type, time in force or state is new: the order is answered with them mapped (a state
                // as OrderStatus.Unknown).
                return mapped;
            }

            throw;
        }
    }

    public override async Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        var instruments = await InstrumentsAsync(cancellationToken).ConfigureAwait(false);
        var orders = new List<Order>();
        await VenuePaging.ByCursorAsync(async (after, ct) =>
        {
            using var doc = await Rest.PendingOrdersAsync(symbol, after, ct).ConfigureAwait(false);
            var page = OkxParsers.Data(doc.RootElement).ToArray();
            OkxParsers.AddOrders(page, instruments, orders, SkipUnknown);
            return page.Length < 100 ? null : page[^1].GetRequiredString("ordId");
        }, cancellationToken).ConfigureAwait(false);
        return orders;
    }

    public override async Task<Account> GetAccountAsync(CancellationToken cancellationToken = default)
    {
        var positions = GetPositionsAsync(null, cancellationToken);
        using var doc = await BalanceAsync(null, cancellationToken).ConfigureAwait(false);
        var account = OkxParsers.Data(doc.RootElement).FirstOrDefault();
        if (account.ValueKind != JsonValueKind.Object)
        {
            throw new ExchangeException(ExchangeErrorKind.Internal, "okx answered no account balance");
        }

        return OkxParsers.ParseAccount(account, await positions.ConfigureAwait(false));
    }

    public override async Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        var instruments = await InstrumentsAsync(cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.PositionsAsync(symbol, cancellationToken).ConfigureAwait(false);
        return OkxParsers.ParsePositions(OkxParsers.Data(doc.RootElement), instruments);
    }

    public override async Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(asset);
        using var doc = await BalanceAsync(asset, cancellationToken).ConfigureAwait(false);
        var account = OkxParsers.Data(doc.RootElement).FirstOrDefault();
        return account.ValueKind == JsonValueKind.Object ? OkxParsers.ParseCashBalance(account, asset) : 0m;
    }

    public override async Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await TickerAsync(symbol, cancellationToken).ConfigureAwait(false)).LastPrice;

    public override async Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default)
    {
        KlineInterval.ToTimeSpan(interval);
        var bar = OkxParsers.FormatBar(interval);
        VenueJson.RequireLimit(limit, 300);
        return await Rest.CandlesAsync(symbol, interval, bar, limit, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/api/v5/public/funding-rate", "funding", OkxRateLimits.Call(OkxEndpoint.FundingRate), [KeyValuePair.Create("instId", OkxParsers.Symbols.ToVenue(symbol))]), cancellationToken).ConfigureAwait(false);
        var item = OkxParsers.Data(doc.RootElement).FirstOrDefault();
        return item.ValueKind == JsonValueKind.Object ? OkxParsers.ParseFunding(item) : throw new ExchangeException(ExchangeErrorKind.NotFound, $"okx has no funding rate for '{symbol}'");
    }

    /// <summary>
    /// Every listed swap's funding in one call: <c>instId=ANY</c> "to return the funding rate info of all swap
    /// symbols" (https://www.okx.com/docs-v5/en/#public-data-rest-api-get-funding-rate). Swaps this connector does not
    /// list (coin-margined, delisted) are left out.
    /// </summary>
    public override async Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default)
    {
        var instruments = await InstrumentsAsync(cancellationToken).ConfigureAwait(false);
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/api/v5/public/funding-rate", "fundingAll", OkxRateLimits.Call(OkxEndpoint.FundingRate), [KeyValuePair.Create("instId", "ANY")]), cancellationToken).ConfigureAwait(false);
        return [.. OkxParsers.Data(doc.RootElement)
            .Where(i => i.GetStringOrNull("instId") is { } instId && instId.EndsWith("-SWAP", StringComparison.Ordinal) && instruments.ContainsKey(OkxParsers.Symbols.FromVenue(instId)))
            .Select(OkxParsers.ParseFunding)];
    }

    public override async Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireLimit(limit, 100);

        return await Rest.FundingHistoryAsync(symbol, limit, cancellationToken).ConfigureAwait(false);
    }

    public override async Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/api/v5/market/tickers", "tickers", OkxRateLimits.Call(OkxEndpoint.Tickers), [KeyValuePair.Create("instType", OkxParsers.InstType)]), cancellationToken).ConfigureAwait(false);
        return [.. OkxParsers.Data(doc.RootElement).Where(i => i.GetRequiredString("instId").EndsWith("-USDT-SWAP", StringComparison.Ordinal)).Select(OkxParsers.ParseTicker)];
    }

    public override async Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/api/v5/public/open-interest", "openInterest", OkxRateLimits.Call(OkxEndpoint.OpenInterest), [KeyValuePair.Create("instType", OkxParsers.InstType), KeyValuePair.Create("instId", OkxParsers.Symbols.ToVenue(symbol))]), cancellationToken).ConfigureAwait(false);
        var item = OkxParsers.Data(doc.RootElement).FirstOrDefault();
        return item.ValueKind == JsonValueKind.Object ? item.GetDecimal("oiCcy") : throw new ExchangeException(ExchangeErrorKind.NotFound, $"okx has no open interest for '{symbol}'");
    }

    protected override IAsyncEnumerable<PriceChange> StreamPricesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken) =>
        MarketStream.SubscribeAsync(
        [.. symbols.Select(s => new OkxChannel("tickers", OkxParsers.Symbols.ToVenue(s)))],
        (_, item) => new PriceChange(OkxParsers.Symbols.FromVenue(item.GetRequiredString("instId")), item.GetDecimal("last"), OkxParsers.Time(item, "ts"), VenueName),
        cancellationToken);

    protected override IAsyncEnumerable<Candle> StreamKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken)
    {
        KlineInterval.ToTimeSpan(interval);
        var channel = "candle" + OkxParsers.FormatBar(interval);
        return BusinessStream.SubscribeAsync(
            [.. symbols.Select(s => new OkxChannel(channel, OkxParsers.Symbols.ToVenue(s)))],
            (arg, row) => OkxParsers.ParseCandle(row, OkxParsers.Symbols.FromVenue(arg.InstId), interval),
            cancellationToken);
    }

    protected override IAsyncEnumerable<FundingRate> StreamFundingAsync(string symbol, CancellationToken cancellationToken) =>
        MarketStream.SubscribeAsync([new OkxChannel("funding-rate", OkxParsers.Symbols.ToVenue(symbol))], (_, item) => OkxParsers.ParseFunding(item), cancellationToken);

    private void WriteOrder(Utf8JsonWriter w, OrderRequest request, OkxInstrument instrument) =>
        OkxParsers.WriteOrder(w, request, instrument.ContractSize, instrument.Lot, Options.TradeMode);

    /// <summary>An item skipped for an enum value this connector does not know: logged and counted, the rest stands.</summary>
    private void SkipUnknown(string item, OkxUnknownValueException ex)
    {
        Interlocked.Increment(ref _unknownValues);
        Metrics.RecordError(VenueName, "unknownValue", ExchangeErrorKind.Internal);
        OkxLog.UnknownValueSkipped(Logger, item, ex.Field, ex.Value);
    }

    private Task<JsonDocument> BalanceAsync(string? ccy, CancellationToken cancellationToken) =>
        Rest.GetJsonAsync(VenueRequest.Get("/api/v5/account/balance", "balance", OkxRateLimits.Call(OkxEndpoint.Balance), ccy is null ? [] : [KeyValuePair.Create("ccy", ccy)], signed: true), cancellationToken);

    private async Task<Ticker> TickerAsync(string symbol, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/api/v5/market/ticker", "ticker", OkxRateLimits.Call(OkxEndpoint.Ticker), [KeyValuePair.Create("instId", OkxParsers.Symbols.ToVenue(symbol))]), cancellationToken).ConfigureAwait(false);
        var item = OkxParsers.Data(doc.RootElement).FirstOrDefault();
        return item.ValueKind == JsonValueKind.Object ? OkxParsers.ParseTicker(item) : throw new ExchangeException(ExchangeErrorKind.NotFound, $"okx has no ticker for '{symbol}'");
    }

    private async Task<OkxInstrument> InstrumentAsync(string symbol, CancellationToken cancellationToken) =>
        (await InstrumentsAsync(cancellationToken).ConfigureAwait(false)).TryGetValue(symbol, out var instrument)
            ? instrument
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"symbol '{symbol}' is not a live USDT swap on okx");

    /// <summary>Contract values by OKX instrument id, for the private stream.</summary>
    private async Task<IReadOnlyDictionary<string, decimal>> ContractSizesAsync(CancellationToken cancellationToken) =>
        (await InstrumentsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(i => OkxParsers.Symbols.ToVenue(i.Key), i => i.Value.ContractSize, StringComparer.Ordinal);

    private async Task<IReadOnlyDictionary<string, OkxInstrument>> InstrumentsAsync(CancellationToken cancellationToken)
    {
        await RulesAsync(cancellationToken).ConfigureAwait(false);
        return Volatile.Read(ref _instruments);
    }

    protected override async Task<IReadOnlyList<SymbolRules>> FetchRulesAsync(CancellationToken cancellationToken)
    {
        using var doc = await Rest.GetJsonAsync(VenueRequest.Get("/api/v5/public/instruments", "instruments", OkxRateLimits.Call(OkxEndpoint.Instruments), [KeyValuePair.Create("instType", OkxParsers.InstType)]), cancellationToken).ConfigureAwait(false);
        var instruments = OkxParsers.ParseInstruments(OkxParsers.Data(doc.RootElement));
        Volatile.Write(ref _instruments, instruments);
        return [.. instruments.Values.Select(i => i.Rules)];
    }
}
