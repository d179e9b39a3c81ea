using Grpc.Core;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.ExchangeConnector.Diagnostics;
using OpenSqt.ExchangeConnector.Metadata;
using OpenSqt.ExchangeConnector.Safety;
using OpenSqt.ExchangeConnector.Streaming;
using W = OpenSqt.Contracts.Wire;
using static OpenSqt.ExchangeConnector.Services.RequestValidation;

namespace OpenSqt.ExchangeConnector.Services;

/// <summary>Section <c>Streaming</c>: the per-subscriber buffers of the fan-out.</summary>
public sealed class StreamingOptions
{
    public const string SectionName = "Streaming";

    /// <summary>Orders, account and position updates a subscriber may fall behind before it is ended.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 1_000_000)]
    public int LosslessCapacity { get; set; } = 10_000;

    /// <summary>Distinct keys (symbol, candle) a slow price or kline subscriber keeps; older ones are dropped.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 100_000)]
    public int LatestCapacity { get; set; } = 1_024;
}

/// <summary>
/// The v1 ExchangeService over one <see cref="IExchange"/>: validate, call the venue, map the answer. Venue errors
/// become gRPC status codes in <see cref="ConnectorInterceptor"/>. Streams are shared through <see cref="StreamHub"/>.
/// </summary>
public sealed partial class ExchangeGrpcService(
    IExchange exchange,
    ExchangeMetadataCache metadata,
    StreamHub hub,
    ConnectorSafety safety,
    IOptions<StreamingOptions> streaming,
    ConnectorMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<ExchangeGrpcService> logger) : W.ExchangeService.ExchangeServiceBase
{
    private readonly StreamingOptions _streaming = streaming.Value;

    public override Task<W.GetNameResponse> GetName(W.GetNameRequest request, ServerCallContext context) =>
        Task.FromResult(new W.GetNameResponse { Name = exchange.Name });

    public override Task<W.GetTypeResponse> GetType(W.GetTypeRequest request, ServerCallContext context) =>
        Task.FromResult(new W.GetTypeResponse
        {
            Type = exchange.Type == ExchangeType.Spot ? W.ExchangeType.Spot : W.ExchangeType.Futures,
            IsUnifiedMargin = exchange.IsUnifiedMargin,
        });

    public override Task<W.Order> PlaceOrder(W.PlaceOrderRequest request, ServerCallContext context) =>
        PlaceAsync(request, context.CancellationToken);

    /// <summary>A place, from the unary call or the order entry stream.</summary>
    private async Task<W.Order> PlaceAsync(W.PlaceOrderRequest request, CancellationToken cancellationToken)
    {
        var order = ToOrderRequest(request);
        await KnownSymbol(order.Symbol, cancellationToken).ConfigureAwait(false);
        await safety.EnsureArmedAsync(order.Symbol, cancellationToken).ConfigureAwait(false);
        var placed = await exchange.PlaceOrderAsync(order, cancellationToken).ConfigureAwait(false);
        return placed.ToWire();
    }

    public override async Task<W.BatchPlaceOrdersResponse> BatchPlaceOrders(W.BatchPlaceOrdersRequest request, ServerCallContext context)
    {
        if (request.Orders.Count == 0)
        {
            throw Invalid("orders must hold at least one order");
        }

        if (request.Orders.Count > MaxBatchOrders)
        {
            throw Invalid($"orders holds {request.Orders.Count} orders; at most {MaxBatchOrders} per batch");
        }

        var orders = request.Orders.Select((o, i) => ToOrderRequest(o, $"orders[{i}].")).ToArray();
        foreach (var symbol in orders.Select(o => o.Symbol).Distinct())
        {
            await KnownSymbol(symbol, context).ConfigureAwait(false);
            await safety.EnsureArmedAsync(symbol, context.CancellationToken).ConfigureAwait(false);
        }

        var result = await exchange.BatchPlaceOrdersAsync(orders, context.CancellationToken).ConfigureAwait(false);
        var response = new W.BatchPlaceOrdersResponse { AllSuccess = result.AllSuccess };
        response.Orders.AddRange(result.Orders.Select(o => o.ToWire()));
        response.Errors.AddRange(result.Errors.Select(e => e.ToWire()));
        return response;
    }

    public override Task<W.CancelOrderResponse> CancelOrder(W.CancelOrderRequest request, ServerCallContext context) =>
        CancelAsync(request, context.CancellationToken);

    /// <summary>A cancel, from the unary call or the order entry stream.</summary>
    private async Task<W.CancelOrderResponse> CancelAsync(W.CancelOrderRequest request, CancellationToken cancellationToken)
    {
        var symbol = await KnownSymbol(request.Symbol, cancellationToken).ConfigureAwait(false);
        RejectMargin(request.UseMargin);
        var order = ToOrderRef(request.OrderId, request.ExchangeOrderId, request.ClientOrderId);
        await exchange.CancelOrderAsync(symbol, order, cancellationToken).ConfigureAwait(false);
        return new W.CancelOrderResponse();
    }

    public override async Task<W.BatchCancelOrdersResponse> BatchCancelOrders(W.BatchCancelOrdersRequest request, ServerCallContext context)
    {
        var symbol = await KnownSymbol(request.Symbol, context).ConfigureAwait(false);
        RejectMargin(request.UseMargin);
        var ids = new List<string>();
        for (var i = 0; i < request.OrderIds.Count; i++)
        {
            ids.Add(request.OrderIds[i] > 0
                ? request.OrderIds[i].ToString(System.Globalization.CultureInfo.InvariantCulture)
                : throw Invalid($"order_ids[{i}] {request.OrderIds[i]} must be positive"));
        }

        for (var i = 0; i < request.ExchangeOrderIds.Count; i++)
        {
            ids.Add(!string.IsNullOrWhiteSpace(request.ExchangeOrderIds[i])
                ? request.ExchangeOrderIds[i]
                : throw Invalid($"exchange_order_ids[{i}] must not be empty"));
        }

        if (ids.Count == 0)
        {
            throw Invalid("order_ids or exchange_order_ids must name at least one order");
        }

        var errors = await exchange.BatchCancelOrdersAsync(symbol, ids.Distinct().ToArray(), context.CancellationToken).ConfigureAwait(false);
        var response = new W.BatchCancelOrdersResponse();
        response.Errors.AddRange(errors.Select(e => e.ToWire()));
        return response;
    }

    public override async Task<W.CancelAllOrdersResponse> CancelAllOrders(W.CancelAllOrdersRequest request, ServerCallContext context)
    {
        var symbol = await KnownSymbol(request.Symbol, context).ConfigureAwait(false);
        RejectMargin(request.UseMargin);
        await exchange.CancelAllOrdersAsync(symbol, context.CancellationToken).ConfigureAwait(false);
        return new W.CancelAllOrdersResponse();
    }

    public override async Task<W.Order> GetOrder(W.GetOrderRequest request, ServerCallContext context)
    {
        var symbol = await KnownSymbol(request.Symbol, context).ConfigureAwait(false);
        RejectMargin(request.UseMargin);
        var order = ToOrderRef(request.OrderId, request.ExchangeOrderId, request.ClientOrderId);
        return (await exchange.GetOrderAsync(symbol, order, context.CancellationToken).ConfigureAwait(false)).ToWire();
    }

    public override async Task<W.GetOpenOrdersResponse> GetOpenOrders(W.GetOpenOrdersRequest request, ServerCallContext context)
    {
        var symbol = await OptionalSymbol(request.Symbol, context).ConfigureAwait(false);
        RejectMargin(request.UseMargin);
        var orders = await exchange.GetOpenOrdersAsync(symbol, context.CancellationToken).ConfigureAwait(false);
        var response = new W.GetOpenOrdersResponse();
        response.Orders.AddRange(orders.Select(o => o.ToWire()));
        return response;
    }

    public override async Task<W.Account> GetAccount(W.GetAccountRequest request, ServerCallContext context) =>
        (await exchange.GetAccountAsync(context.CancellationToken).ConfigureAwait(false)).ToWire();

    public override async Task<W.GetPositionsResponse> GetPositions(W.GetPositionsRequest request, ServerCallContext context)
    {
        var symbol = await OptionalSymbol(request.Symbol, context).ConfigureAwait(false);
        var positions = await exchange.GetPositionsAsync(symbol, context.CancellationToken).ConfigureAwait(false);
        var response = new W.GetPositionsResponse();
        response.Positions.AddRange(positions.Select(p => p.ToWire()));
        return response;
    }

    public override async Task<W.GetBalanceResponse> GetBalance(W.GetBalanceRequest request, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(request.Asset))
        {
            throw Invalid("asset is required, for example USDT");
        }

        var balance = await exchange.GetBalanceAsync(request.Asset.ToUpperInvariant(), context.CancellationToken).ConfigureAwait(false);
        return new W.GetBalanceResponse { Balance = balance.ToWire() };
    }

    public override async Task<W.GetLatestPriceResponse> GetLatestPrice(W.GetLatestPriceRequest request, ServerCallContext context)
    {
        var symbol = await KnownSymbol(request.Symbol, context).ConfigureAwait(false);
        var price = await exchange.GetLatestPriceAsync(symbol, context.CancellationToken).ConfigureAwait(false);
        return new W.GetLatestPriceResponse { Price = price.ToWire() };
    }

    public override async Task<W.GetTickersResponse> GetTickers(W.GetTickersRequest request, ServerCallContext context)
    {
        var tickers = await exchange.GetTickersAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new W.GetTickersResponse();
        response.Tickers.AddRange(tickers.Select(t => t.ToWire()));
        return response;
    }

    public override async Task<W.GetOpenInterestResponse> GetOpenInterest(W.GetOpenInterestRequest request, ServerCallContext context)
    {
        var symbol = await KnownSymbol(request.Symbol, context).ConfigureAwait(false);
        var oi = await exchange.GetOpenInterestAsync(symbol, context.CancellationToken).ConfigureAwait(false);
        return new W.GetOpenInterestResponse { OpenInterest = oi.ToWire() };
    }

    public override async Task<W.GetHistoricalKlinesResponse> GetHistoricalKlines(W.GetHistoricalKlinesRequest request, ServerCallContext context)
    {
        var symbol = await KnownSymbol(request.Symbol, context).ConfigureAwait(false);
        var interval = RequireInterval(request.Interval);
        var limit = RequireLimit(request.Limit, 1500);
        var candles = await exchange.GetHistoricalKlinesAsync(symbol, interval, limit, context.CancellationToken).ConfigureAwait(false);
        var response = new W.GetHistoricalKlinesResponse();
        response.Candles.AddRange(candles.Select(c => c.ToWire()));
        return response;
    }

    public override async Task<W.FetchExchangeInfoResponse> FetchExchangeInfo(W.FetchExchangeInfoRequest request, ServerCallContext context)
    {
        var all = await metadata.GetAllAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new W.FetchExchangeInfoResponse();
        if (string.IsNullOrEmpty(request.Symbol))
        {
            response.Symbols.AddRange(all.Values.OrderBy(r => r.Symbol, StringComparer.Ordinal).Select(r => r.ToWire()));
        }
        else
        {
            response.Symbols.Add((await metadata.GetAsync(RequireSymbol(request.Symbol), context.CancellationToken).ConfigureAwait(false)).ToWire());
        }

        return response;
    }

    public override async Task<W.SymbolInfo> GetSymbolInfo(W.GetSymbolInfoRequest request, ServerCallContext context) =>
        (await metadata.GetAsync(RequireSymbol(request.Symbol), context.CancellationToken).ConfigureAwait(false)).ToWire();

    public override async Task<W.GetSymbolsResponse> GetSymbols(W.GetSymbolsRequest request, ServerCallContext context)
    {
        var all = await metadata.GetAllAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new W.GetSymbolsResponse();
        response.Symbols.AddRange(all.Keys.Order(StringComparer.Ordinal));
        return response;
    }

    public override async Task<W.FundingRate> GetFundingRate(W.GetFundingRateRequest request, ServerCallContext context)
    {
        var symbol = await KnownSymbol(request.Symbol, context).ConfigureAwait(false);
        return (await exchange.GetFundingRateAsync(symbol, context.CancellationToken).ConfigureAwait(false)).ToWire();
    }

    public override async Task<W.GetFundingRatesResponse> GetFundingRates(W.GetFundingRatesRequest request, ServerCallContext context)
    {
        var rates = await exchange.GetFundingRatesAsync(context.CancellationToken).ConfigureAwait(false);
        var response = new W.GetFundingRatesResponse();
        response.Rates.AddRange(rates.Select(r => r.ToWire()));
        return response;
    }

    public override async Task<W.GetHistoricalFundingRatesResponse> GetHistoricalFundingRates(W.GetHistoricalFundingRatesRequest request, ServerCallContext context)
    {
        var symbol = await KnownSymbol(request.Symbol, context).ConfigureAwait(false);
        var limit = RequireLimit(request.Limit, 1000);
        var rates = await exchange.GetHistoricalFundingRatesAsync(symbol, limit, context.CancellationToken).ConfigureAwait(false);
        var response = new W.GetHistoricalFundingRatesResponse();
        response.Rates.AddRange(rates.Select(r => r.ToWire()));
        return response;
    }

    public override async Task SubscribeFundingRate(W.SubscribeFundingRateRequest request, IServerStreamWriter<W.FundingUpdate> responseStream, ServerCallContext context)
    {
        var symbol = await KnownSymbol(request.Symbol, context).ConfigureAwait(false);
        using var subscription = hub.Subscribe("funding", symbol, ct => exchange.SubscribeFundingRateAsync(symbol, ct),
            new LatestValueBuffer<FundingRate>(f => f.Symbol, _streaming.LatestCapacity));
        await Pump(subscription, responseStream, context, f => f.ToWireUpdate()).ConfigureAwait(false);
    }

    public override async Task SubscribePrice(W.SubscribePriceRequest request, IServerStreamWriter<W.PriceChange> responseStream, ServerCallContext context)
    {
        var symbols = RequireSymbols(request.Symbols);
        foreach (var symbol in symbols)
        {
            await KnownSymbol(symbol, context).ConfigureAwait(false);
        }

        using var subscription = hub.Subscribe("price", string.Join(',', symbols), ct => exchange.SubscribePriceAsync(symbols, ct),
            new LatestValueBuffer<PriceChange>(p => p.Symbol, _streaming.LatestCapacity));
        await Pump(subscription, responseStream, context, p => p.ToWire()).ConfigureAwait(false);
    }

    public override async Task SubscribeOrders(W.SubscribeOrdersRequest request, IServerStreamWriter<W.OrderUpdate> responseStream, ServerCallContext context)
    {
        using var subscription = hub.Subscribe("orders", "", ct => exchange.SubscribeOrdersAsync(ct),
            new LosslessBuffer<OrderUpdate>("orders", _streaming.LosslessCapacity));
        await Pump(subscription, responseStream, context, u => u.ToWire()).ConfigureAwait(false);
    }

    public override async Task SubscribeKlines(W.SubscribeKlinesRequest request, IServerStreamWriter<W.Candle> responseStream, ServerCallContext context)
    {
        var symbols = RequireSymbols(request.Symbols);
        var interval = RequireInterval(request.Interval);
        foreach (var symbol in symbols)
        {
            await KnownSymbol(symbol, context).ConfigureAwait(false);
        }

        // A closed candle and the next open one have different keys, so a slow subscriber never loses a close.
        using var subscription = hub.Subscribe("klines", interval + ":" + string.Join(',', symbols), ct => exchange.SubscribeKlinesAsync(symbols, interval, ct),
            new LatestValueBuffer<Candle>(c => c.Symbol + "@" + c.OpenTime.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), _streaming.LatestCapacity));
        await Pump(subscription, responseStream, context, c => c.ToWire()).ConfigureAwait(false);
    }

    public override async Task SubscribeAccount(W.SubscribeAccountRequest request, IServerStreamWriter<W.Account> responseStream, ServerCallContext context)
    {
        using var subscription = hub.Subscribe("account", "", ct => exchange.SubscribeAccountAsync(ct),
            new LosslessBuffer<Account>("account", _streaming.LosslessCapacity));
        await Pump(subscription, responseStream, context, a => a.ToWire()).ConfigureAwait(false);
    }

    public override async Task SubscribePositions(W.SubscribePositionsRequest request, IServerStreamWriter<W.Position> responseStream, ServerCallContext context)
    {
        var symbol = await OptionalSymbol(request.Symbol, context).ConfigureAwait(false);
        using var subscription = hub.Subscribe("positions", symbol ?? "", ct => exchange.SubscribePositionsAsync(symbol, ct),
            new LosslessBuffer<Position>("positions", _streaming.LosslessCapacity));
        await Pump(subscription, responseStream, context, p => p.ToWire()).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends headers once the upstream is in place (the client's signal that it is subscribed), then copies the
    /// subscriber's buffer to the wire, flushing only when the buffer runs dry.
    /// </summary>
    private static async Task Pump<T, TWire>(Subscription<T> subscription, IServerStreamWriter<TWire> stream, ServerCallContext context, Func<T, TWire> map)
    {
        await context.WriteResponseHeadersAsync([]).ConfigureAwait(false);
        var buffered = new WriteOptions(WriteFlags.BufferHint);
        try
        {
            await foreach (var item in subscription.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
            {
                stream.WriteOptions = subscription.Buffer.HasPending ? buffered : null;
                await stream.WriteAsync(map(item), context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (SubscriberOverflowException ex)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, ex.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private Task<string> KnownSymbol(string? symbol, ServerCallContext context) => KnownSymbol(symbol, context.CancellationToken);

    private async Task<string> KnownSymbol(string? symbol, CancellationToken cancellationToken)
    {
        var checkedSymbol = RequireSymbol(symbol);
        await metadata.GetAsync(checkedSymbol, cancellationToken).ConfigureAwait(false);
        return checkedSymbol;
    }

    private async Task<string?> OptionalSymbol(string? symbol, ServerCallContext context) =>
        string.IsNullOrEmpty(symbol) ? null : await KnownSymbol(symbol, context).ConfigureAwait(false);

    private static void RejectMargin(bool useMargin)
    {
        if (useMargin)
        {
            throw Invalid("use_margin applies to spot margin trading; this connector trades perpetual futures");
        }
    }
}
