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
    /// Orders the batch budget admits in the partly-refused batch case: one full chunk, unless the venue's own batch
    /// budget is smaller than a chunk (then the connector splits by that budget).
    /// </summary>
    protected virtual int BatchAllowance => BatchPlaceSize;

    /// <summary>
    /// Whether the venue reports what is used of its limits in its answers (Binance, Bybit). A venue that does not (OKX)
    /// is tested on its own counting instead: it never sends a call the venue would refuse.
    /// </summary>
    protected virtual bool VenueReportsRateLimitUsage => true;

    /// <summary>Rate-limit accounting of the connector, for the back-off test.</summary>
    private protected abstract RateLimitTracker RateLimitsOf(IExchange exchange);

    /// <summary>
    /// Whether the connector reads an order back after placing it (to learn what the acknowledgement leaves out); the
    /// read-back failure case then checks the read met the injected failure, and otherwise that no read was made.
    /// </summary>
    protected virtual bool PlaceReadsTheOrderBack => false;

    /// <summary>Unknown enum values (and the items skipped for them) the connector has logged and counted since start.</summary>
    protected abstract int UnknownValuesCounted(IExchange exchange);

    /// <summary>The call that lists open orders.</summary>
    protected abstract (string Method, string Path) OpenOrdersEndpoint { get; }

    /// <summary>Open orders per page of <see cref="OpenOrdersEndpoint"/>; 0 when the venue answers every open order at once.</summary>
    protected abstract int OpenOrdersPageSize { get; }

    /// <summary>
    /// How the shared dead-man's-switch case drives the venue's switch, or null for a venue without one (the override
    /// says why). The simulators run on the wall clock, so the countdown is a short one the venue accepts.
    /// </summary>
    protected abstract DeadMansSwitchCase? DeadMansSwitch { get; }

    /// <param name="Countdown">The countdown (or window) to arm.</param>
    /// <param name="FiresOnlyOnceTheConnectorIsGone">
    /// Whether the venue counts from the death of the connector's private stream rather than from its last refresh
    /// (Bybit's DCP): then silence means the connector is gone, as a killed one.
    /// </param>
    protected sealed record DeadMansSwitchCase(TimeSpan Countdown, bool FiresOnlyOnceTheConnectorIsGone = false);

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
            // The scenario runs well inside the venue's window by the venue's own clock, wherever the machine's clock
            // stands: the venue's clock is moved halfway through its window, and the connector learns the offset with
            // its first signed call, as it does against a venue. A public call opens the connection first, so that the
            // clock sync is not stretched by the connection's setup. At least 30% of the window is then left (50% for
            // the 25 calls of a venue that does not report usage), longer than the connector may wait (200 ms), so a
            // call it holds back is refused by the connector itself, never sent into a 429.
            var first = sim.RateLimiter.Limits[0];
            var tracker = RateLimitsOf(exchange);
            await exchange.GetLatestPriceAsync(Symbol);
            sim.Clock.Skew = HalfwayThrough(sim.Clock.GetUtcNow(), first.Window);
            await exchange.GetOpenOrdersAsync(Symbol);
            var (from, to) = VenueReportsRateLimitUsage ? (0.3, 0.7) : (0.2, 0.5);
            for (var attempt = 1; ; attempt++)
            {
                await Eventually.TrueAsync(() => PhaseOf(sim.Clock.GetUtcNow(), first.Window) >= from && PhaseOf(sim.Clock.GetUtcNow(), first.Window) < to, first.Window + Timeout, $"the venue's window is {from:P0} to {to:P0} through");
                var window = WindowOf(sim.Clock.GetUtcNow(), first.Window);
                var waits = tracker.Waits;
                var refusals = sim.RateLimiter.Refusals;
                var before = sim.Journal.All.Count;
                var refused = new List<Exception>();
                async Task CallAsync()
                {
                    if (await Record.ExceptionAsync(() => exchange.GetLatestPriceAsync(Symbol)) is { } ex)
                    {
                        refused.Add(ex);
                    }
                }

                if (VenueReportsRateLimitUsage)
                {
                    // Others spend 95% of the budget; the venue's next answer says so, and the call after it is held back.
                    sim.RateLimiter.SpendElsewhere((int)(first.Limit * 0.95));
                    await exchange.GetLatestPriceAsync(Symbol);
                    before = sim.Journal.All.Count;
                    await CallAsync();
                }
                else
                {
                    // A venue that does not report usage (OKX): the connector's own count holds calls back.
                    for (var i = 0; i < first.Limit + 5; i++)
                    {
                        await CallAsync();
                    }
                }

                if (WindowOf(sim.Clock.GetUtcNow(), first.Window) != window && attempt < 5)
                {
                    // A loaded machine stretched the scenario over the venue's window boundary: measure again.
                    continue;
                }

                Assert.NotEmpty(refused);
                Assert.All(refused, ex => Assert.Equal(ExchangeErrorKind.RateLimited, Assert.IsType<ExchangeException>(ex).Kind));
                var reached = sim.Journal.All.Skip(before).ToList();
                Assert.True(reached.Count <= (VenueReportsRateLimitUsage ? 0 : first.Limit),
                    $"no call the connector held back reached the venue: {reached.Count} did ({string.Join(", ", reached.GroupBy(r => r.Path + " " + r.Status).Select(g => $"{g.Key} x{g.Count()}"))}), {refused.Count} refused");
                Assert.Equal(waits, tracker.Waits);
                Assert.Equal(refusals, sim.RateLimiter.Refusals);
                break;
            }
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    private static long WindowOf(DateTimeOffset venueNow, TimeSpan window) => venueNow.UtcTicks / window.Ticks;

    private static double PhaseOf(DateTimeOffset venueNow, TimeSpan window) => (double)(venueNow.UtcTicks % window.Ticks) / window.Ticks;

    /// <summary>How far to move a clock showing <paramref name="venueNow"/> so it stands halfway through its window.</summary>
    private static TimeSpan HalfwayThrough(DateTimeOffset venueNow, TimeSpan window) =>
        TimeSpan.FromTicks(((window.Ticks / 2) - (venueNow.UtcTicks % window.Ticks) + window.Ticks) % window.Ticks);

    [Fact]
    public async Task RefreshingTheDeadMansSwitchKeepsOrdersAndSilenceLetsTheVenueCancelThemAfterTheCountdown()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            if (DeadMansSwitch is not { } dms)
            {
                Assert.False(exchange is IVenueDeadMansSwitch, "a venue declared without a dead-man's switch has no connector switch either");
                return;
            }

            var venueSwitch = Assert.IsAssignableFrom<IVenueDeadMansSwitch>(exchange);
            var scope = venueSwitch.Scope == DeadMansSwitchScope.Symbol ? Symbol : null;
            await using var updates = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
            await PrivateStreamReadyAsync(sim);
            await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "dms1"));
            await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1001m, 0.002m, "dms2"));
            await venueSwitch.ArmAsync(scope, dms.Countdown);

            // Refreshed every quarter of the countdown by the venue's clock, for one and a half of its length: the
            // venue never fires.
            var refreshes = sim.Clock.GetUtcNow();
            for (var i = 1; i <= 6; i++)
            {
                var due = refreshes + (dms.Countdown / 4 * i);
                await Eventually.TrueAsync(() => sim.Clock.GetUtcNow() >= due, Timeout, "a quarter of the countdown passed");
                await venueSwitch.ArmAsync(scope, dms.Countdown);
            }

            Assert.Equal(0, sim.CountdownFirings);
            Assert.Equal(2, (await exchange.GetOpenOrdersAsync(Symbol)).Count);

            // Silence: once the countdown runs out the venue cancels both orders, and a live connector hears each cancel.
            var silentSince = sim.Clock.GetUtcNow();
            if (dms.FiresOnlyOnceTheConnectorIsGone)
            {
                await ((IAsyncDisposable)exchange).DisposeAsync();
            }
            else
            {
                await updates.WaitForAsync(u => u.ClientOrderId == "dms1" && u.Status == OrderStatus.Canceled, "the venue's cancel of dms1 on the stream", Timeout);
                await updates.WaitForAsync(u => u.ClientOrderId == "dms2" && u.Status == OrderStatus.Canceled, "the venue's cancel of dms2 on the stream", Timeout);
            }

            await Eventually.TrueAsync(async () => (await sim.Engine.GetOpenOrdersAsync(Symbol)).Count == 0, Timeout, "the venue cancelled every order");
            Assert.True(sim.Clock.GetUtcNow() - silentSince >= dms.Countdown - TimeSpan.FromMilliseconds(50), "not before the countdown ran out");
            Assert.Equal(1, sim.CountdownFirings);
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

    // ---- Issue 12, section 4: the venue-layer rules every connector follows ----

    [Fact]
    public async Task ReadBackFailureAfterAPlaceIsNeverARefusal()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            // Every read of one order fails for a while: a connector that confirms its placement with a read must not
            // turn the live order into a refusal. Accepted (from the acknowledgement) or unknown (resolved by client id).
            sim.Faults.FailOrderReads(5);
            Order? placed = null;
            try
            {
                placed = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "readback1"));
            }
            catch (ExchangeException ex)
            {
                Assert.Equal(ExchangeErrorKind.UnknownOutcome, ex.Kind);
            }

            var live = Assert.Single(await sim.Engine.GetOpenOrdersAsync(Symbol));
            Assert.Equal("readback1", live.ClientOrderId);
            if (placed is not null)
            {
                Assert.Equal(OrderStatus.New, placed.Status);
                Assert.Equal(live.ExchangeOrderId, placed.ExchangeOrderId);
                Assert.Equal("readback1", placed.ClientOrderId);
                Assert.Equal(last - 1000m, placed.Price);
                Assert.Equal(0.002m, placed.Quantity);
            }

            Assert.Equal(1, sim.Journal.Count(PlaceEndpoint.Method, PlaceEndpoint.Path));
            if (PlaceReadsTheOrderBack)
            {
                Assert.True(sim.Faults.OrderReadFailuresServed >= 1, "the read-back met the injected failure");
            }
            else
            {
                Assert.Equal(0, sim.Faults.OrderReadFailuresServed);
            }
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task RateLimitWithoutRetryAfterBacksOffThatBudgetOnlyAndCancelsStillGo()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            var resting = await exchange.PlaceOrderAsync(Limit(OrderSide.Sell, last + 1000m, 0.002m, "rl0"));
            var tracker = RateLimitsOf(exchange);
            sim.Faults.RefusePlacementsWithoutRetryAfter(2);

            var first = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1001m, 0.002m, "rl1")));
            Assert.Equal(ExchangeErrorKind.RateLimited, first.Kind);
            Assert.True(first.IsTransient);
            Assert.NotNull(first.RetryAfter);
            Assert.InRange(first.RetryAfter.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5));
            Assert.Null(tracker.BlockedUntil);

            // The next placement waits out the short pause instead of being sent into it; refused again, the pause grows.
            var waits = tracker.Waits;
            var second = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1002m, 0.002m, "rl2")));
            Assert.Equal(ExchangeErrorKind.RateLimited, second.Kind);
            Assert.True(second.RetryAfter > first.RetryAfter, $"the pause grows ({first.RetryAfter} then {second.RetryAfter})");
            Assert.InRange(second.RetryAfter!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
            Assert.True(tracker.Waits > waits, "the placement waited for the pause instead of being sent into it");

            // The cancel is not charged to the paused placement budget: it goes out at once, not after the pause.
            // Issue 12: "cancels are never frozen behind order placement", on every venue.
            waits = tracker.Waits;
            await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(resting.ExchangeOrderId));
            Assert.Equal(waits, tracker.Waits);

            var placed = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1003m, 0.002m, "rl3"));
            Assert.Equal(OrderStatus.New, placed.Status);
            Assert.Equal(["rl3"], (await sim.Engine.GetOpenOrdersAsync(Symbol)).Select(o => o.ClientOrderId));
            Assert.Equal(4, sim.Journal.Count(PlaceEndpoint.Method, PlaceEndpoint.Path));
            Assert.Equal(0, sim.RateLimiter.Bans);
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task OpenOrderListOf120IsComplete()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            for (var i = 0; i < 120; i++)
            {
                await sim.Engine.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m - i, 0.002m, $"many{i}"));
            }

            var before = sim.Journal.Count(OpenOrdersEndpoint.Method, OpenOrdersEndpoint.Path);
            var open = await exchange.GetOpenOrdersAsync(Symbol);
            var pages = sim.Journal.Count(OpenOrdersEndpoint.Method, OpenOrdersEndpoint.Path) - before;

            Assert.Equal(Enumerable.Range(0, 120).Select(i => $"many{i}").Order(StringComparer.Ordinal), open.Select(o => o.ClientOrderId!).Order(StringComparer.Ordinal));
            Assert.All(open, o => Assert.Equal(OrderStatus.New, o.Status));
            if (OpenOrdersPageSize == 0)
            {
                Assert.Equal(1, pages);
            }
            else
            {
                var full = (120 + OpenOrdersPageSize - 1) / OpenOrdersPageSize;
                Assert.InRange(pages, full, full + 1);
            }

            Assert.Equal(120, (await exchange.GetOpenOrdersAsync(null)).Select(o => o.ExchangeOrderId).Distinct().Count());
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task UnknownEnumValuesAreCountedAndTheRestOfTheAnswerStands()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
            await PrivateStreamReadyAsync(sim);
            sim.Faults.ReportUnknownValue("oddstatus", OrderField.Status);
            sim.Faults.ReportUnknownValue("oddtif", OrderField.TimeInForce);
            sim.Faults.ReportUnknownValue("oddtype", OrderField.OrderType);
            var odd = new[] { "oddstatus", "oddtif", "oddtype" };
            for (var i = 0; i < odd.Length; i++)
            {
                await sim.Engine.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m - i, 0.002m, odd[i]));
            }

            await sim.Engine.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1010m, 0.002m, "known1"));

            // The stream goes on past the odd events: the known order's event arrives.
            await orders.WaitForAsync(u => u.ClientOrderId == "known1", "the known order's event after the odd ones");

            // The list does not fail: the known order is there; an odd item is skipped or mapped, never invented.
            var engine = (await sim.Engine.GetOpenOrdersAsync(Symbol)).ToDictionary(o => o.ClientOrderId!, StringComparer.Ordinal);
            var open = await exchange.GetOpenOrdersAsync(Symbol);
            Assert.Contains(open, o => o.ClientOrderId == "known1" && o.Status == OrderStatus.New);
            Assert.All(open, o => Assert.Equal(engine[o.ClientOrderId!].ExchangeOrderId, o.ExchangeOrderId));

            // A status the connector does not know is never guessed: the list and the stream skip that order or carry
            // it as explicitly unknown, never as open (or final).
            Assert.DoesNotContain(open, o => o.ClientOrderId == "oddstatus" && o.Status != OrderStatus.Unknown);
            Assert.DoesNotContain(orders.Items, u => u.ClientOrderId == "oddstatus" && u.Status != OrderStatus.Unknown);
            Assert.True(UnknownValuesCounted(exchange) >= 3, $"the odd values were counted ({UnknownValuesCounted(exchange)})");

            // A single read of an order with an unknown time in force or order type answers the order.
            foreach (var id in new[] { "oddtif", "oddtype" })
            {
                var read = await exchange.GetOrderAsync(Symbol, OrderRef.ByClientId(id));
                Assert.Equal((engine[id].ExchangeOrderId, id, last - 1000m - Array.IndexOf(odd, id), 0.002m), (read.ExchangeOrderId, read.ClientOrderId, read.Price, read.Quantity));
                Assert.True(read.Status.IsOpen(), $"{id} is live ({read.Status})");
            }

            // A single read of an order in a status the connector does not know answers the order, its status
            // explicitly unknown (neither open nor final): never a failed call, never a guess.
            var oddStatus = await exchange.GetOrderAsync(Symbol, OrderRef.ByClientId("oddstatus"));
            Assert.Equal((engine["oddstatus"].ExchangeOrderId, "oddstatus", last - 1000m, OrderStatus.Unknown), (oddStatus.ExchangeOrderId, oddStatus.ClientOrderId, oddStatus.Price, oddStatus.Status));
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task BatchPartlyRefusedByRateLimitReportsEachRefusedItemAndResendsNothing()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            // The batch budget admits one full chunk more. A venue charging per order refuses the items past it inside
            // a successful answer; one charging per call refuses the call that does not fit: either way the first
            // chunk is placed and the last two orders are reported refused for the rate limit.
            var allowance = BatchAllowance;
            sim.Faults.LeaveBatchPlaceAllowance(allowance);
            var count = allowance + 2;
            var requests = Enumerable.Range(0, count).Select(i => Limit(OrderSide.Buy, last - 1000m - i, 0.002m, $"bp{i}")).ToList();

            var result = await exchange.BatchPlaceOrdersAsync(requests);

            Assert.Equal(Enumerable.Range(0, allowance).Select(i => $"bp{i}"), result.Orders.Select(o => o.ClientOrderId));
            Assert.Equal([allowance, allowance + 1], result.Errors.Select(e => e.Index));
            Assert.All(result.Errors, e =>
            {
                Assert.Equal(ExchangeErrorKind.RateLimited, e.Kind);
                Assert.True(e.Kind.IsTransient());
                Assert.Equal($"bp{e.Index}", e.ClientOrderId);
            });
            var live = await sim.Engine.GetOpenOrdersAsync(Symbol);
            Assert.Equal(result.Orders.Select(o => o.ExchangeOrderId).Order(StringComparer.Ordinal), live.Select(o => o.ExchangeOrderId).Order(StringComparer.Ordinal));
            // Nothing is re-sent: every order went out in exactly one batch call (a venue may split the chunks by its budget).
            var sent = string.Concat(sim.Journal.All.Where(r => r.Method == BatchPlaceEndpoint.Method && r.Path == BatchPlaceEndpoint.Path).Select(r => r.RawQuery + "\n" + r.Body));
            Assert.All(Enumerable.Range(0, count), i => Assert.Single(System.Text.RegularExpressions.Regex.Matches(sent, $"bp{i}(?![0-9])")));
            Assert.Equal(0, sim.RateLimiter.Bans);
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task AClosedPositionIsReportedFlat()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            await using var positions = new StreamRecorder<Position>(ct => exchange.SubscribePositionsAsync(Symbol, ct));
            await PrivateStreamReadyAsync(sim);
            await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 10m, 0.003m, "pos1"));
            sim.Engine.Trade(Symbol, last - 10m, 1m);
            await positions.WaitForAsync(p => p.Size == 0.003m, "the opened position");

            if (sim is ISnapshotPositionChannel snapshots)
            {
                // The venue's positions channel sends full snapshots: a closed position is absent from the next one,
                // it never arrives with size 0. The close's own push is lost; the next snapshot alone tells.
                sim.Faults.LosePositionUpdates = true;
                await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Sell, Type = OrderType.Market, Quantity = 0.003m, ReduceOnly = true, ClientOrderId = "close1" });
                await Eventually.TrueAsync(async () => (await sim.Engine.GetPositionsAsync(Symbol)).All(p => p.Size == 0), Timeout, "the position closed on the venue");
                Assert.DoesNotContain(positions.Items, p => p.Size == 0m);
                await snapshots.PushPositionsSnapshotAsync();
            }
            else
            {
                // Binance (ACCOUNT_UPDATE "pa": "0"), Bybit (position topic size "0") and Gate (positions channel
                // size 0) push the closed position itself with size 0: there is no snapshot to infer it from.
                await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Sell, Type = OrderType.Market, Quantity = 0.003m, ReduceOnly = true, ClientOrderId = "close1" });
            }

            var flat = await positions.WaitForAsync(p => p.Size == 0m, "the closed position, reported flat");
            Assert.Equal(Symbol, flat.Symbol);
            Assert.Equal(0m, flat.UnrealizedPnl);
            Assert.All(await exchange.GetPositionsAsync(Symbol), p => Assert.Equal(0m, p.Size));
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }

    [Fact]
    public async Task CancelOfAnUnknownOrderIsNotFoundAndOfAFinishedOneIsDone()
    {
        var (sim, exchange, last) = await StartAsync();
        try
        {
            var byId = await Assert.ThrowsAsync<ExchangeException>(() => exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId("987654321")));
            Assert.Equal(ExchangeErrorKind.NotFound, byId.Kind);
            var byClientId = await Assert.ThrowsAsync<ExchangeException>(() => exchange.CancelOrderAsync(Symbol, OrderRef.ByClientId("neverPlaced")));
            Assert.Equal(ExchangeErrorKind.NotFound, byClientId.Kind);

            var done = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "done1"));
            await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(done.ExchangeOrderId));
            await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(done.ExchangeOrderId));
            await exchange.CancelOrderAsync(Symbol, OrderRef.ByClientId("done1"));

            var open = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1001m, 0.002m, "open1"));
            var errors = await exchange.BatchCancelOrdersAsync(Symbol, [open.ExchangeOrderId, done.ExchangeOrderId, "987654321"]);
            var error = Assert.Single(errors);
            Assert.Equal((2, ExchangeErrorKind.NotFound, "987654321"), (error.Index, error.Kind, error.ExchangeOrderId));
            Assert.Empty(await sim.Engine.GetOpenOrdersAsync(Symbol));
        }
        finally
        {
            await StopAsync(sim, exchange);
        }
    }
}
