using System.Globalization;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Sim;

public sealed partial class SimExchange
{
    public Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return Task.FromResult(PlaceLocked(request));
        }
    }

    public Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        cancellationToken.ThrowIfCancellationRequested();
        var orders = new List<Order>();
        var errors = new List<BatchItemError>();
        lock (_gate)
        {
            for (var i = 0; i < requests.Count; i++)
            {
                try
                {
                    orders.Add(PlaceLocked(requests[i]));
                }
                catch (ExchangeException ex)
                {
                    errors.Add(new BatchItemError(i, ex.Kind, ex.Message, requests[i].ClientOrderId));
                }
            }
        }

        return Task.FromResult(new BatchPlaceResult(orders, errors));
    }

    private Order PlaceLocked(OrderRequest request)
    {
        var now = _time.GetUtcNow();
        var symbol = GetSymbolLocked(request.Symbol);
        var rules = symbol.Rules;
        var last = symbol.LastPrice;

        if (request.Type == OrderType.Limit && request.Price is null)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, "price is required for a limit order");
        }

        if (request.Type == OrderType.Market && request.IsPostOnly)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, "a market order cannot be post-only");
        }

        // Reduce-only orders are exempt from the minimum notional, not from the minimum quantity: Binance -4164 "Order's
        // notional must be no smaller than 5.0 (unless you choose reduce only)"
        // (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code#-4164-min_notional).
        var limitPrice = request.Type == OrderType.Limit ? request.Price : null;
        var checkedRules = request.ReduceOnly ? rules with { MinNotional = 0 } : rules;
        if (checkedRules.Check(request.Quantity, limitPrice, last) is { } violation)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, violation);
        }

        var clientOrderId = request.ClientOrderId;
        if (string.IsNullOrEmpty(clientOrderId))
        {
            clientOrderId = "sim" + (_nextOrderId + 1).ToString(CultureInfo.InvariantCulture);
        }
        else if (clientOrderId.Length > MaxClientOrderIdLength || !ClientOrderIdPattern().IsMatch(clientOrderId))
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument,
                $"client order id '{clientOrderId}' must be 1 to {MaxClientOrderIdLength} letters, digits, '-' or '_'");
        }

        if (_openByClientId.ContainsKey(clientOrderId))
        {
            throw new ExchangeException(ExchangeErrorKind.AlreadyExists, $"client order id '{clientOrderId}' is already used by a working order");
        }

        if (request.ReduceOnly && ReducibleLocked(symbol, request.Side) <= 0)
        {
            throw new ExchangeException(ExchangeErrorKind.ReduceOnlyRejected,
                $"reduce-only {request.Side} on {request.Symbol} would increase the position {symbol.Position.Size.Normalize().ToString(CultureInfo.InvariantCulture)}");
        }

        // With replayed book data an order crosses when it reaches the other side's touch; without, the last trade.
        var (buyTouch, sellTouch) = symbol.HasBook ? (symbol.Ask, symbol.Bid) : (last, last);
        var crosses = request.Type == OrderType.Market
            || (request.Side == OrderSide.Buy ? limitPrice >= buyTouch : limitPrice <= sellTouch);
        if (request.IsPostOnly && crosses)
        {
            throw new ExchangeException(ExchangeErrorKind.PostOnlyRejected,
                $"post-only {request.Side} at {limitPrice?.Normalize().ToString(CultureInfo.InvariantCulture)} would take liquidity (last {last.Normalize().ToString(CultureInfo.InvariantCulture)})");
        }

        var order = new SimOrder
        {
            Id = ++_nextOrderId,
            Sequence = ++_sequence,
            ClientOrderId = clientOrderId,
            Symbol = rules.Symbol,
            Side = request.Side,
            Type = request.Type,
            TimeInForce = request.Type == OrderType.Market ? TimeInForce.Ioc : request.IsPostOnly ? TimeInForce.Gtx : request.TimeInForce,
            Price = limitPrice ?? 0,
            Quantity = request.Quantity,
            ReduceOnly = request.ReduceOnly,
            PostOnly = request.IsPostOnly,
            CreatedAt = now,
            UpdatedAt = now,
            ActiveFrom = now + _options.OrderLatency,
        };
        if (_options.QueueModel == SimQueueModel.QueuePosition && symbol.HasBook && limitPrice is { } resting)
        {
            order.QueueAhead = QueueAheadLocked(symbol, order.Side, resting, null);
        }

        if (!request.ReduceOnly)
        {
            var required = OrderMarginLocked(symbol, order) - OrderMarginLocked(symbol);
            var fees = request.Quantity * (limitPrice ?? last) * _options.TakerFeeRate;
            var available = AccountLocked(now).AvailableBalance;
            if (required + fees > available)
            {
                throw new ExchangeException(ExchangeErrorKind.InsufficientMargin,
                    $"insufficient margin: the order needs {Math.Round(required + fees, 2).ToString(CultureInfo.InvariantCulture)} USDT, available {Math.Round(available, 2).ToString(CultureInfo.InvariantCulture)}");
            }
        }

        _orders.Add(order.Id, order);
        _lastByClientId[clientOrderId] = order;
        _openByClientId[clientOrderId] = order;
        _orderSubscribers.Publish(OrderUpdate.From(order.ToOrder(), VenueName));

        if (crosses)
        {
            ExecuteAggressiveLocked(symbol, order, now);
        }

        if (order.Status.IsOpen())
        {
            if (order.TimeInForce is TimeInForce.Ioc or TimeInForce.Fok || order.Type == OrderType.Market)
            {
                FinishLocked(symbol, order, OrderStatus.Expired, "immediate-or-cancel remainder expired", now);
            }
            else
            {
                symbol.AddResting(order);
            }
        }

        return order.ToOrder();
    }

    /// <summary>Takes liquidity at once: market orders in full with slippage, crossing limits up to the liquidity at the touch.</summary>
    private void ExecuteAggressiveLocked(SimSymbol symbol, SimOrder order, DateTimeOffset now)
    {
        var last = symbol.LastPrice;
        decimal price, quantity;
        if (symbol.HasBook)
        {
            // Replayed book data: the order takes the touch and pays the spread.
            price = order.Side == OrderSide.Buy ? symbol.Ask : symbol.Bid;
            var depth = symbol.Rules.RoundQuantityDown(_options.ImmediateLiquidityQuote / price);
            quantity = order.Type == OrderType.Market ? order.Quantity : Math.Min(order.Quantity, depth);
            if (order.TimeInForce == TimeInForce.Fok && quantity < order.Quantity)
            {
                FinishLocked(symbol, order, OrderStatus.Expired, "fill-or-kill order could not fill in full", now);
                return;
            }
        }
        else if (order.Type == OrderType.Market)
        {
            var slip = last * _options.MarketSlippageBps / 10_000m;
            price = order.Side == OrderSide.Buy ? symbol.Rules.RoundPriceUp(last + slip) : symbol.Rules.RoundPriceDown(last - slip);
            quantity = order.Quantity;
        }
        else
        {
            price = last;
            var depth = symbol.Rules.RoundQuantityDown(_options.ImmediateLiquidityQuote / last);
            quantity = Math.Min(order.Quantity, depth);
            if (order.TimeInForce == TimeInForce.Fok && quantity < order.Quantity)
            {
                FinishLocked(symbol, order, OrderStatus.Expired, "fill-or-kill order could not fill in full", now);
                return;
            }
        }

        if (quantity > 0 && FillLocked(symbol, order, quantity, price, isMaker: false, now))
        {
            PublishAccountAndPositionLocked(symbol, now);
        }
    }

    public Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var s = GetSymbolLocked(symbol);
            var found = FindLocked(s, order);
            if (found.Status.IsOpen())
            {
                FinishLocked(s, found, OrderStatus.Canceled, null, _time.GetUtcNow());
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var errors = new List<BatchItemError>();
        lock (_gate)
        {
            var s = GetSymbolLocked(symbol);
            for (var i = 0; i < exchangeOrderIds.Count; i++)
            {
                try
                {
                    var found = FindLocked(s, OrderRef.ByExchangeId(exchangeOrderIds[i]));
                    if (found.Status.IsOpen())
                    {
                        FinishLocked(s, found, OrderStatus.Canceled, null, _time.GetUtcNow());
                    }
                }
                catch (ExchangeException ex)
                {
                    errors.Add(new BatchItemError(i, ex.Kind, ex.Message, ExchangeOrderId: exchangeOrderIds[i]));
                }
            }
        }

        return Task.FromResult<IReadOnlyList<BatchItemError>>(errors);
    }

    public Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var s = GetSymbolLocked(symbol);
            var now = _time.GetUtcNow();
            foreach (var order in s.Resting.OrderBy(o => o.Sequence).ToList())
            {
                FinishLocked(s, order, OrderStatus.Canceled, null, now);
            }
        }

        return Task.CompletedTask;
    }

    public Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return Task.FromResult(FindLocked(GetSymbolLocked(symbol), order).ToOrder());
        }
    }

    public Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            IEnumerable<SimSymbol> symbols = symbol is null ? _symbols.Values : [GetSymbolLocked(symbol)];
            IReadOnlyList<Order> orders = symbols.SelectMany(s => s.Resting).OrderBy(o => o.Sequence).Select(o => o.ToOrder()).ToArray();
            return Task.FromResult(orders);
        }
    }

    private SimOrder FindLocked(SimSymbol symbol, OrderRef order)
    {
        SimOrder? found = null;
        if (order.ExchangeOrderId is { } id)
        {
            if (long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric))
            {
                _orders.TryGetValue(numeric, out found);
            }
        }
        else if (order.ClientOrderId is { } clientId)
        {
            _lastByClientId.TryGetValue(clientId, out found);
        }

        return found is not null && found.Symbol == symbol.Rules.Symbol
            ? found
            : throw new ExchangeException(ExchangeErrorKind.NotFound, $"{order} is unknown on {symbol.Rules.Symbol}");
    }
}
