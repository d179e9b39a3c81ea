using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Contracts.Remote;

/// <summary>
/// <see cref="IExchange"/> over the connector's gRPC service. Unary calls carry a deadline; failures come back as
/// <see cref="ExchangeException"/> with the kind the connector sent. Streams reconnect and re-subscribe by themselves
/// with exponential backoff and raise <see cref="StreamReconnected"/> after each successful reconnect.
/// Orders are never re-sent automatically: a place call with an unknown outcome is for the caller to resolve by client id.
/// Places and cancels go over one long-lived <c>OrderEntry</c> stream unless configured otherwise (see
/// <see cref="RemoteExchangeOptions.OrderEntry"/>).
/// </summary>
public sealed partial class RemoteExchange : IExchange, IAsyncDisposable
{
    public const string ServiceName = "opensqt.market_maker.v1.ExchangeService";

    private readonly W.ExchangeService.ExchangeServiceClient _client;
    private readonly Health.HealthClient _health;
    private readonly RemoteExchangeOptions _options;
    private readonly ExponentialBackoff _backoff;
    private readonly TimeProvider _time;
    private readonly ILogger<RemoteExchange> _logger;
    private readonly string _where;
    private string? _name;
    private ExchangeType _type = ExchangeType.Futures;
    private bool _isUnified;

    public RemoteExchange(
        W.ExchangeService.ExchangeServiceClient client,
        Health.HealthClient health,
        IOptions<RemoteExchangeOptions> options,
        TimeProvider time,
        ILogger<RemoteExchange> logger,
        string? resolvedAddress = null)
    {
        _client = client;
        _health = health;
        _options = options.Value;
        _backoff = new ExponentialBackoff(_options.InitialBackoff, _options.MaxBackoff);
        _time = time;
        _logger = logger;
        _where = resolvedAddress is null || resolvedAddress == _options.Address
            ? _options.Address
            : $"{_options.Address} ({resolvedAddress})";
    }

    public event EventHandler<StreamReconnectedEventArgs>? StreamReconnected;

    /// <summary>The venue name the connector serves; known after <see cref="ConnectAsync"/>.</summary>
    public string Name => _name ?? "remote";

    public ExchangeType Type => _type;

    public bool IsUnifiedMargin => _isUnified;

    /// <summary>Whether <see cref="ConnectAsync"/> has succeeded.</summary>
    public bool IsConnected => _name is not null;

    /// <summary>
    /// Waits until the connector answers and reports SERVING, retrying with backoff; after the configured number of
    /// attempts it fails with <see cref="ExchangeErrorKind.Unavailable"/>, saying where it looked.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        Exception? last = null;
        for (var attempt = 1; attempt <= _options.MaxConnectAttempts; attempt++)
        {
            try
            {
                var health = await _health.CheckAsync(
                    new HealthCheckRequest { Service = ServiceName },
                    deadline: Deadline(),
                    cancellationToken: cancellationToken);
                if (health.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    var name = await _client.GetNameAsync(new W.GetNameRequest(), deadline: Deadline(), cancellationToken: cancellationToken);
                    var type = await _client.GetTypeAsync(new W.GetTypeRequest(), deadline: Deadline(), cancellationToken: cancellationToken);
                    _type = type.Type == W.ExchangeType.Spot ? ExchangeType.Spot : ExchangeType.Futures;
                    _isUnified = type.IsUnifiedMargin;
                    _name = name.Name;
                    Log.Connected(_logger, _where, _name, attempt);
                    return;
                }

                last = new InvalidOperationException($"health status {health.Status}");
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                last = ex;
            }

            if (attempt == _options.MaxConnectAttempts)
            {
                break;
            }

            var delay = _backoff.Delay(attempt);
            Log.ConnectRetry(_logger, _where, attempt, _options.MaxConnectAttempts, delay, last.Message);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }

