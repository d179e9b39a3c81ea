using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.Exchanges.Tests.Conformance;

/// <summary>
/// What every native venue connector must do, run over real HTTP and WebSocket against the venue's simulator on
/// loopback. A venue's test class inherits it and says how to start its simulator and build its connector.
/// </summary>
public abstract class VenueConformanceTests
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    protected const string Symbol = "BTCUSDT";

    /// <summary>Starts the venue's simulator on loopback.</summary>
    protected abstract Task<IVenueSimulator> StartSimulatorAsync();

    /// <summary>Builds the connector pointed at the simulator. <paramref name="settings"/> overrides its options (key: option name).</summary>
    protected abstract IExchange CreateExchange(IVenueSimulator simulator, IReadOnlyDictionary<string, string>? settings = null);

    /// <summary>Largest batch the venue takes in one call, and the path of that call.</summary>
    protected abstract int BatchPlaceSize { get; }

    protected abstract (string Method, string Path) BatchPlaceEndpoint { get; }

    protected abstract (string Method, string Path) PlaceEndpoint { get; }

    /// <summary>
    /// Whether the venue reports what is used of its limits in its answers (Binance, Bybit). A venue that does not (OKX)
    /// is tested on its own counting instead: it never sends a call the venue would refuse.
    /// </summary>
    protected virtual bool VenueReportsRateLimitUsage => true;

    /// <summary>Rate-limit accounting of the connector, for the back-off test.</summary>
    protected abstract RateLimitTracker RateLimitsOf(IExchange exchange);

    protected static OrderRequest Limit(OrderSide side, decimal price, decimal quantity, string clientId, TimeInForce tif = TimeInForce.Gtc) => new()
    {
        Symbol = Symbol,
        Side = side,
        Type = OrderType.Limit,
        TimeInForce = tif,
        Price = price,
        Quantity = quantity,
        ClientOrderId = clientId,
    };

    private async Task<(IVenueSimulator Sim, IExchange Exchange, decimal Last)> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var sim = await StartSimulatorAsync();
        var exchange = CreateExchange(sim, settings);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        return (sim, exchange, last);
    }

    private static async Task StopAsync(IVenueSimulator sim, IExchange exchange)
    {
        if (exchange is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        await sim.DisposeAsync();
    }

    private static Task PrivateStreamReadyAsync(IVenueSimulator sim) =>
        Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is connected and authenticated");

    [Fact]
    public async Task PlaceRestsALimitOrderAndStreamsItsNewState()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
            await PrivateStreamReadyAsync(sim);
            var price = last - 1000m;
            var placed = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, price, 0.002m, "conf1"));
            Assert.Equal(OrderStatus.New, placed.Status);
            Assert.Equal("conf1", placed.ClientOrderId);
            Assert.Equal(price, placed.Price);
            Assert.Equal(0.002m, placed.Quantity);
            var update = await orders.WaitForAsync(u => u.ClientOrderId == "conf1", "the NEW update");
            Assert.Equal(OrderStatus.New, update.Status);
            Assert.Equal(placed.ExchangeOrderId, update.ExchangeOrderId);
            var fetched = await exchange.GetOrderAsync(Symbol, OrderRef.ByExchangeId(placed.ExchangeOrderId));
            Assert.Equal("conf1", fetched.ClientOrderId);
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task PartialFillThenFillStreamCumulativeQuantitiesAndDistinctTrades()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
            await using var positions = new StreamRecorder<Position>(ct => exchange.SubscribePositionsAsync(Symbol, ct));
            await PrivateStreamReadyAsync(sim);
            var price = last - 100m;
            var placed = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, price, 0.004m, "conf2"));
            sim.Engine.Trade(Symbol, price, 0.001m);
            var partial = await orders.WaitForAsync(u => u.ClientOrderId == "conf2" && u.Status == OrderStatus.PartiallyFilled, "the partial fill");
            Assert.Equal(0.001m, partial.FilledQuantity);
            Assert.Equal(0.001m, partial.LastFill!.Quantity);
            Assert.Equal(price, partial.LastFill.Price);
            Assert.True(partial.LastFill.Fee > 0);
            sim.Engine.Trade(Symbol, price, 0.01m);
            var filled = await orders.WaitForAsync(u => u.ClientOrderId == "conf2" && u.Status == OrderStatus.Filled, "the fill");
            Assert.Equal(0.004m, filled.FilledQuantity);
            Assert.Equal(0.003m, filled.LastFill!.Quantity);
            Assert.NotEqual(partial.LastFill.TradeId, filled.LastFill.TradeId);
            Assert.Equal(placed.ExchangeOrderId, filled.ExchangeOrderId);
            var position = await positions.WaitForAsync(p => p.Size == 0.004m, "the position of the fill");
            Assert.Equal(price, position.EntryPrice);
            var order = await exchange.GetOrderAsync(Symbol, OrderRef.ByClientId("conf2"));
            Assert.Equal(OrderStatus.Filled, order.Status);
            Assert.Equal(price, order.AveragePrice);
            var held = Assert.Single(await exchange.GetPositionsAsync(Symbol));
            Assert.Equal(0.004m, held.Size);
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task CancelStreamsCanceledAndCancellingAFinishedOrderCountsAsDone()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
            await PrivateStreamReadyAsync(sim);
            var placed = await exchange.PlaceOrderAsync(Limit(OrderSide.Sell, last + 500m, 0.002m, "conf3"));
            await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(placed.ExchangeOrderId));
            await orders.WaitForAsync(u => u.ClientOrderId == "conf3" && u.Status == OrderStatus.Canceled, "the cancel");
            await exchange.CancelOrderAsync(Symbol, OrderRef.ByClientId("conf3"));
            Assert.Equal(OrderStatus.Canceled, (await exchange.GetOrderAsync(Symbol, OrderRef.ByClientId("conf3"))).Status);
            var missing = await Assert.ThrowsAsync<ExchangeException>(() => exchange.GetOrderAsync(Symbol, OrderRef.ByClientId("neverPlaced")));
            Assert.Equal(ExchangeErrorKind.NotFound, missing.Kind);
            await exchange.PlaceOrderAsync(Limit(OrderSide.Sell, last + 600m, 0.002m, "conf3b"));
            await exchange.CancelAllOrdersAsync(Symbol);
            Assert.Empty(await exchange.GetOpenOrdersAsync(Symbol));
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task BatchPlaceUsesVenueChunksAndReportsEachRefusedItem()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            var requests = Enumerable.Range(0, 7)
                .Select(i => Limit(OrderSide.Buy, last - 1000m - i, 0.002m, $"batch{i}"))
                .ToList();
            requests[3] = requests[3] with { Price = last - 1000.05m };
            var result = await exchange.BatchPlaceOrdersAsync(requests);
            Assert.Equal(6, result.Orders.Count);
            var error = Assert.Single(result.Errors);
            Assert.Equal(3, error.Index);
            Assert.Equal(ExchangeErrorKind.InvalidArgument, error.Kind);
            Assert.Equal("batch3", error.ClientOrderId);
            Assert.Equal((7 + BatchPlaceSize - 1) / BatchPlaceSize, sim.Journal.Count(BatchPlaceEndpoint.Method, BatchPlaceEndpoint.Path));
            var ids = result.Orders.Select(o => o.ExchangeOrderId).ToList();
            await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(ids[0]));
            var cancelErrors = await exchange.BatchCancelOrdersAsync(Symbol, ids);
            Assert.Empty(cancelErrors);
            Assert.Empty(await exchange.GetOpenOrdersAsync(Symbol));
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task OpenOrdersSurviveAConnectorRestart()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 2000m, 0.002m, "keep1"));
            await exchange.PlaceOrderAsync(Limit(OrderSide.Sell, last + 2000m, 0.002m, "keep2"));
            await ((IAsyncDisposable)exchange).DisposeAsync();
            exchange = CreateExchange(sim);
            var open = await exchange.GetOpenOrdersAsync(null);
            Assert.Equal(["keep1", "keep2"], open.Select(o => o.ClientOrderId).Order());
            Assert.All(open, o => Assert.Equal(OrderStatus.New, o.Status));
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task StreamsReconnectAndResubscribeAfterTheVenueDropsThem()
    {
        var (sim, exchange, last) = await StartAsync(new Dictionary<string, string> { ["ReconnectInitialDelay"] = "00:00:00.050" });
        try
        {
            var reconnected = new List<string>();
            exchange.StreamReconnected += (_, e) =>
            {
                lock (reconnected)
                {
                    reconnected.Add(e.Stream);
                }
            };
            await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
            await using var prices = new StreamRecorder<PriceChange>(ct => exchange.SubscribePriceAsync([Symbol], ct));
            await PrivateStreamReadyAsync(sim);
            await Eventually.TrueAsync(() => sim.SubscriptionsReceived >= 1, Timeout, "the price stream is subscribed");
            var subscriptionsBefore = sim.SubscriptionsReceived;
            await sim.DropAllConnectionsAsync();
            await Eventually.TrueAsync(() => { lock (reconnected) { return reconnected.Count >= 2; } }, Timeout, "both streams reported a reconnect");
            await PrivateStreamReadyAsync(sim);
            await Eventually.TrueAsync(() => sim.SubscriptionsReceived > subscriptionsBefore, Timeout, "the price stream subscribed again");
            var tradePrice = last + 10m;
            sim.Engine.Trade(Symbol, tradePrice, 0.5m);
            await prices.WaitForAsync(p => p.Price == tradePrice, "a price after the reconnect");
            await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "afterdrop"));
            await orders.WaitForAsync(u => u.ClientOrderId == "afterdrop", "an order update after the reconnect");
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task PrivateSessionExpiryIsRecoveredAndEventsKeepFlowing()
    {
        var (sim, exchange, last) = await StartAsync(new Dictionary<string, string> { ["ReconnectInitialDelay"] = "00:00:00.050" });
        try
        {
            var reconnects = 0;
            exchange.StreamReconnected += (_, _) => Interlocked.Increment(ref reconnects);
            await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
            await PrivateStreamReadyAsync(sim);
            await sim.ExpireSessionAsync();
            await Eventually.TrueAsync(() => Volatile.Read(ref reconnects) >= 1, Timeout, "the private stream reconnected with a new session");
            await PrivateStreamReadyAsync(sim);
            await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "afterexpiry"));
            await orders.WaitForAsync(u => u.ClientOrderId == "afterexpiry", "an order update on the new session");
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task UnknownOutcomeIsNeverResentAndIsResolvedByClientId()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            sim.Faults.FailAfterAccept(1);
            var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "unknown1")));
            Assert.Equal(ExchangeErrorKind.UnknownOutcome, ex.Kind);
            Assert.True(ex.IsTransient);
            Assert.Equal(1, sim.Journal.Count(PlaceEndpoint.Method, PlaceEndpoint.Path));
            var found = await exchange.GetOrderAsync(Symbol, OrderRef.ByClientId("unknown1"));
            Assert.Equal(OrderStatus.New, found.Status);
            Assert.Single(await exchange.GetOpenOrdersAsync(Symbol));
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task RateLimitStormIsHonouredWithoutEverEarningABan()
    {
        var (sim, exchange, _) = await StartAsync(new Dictionary<string, string> { ["RateLimitMaxWait"] = "00:00:05" });
        try
        {
            sim.Faults.RateLimitStorm(1, TimeSpan.FromSeconds(1));
            var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.GetLatestPriceAsync(Symbol));
            Assert.Equal(ExchangeErrorKind.RateLimited, ex.Kind);
            Assert.NotNull(ex.RetryAfter);
            var requestsAfter429 = sim.Journal.All.Count;
            Assert.True(await exchange.GetLatestPriceAsync(Symbol) > 0);
            Assert.Equal(0, sim.RateLimiter.Bans);
            Assert.Equal(requestsAfter429 + 1, sim.Journal.All.Count);
            Assert.True(RateLimitsOf(exchange).Waits >= 1, "the second call waited for Retry-After instead of being sent into the pause");
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task ConnectorBacksOffBeforeTheVenueLimit()
    {
        var (sim, exchange, _) = await StartAsync(new Dictionary<string, string> { ["RateLimitMaxWait"] = "00:00:00.200" });
        try
        {
            await exchange.GetLatestPriceAsync(Symbol);
            var first = sim.RateLimiter.Limits[0];
            if (!VenueReportsRateLimitUsage)
            {
                for (var i = 0; i < first.Limit + 5; i++)
                {
                    try
                    {
                        await exchange.GetLatestPriceAsync(Symbol);
                    }
                    catch (ExchangeException ex)
                    {
                        Assert.Equal(ExchangeErrorKind.RateLimited, ex.Kind);
                    }
                }

                Assert.True(sim.Journal.All.Count <= first.Limit || RateLimitsOf(exchange).Waits >= 1, "the client held calls back by its own count");
                Assert.Equal(0, sim.RateLimiter.Refusals);
                return;
            }

            sim.RateLimiter.SpendElsewhere((int)(first.Limit * 0.95));
            await exchange.GetLatestPriceAsync(Symbol);
            var sent = sim.Journal.All.Count;
            try
            {
                await exchange.GetLatestPriceAsync(Symbol);
                Assert.True(RateLimitsOf(exchange).Waits >= 1, "the call went out only after waiting for the next window");
            }
            catch (ExchangeException ex)
            {
                Assert.Equal(ExchangeErrorKind.RateLimited, ex.Kind);
                Assert.Equal(sent, sim.Journal.All.Count);
            }

            Assert.Equal(0, sim.RateLimiter.Refusals);
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task ClockSkewIsResyncedAndTheOrderPlacedOnce()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            Assert.Empty(await exchange.GetOpenOrdersAsync(Symbol));
            sim.Clock.Skew = TimeSpan.FromSeconds(20);
            var placed = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "skewed"));
            Assert.Equal(OrderStatus.New, placed.Status);
            Assert.Equal(2, sim.Journal.Count(PlaceEndpoint.Method, PlaceEndpoint.Path));
            Assert.Single(await exchange.GetOpenOrdersAsync(Symbol));
            sim.Clock.Skew = TimeSpan.FromSeconds(-20);
            Assert.Single(await exchange.GetOpenOrdersAsync(Symbol));
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task PostOnlyThatWouldTakeIsRefusedAsPostOnlyRejected()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last + 100m, 0.002m, "maker1", TimeInForce.Gtx)));
            Assert.Equal(ExchangeErrorKind.PostOnlyRejected, ex.Kind);
            var resting = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 100m, 0.002m, "maker2", TimeInForce.Gtx));
            Assert.True(resting.PostOnly);
            Assert.Equal(TimeInForce.Gtx, resting.TimeInForce);
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task DuplicateStreamEventsAreDeliveredOnce()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            sim.Faults.DuplicateStreamEvents = true;
            await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
            await PrivateStreamReadyAsync(sim);
            var price = last - 50m;
            await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, price, 0.002m, "dup1"));
            sim.Engine.Trade(Symbol, price, 1m);
            await orders.WaitForAsync(u => u.ClientOrderId == "dup1" && u.Status == OrderStatus.Filled, "the fill");
            var marker = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 3000m, 0.002m, "marker"));
            await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(marker.ExchangeOrderId));
            await orders.WaitForAsync(u => u.ClientOrderId == "marker" && u.Status == OrderStatus.Canceled, "the marker's cancel");
            var dup = orders.Items.Where(u => u.ClientOrderId == "dup1").Select(u => u.Status).ToArray();
            Assert.Equal([OrderStatus.New, OrderStatus.Filled], dup);
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task StreamFillCanArriveBeforeTheDelayedAck()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            sim.Faults.OrderAckDelay = TimeSpan.FromMilliseconds(500);
            await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
            await PrivateStreamReadyAsync(sim);
            var place = exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last + 50m, 0.002m, "early"));
            var fill = await orders.WaitForAsync(u => u.ClientOrderId == "early" && u.Status == OrderStatus.Filled, "the fill on the stream");
            Assert.False(place.IsCompleted, "the stream delivered the fill while the REST ack was still held back");
            var ack = await place;
            Assert.Equal(fill.ExchangeOrderId, ack.ExchangeOrderId);
            Assert.Equal(OrderStatus.Filled, ack.Status);
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }
}