        throw new ExchangeException(
            ExchangeErrorKind.Unavailable,
            $"The ExchangeConnector is unreachable at {_where} after {_options.MaxConnectAttempts} attempts: {last?.Message}",
            last);
    }

    private DateTime Deadline() => _time.GetUtcNow().UtcDateTime + _options.CallTimeout;

    private async Task<T> Call<T>(Func<CallOptions, AsyncUnaryCall<T>> call, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await call(new CallOptions(deadline: Deadline(), cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested || ex.StatusCode != StatusCode.Cancelled)
        {
            throw ex.ToExchangeException(what);
        }
    }

    public async Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default)
    {
        var wire = request.ToWire();
        var what = $"place {request.Side} {request.Symbol}";
        if (UsesOrderEntryStream)
        {
            var answer = await EnterAsync(new W.OrderEntryRequest { Place = wire }, what, cancellationToken).ConfigureAwait(false);
            if (answer is not null)
            {
                return answer.Placed.ToDomain();
            }
        }

        var order = await Call(o => _client.PlaceOrderAsync(wire, o), what, cancellationToken).ConfigureAwait(false);
        return order.ToDomain();
    }

    public async Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default)
    {
        var wire = new W.BatchPlaceOrdersRequest();
        wire.Orders.AddRange(requests.Select(r => r.ToWire()));
        var response = await Call(o => _client.BatchPlaceOrdersAsync(wire, o), "batch place", cancellationToken).ConfigureAwait(false);
        return new BatchPlaceResult(
            response.Orders.Select(o => o.ToDomain()).ToArray(),
            response.Errors.Select(e => e.ToDomain()).ToArray());
    }

    public async Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        var request = new W.CancelOrderRequest { Symbol = symbol };
        if (order.ExchangeOrderId is { } id)
        {
            request.OrderId = WireMapper.NumericOrderId(id);
            request.ExchangeOrderId = id;
        }
        else
        {
            request.ClientOrderId = order.ClientOrderId!;
        }

        var what = $"cancel {order}";
        if (UsesOrderEntryStream && await EnterAsync(new W.OrderEntryRequest { Cancel = request }, what, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        await Call(o => _client.CancelOrderAsync(request, o), what, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default)
    {
        var request = new W.BatchCancelOrdersRequest { Symbol = symbol };
        request.ExchangeOrderIds.AddRange(exchangeOrderIds);
        var response = await Call(o => _client.BatchCancelOrdersAsync(request, o), "batch cancel", cancellationToken).ConfigureAwait(false);
        return response.Errors.Select(e => e.ToDomain()).ToArray();
    }

    public async Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default) =>
        await Call(o => _client.CancelAllOrdersAsync(new W.CancelAllOrdersRequest { Symbol = symbol }, o), $"cancel all {symbol}", cancellationToken).ConfigureAwait(false);

    public async Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        var request = new W.GetOrderRequest { Symbol = symbol };
        if (order.ExchangeOrderId is { } id)
        {
            request.OrderId = WireMapper.NumericOrderId(id);
            request.ExchangeOrderId = id;
        }
        else
        {
            request.ClientOrderId = order.ClientOrderId!;
        }

        var response = await Call(o => _client.GetOrderAsync(request, o), $"get {order}", cancellationToken).ConfigureAwait(false);
        return response.ToDomain();
    }

    public async Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        var response = await Call(o => _client.GetOpenOrdersAsync(new W.GetOpenOrdersRequest { Symbol = symbol ?? "" }, o), "open orders", cancellationToken).ConfigureAwait(false);
        return response.Orders.Select(o => o.ToDomain()).ToArray();
    }

    public async Task<Account> GetAccountAsync(CancellationToken cancellationToken = default) =>
        (await Call(o => _client.GetAccountAsync(new W.GetAccountRequest(), o), "account", cancellationToken).ConfigureAwait(false)).ToDomain();

    public async Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        var response = await Call(o => _client.GetPositionsAsync(new W.GetPositionsRequest { Symbol = symbol ?? "" }, o), "positions", cancellationToken).ConfigureAwait(false);
        return response.Positions.Select(p => p.ToDomain()).ToArray();
    }

    public async Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default) =>
        (await Call(o => _client.GetBalanceAsync(new W.GetBalanceRequest { Asset = asset }, o), $"balance {asset}", cancellationToken).ConfigureAwait(false)).Balance.ToDecimal();

    public async Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await Call(o => _client.GetLatestPriceAsync(new W.GetLatestPriceRequest { Symbol = symbol }, o), $"price {symbol}", cancellationToken).ConfigureAwait(false)).Price.ToDecimal();

    public async Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default)
    {
        var request = new W.GetHistoricalKlinesRequest { Symbol = symbol, Interval = interval, Limit = limit };
        var response = await Call(o => _client.GetHistoricalKlinesAsync(request, o), $"klines {symbol} {interval}", cancellationToken).ConfigureAwait(false);
        return response.Candles.Select(c => c.ToDomain()).ToArray();
    }

    public async Task<IReadOnlyList<SymbolRules>> FetchExchangeInfoAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        var response = await Call(o => _client.FetchExchangeInfoAsync(new W.FetchExchangeInfoRequest { Symbol = symbol ?? "" }, o), "exchange info", cancellationToken).ConfigureAwait(false);
        return response.Symbols.Select(s => s.ToDomain()).ToArray();
    }

    public async Task<SymbolRules> GetSymbolInfoAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await Call(o => _client.GetSymbolInfoAsync(new W.GetSymbolInfoRequest { Symbol = symbol }, o), $"symbol info {symbol}", cancellationToken).ConfigureAwait(false)).ToDomain();

    public async Task<IReadOnlyList<string>> GetSymbolsAsync(CancellationToken cancellationToken = default) =>
        (await Call(o => _client.GetSymbolsAsync(new W.GetSymbolsRequest(), o), "symbols", cancellationToken).ConfigureAwait(false)).Symbols.ToArray();

    public async Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await Call(o => _client.GetFundingRateAsync(new W.GetFundingRateRequest { Symbol = symbol }, o), $"funding {symbol}", cancellationToken).ConfigureAwait(false)).ToDomain();

    public async Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default) =>
        (await Call(o => _client.GetFundingRatesAsync(new W.GetFundingRatesRequest(), o), "funding rates", cancellationToken).ConfigureAwait(false)).Rates.Select(r => r.ToDomain()).ToArray();

    public async Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default) =>
        (await Call(o => _client.GetHistoricalFundingRatesAsync(new W.GetHistoricalFundingRatesRequest { Symbol = symbol, Limit = limit }, o), $"funding history {symbol}", cancellationToken).ConfigureAwait(false)).Rates.Select(r => r.ToDomain()).ToArray();

    public async Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default) =>
        (await Call(o => _client.GetTickersAsync(new W.GetTickersRequest(), o), "tickers", cancellationToken).ConfigureAwait(false)).Tickers.Select(t => t.ToDomain()).ToArray();

    public async Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await Call(o => _client.GetOpenInterestAsync(new W.GetOpenInterestRequest { Symbol = symbol }, o), $"open interest {symbol}", cancellationToken).ConfigureAwait(false)).OpenInterest.ToDecimal();

    public async Task<ExchangeHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _health.CheckAsync(new HealthCheckRequest { Service = ServiceName }, deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
            var serving = response.Status == HealthCheckResponse.Types.ServingStatus.Serving;
            return new ExchangeHealth(serving, serving ? $"connector at {_where} is serving" : $"connector at {_where} reports {response.Status}");
        }
        catch (RpcException ex)
        {
            return new ExchangeHealth(false, $"connector at {_where} is unreachable: {ex.Status.Detail}");
        }
    }

    public IAsyncEnumerable<OrderUpdate> SubscribeOrdersAsync(CancellationToken cancellationToken = default) =>
        Resilient("orders", o => _client.SubscribeOrders(new W.SubscribeOrdersRequest(), o), u => u.ToDomain(), cancellationToken);

    public IAsyncEnumerable<PriceChange> SubscribePriceAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        var request = new W.SubscribePriceRequest();
        request.Symbols.AddRange(symbols);
        return Resilient("price", o => _client.SubscribePrice(request, o), p => p.ToDomain(), cancellationToken);
    }

    public IAsyncEnumerable<Candle> SubscribeKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken = default)
    {
        var request = new W.SubscribeKlinesRequest { Interval = interval };
        request.Symbols.AddRange(symbols);
        return Resilient("klines", o => _client.SubscribeKlines(request, o), c => c.ToDomain(), cancellationToken);
    }

    public IAsyncEnumerable<Account> SubscribeAccountAsync(CancellationToken cancellationToken = default) =>
        Resilient("account", o => _client.SubscribeAccount(new W.SubscribeAccountRequest(), o), a => a.ToDomain(), cancellationToken);

    public IAsyncEnumerable<Position> SubscribePositionsAsync(string? symbol, CancellationToken cancellationToken = default) =>
        Resilient("positions", o => _client.SubscribePositions(new W.SubscribePositionsRequest { Symbol = symbol ?? "" }, o), p => p.ToDomain(), cancellationToken);

    public IAsyncEnumerable<FundingRate> SubscribeFundingRateAsync(string symbol, CancellationToken cancellationToken = default) =>
        Resilient("funding", o => _client.SubscribeFundingRate(new W.SubscribeFundingRateRequest { Symbol = symbol }, o), f => f.ToDomain(), cancellationToken);

    /// <summary>Status codes after which a stream is worth opening again: the connector went away or ended us.</summary>
    private static bool IsReconnectable(StatusCode code) =>
        code is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Aborted
            or StatusCode.ResourceExhausted or StatusCode.DeadlineExceeded or StatusCode.Cancelled;

    private async IAsyncEnumerable<TDomain> Resilient<TWire, TDomain>(
        string stream,
        Func<CallOptions, AsyncServerStreamingCall<TWire>> open,
        Func<TWire, TDomain> map,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var failures = 0;
        var connectedBefore = false;
        DateTimeOffset? downSince = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var call = open(new CallOptions(cancellationToken: cancellationToken));
            string? failure = null;
            try
            {
                // The connector sends headers once the upstream subscription is in place.
                await call.ResponseHeadersAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested && IsReconnectable(ex.StatusCode))
            {
                failure = ex.Status.Detail;
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw ex.ToExchangeException($"subscribe {stream}");
            }

            if (failure is null)
            {
                if (connectedBefore)
                {
                    var downtime = _time.GetUtcNow() - (downSince ?? _time.GetUtcNow());
                    Log.StreamReconnected(_logger, stream, _where, failures, downtime);
                    StreamReconnected?.Invoke(this, new StreamReconnectedEventArgs(stream, failures, downtime));
                }

                connectedBefore = true;
                failures = 0;
                downSince = null;

                while (true)
                {
                    bool hasNext;
                    try
                    {
                        hasNext = await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false);
                    }
                    catch (RpcException ex) when (!cancellationToken.IsCancellationRequested && IsReconnectable(ex.StatusCode))
                    {
                        failure = ex.Status.Detail;
                        break;
                    }
                    catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw ex.ToExchangeException($"stream {stream}");
                    }

                    if (!hasNext)
                    {
                        failure = "the connector ended the stream";
                        break;
                    }

                    yield return map(call.ResponseStream.Current);
                }
            }

            downSince ??= _time.GetUtcNow();
            failures++;
            if (failures > _options.MaxStreamReconnectAttempts)
            {
                throw new ExchangeException(
                    ExchangeErrorKind.Unavailable,
                    $"The {stream} stream from the ExchangeConnector at {_where} failed {failures} times in a row: {failure}");
            }

            var delay = _backoff.Delay(failures);
            Log.StreamRetry(_logger, stream, _where, failures, delay, failure ?? "");
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Connected to ExchangeConnector at {Address} serving {Exchange} after {Attempts} attempt(s)")]
        public static partial void Connected(ILogger logger, string address, string exchange, int attempts);

        [LoggerMessage(2, LogLevel.Warning, "ExchangeConnector at {Address} not reachable (attempt {Attempt} of {MaxAttempts}), retrying in {Delay}: {Reason}")]
        public static partial void ConnectRetry(ILogger logger, string address, int attempt, int maxAttempts, TimeSpan delay, string reason);

        [LoggerMessage(3, LogLevel.Warning, "Stream {Stream} from {Address} lost (failure {Failures}), reconnecting in {Delay}: {Reason}")]
        public static partial void StreamRetry(ILogger logger, string stream, string address, int failures, TimeSpan delay, string reason);

        [LoggerMessage(4, LogLevel.Information, "Stream {Stream} from {Address} reconnected after {Failures} failure(s), down for {Downtime}")]
        public static partial void StreamReconnected(ILogger logger, string stream, string address, int failures, TimeSpan downtime);
    }
}
