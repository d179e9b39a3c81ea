using OpenSqt.Contracts;
using OpenSqt.Exchanges.Okx;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Okx;

namespace OpenSqt.Exchanges.Tests.Okx;

/// <summary>
/// The OKX defects of issue 12 and the venue rules every connector follows, against the OKX simulator (which encodes
/// OKX's documented behaviour on its own) over real HTTP and WebSocket on 127.0.0.1.
/// </summary>
public sealed class OkxVenueRulesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Symbol = "BTCUSDT";

    private static OrderRequest Limit(OrderSide side, decimal price, decimal quantity, string clientId) => new()
    {
        Symbol = Symbol,
        Side = side,
        Type = OrderType.Limit,
        TimeInForce = TimeInForce.Gtc,
        Price = price,
        Quantity = quantity,
        ClientOrderId = clientId,
    };

    [Fact]
    public async Task AccountPushWithoutUsdtKeepsTheUsdtBalance()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var wallet = (await sim.Engine.GetAccountAsync()).WalletBalance;
        Assert.NotEqual(0m, wallet);
        await using var accounts = new StreamRecorder<Account>(exchange.SubscribeAccountAsync);
        await accounts.WaitForAsync(a => a.WalletBalance == wallet, "the snapshot sent on subscribe");
        var before = accounts.Items.Count;

        await sim.PushBalanceChangeAsync("BTC", 0.5m);

        var after = await accounts.WaitForAsync(_ => accounts.Items.Count > before, "the push that carries BTC only");
        Assert.Equal(wallet, after.WalletBalance);
        Assert.Equal(wallet, accounts.Items[^1].WalletBalance);
        Assert.All(accounts.Items, a => Assert.Equal(wallet, a.WalletBalance));
    }

    [Fact]
    public async Task BatchPlacePastTheOrderBudgetReportsEachRefusedItemAndRetriesNothing()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        sim.LeaveBatchPlaceAllowance(3);
        var requests = Enumerable.Range(0, 5).Select(i => Limit(OrderSide.Buy, last - 1000m - i, 0.002m, $"budget{i}")).ToList();

        var result = await exchange.BatchPlaceOrdersAsync(requests);

        Assert.Equal(["budget0", "budget1", "budget2"], result.Orders.Select(o => o.ClientOrderId));
        Assert.Equal([3, 4], result.Errors.Select(e => e.Index));
        Assert.All(result.Errors, e => Assert.Equal(ExchangeErrorKind.RateLimited, e.Kind));
        Assert.Equal(1, sim.Journal.Count("POST", "/api/v5/trade/batch-orders"));
        Assert.Equal(3, (await sim.Engine.GetOpenOrdersAsync(Symbol)).Count);
        Assert.Equal(2, sim.BatchOrdersRefusedForRate);
    }

    [Fact]
    public async Task BatchesAreChargedPerOrderToTheirOwnBudget()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var limits = exchange.Rest.RateLimits;
        var result = await exchange.BatchPlaceOrdersAsync([.. Enumerable.Range(0, 7).Select(i => Limit(OrderSide.Buy, last - 1000m - i, 0.002m, $"perorder{i}"))]);
        Assert.Equal(7, result.Orders.Count);
        Assert.InRange(limits.Used(OkxRateLimits.BatchPlace), 7, 7);
        Assert.Equal(0, limits.Used(OkxRateLimits.Place));

        var errors = await exchange.BatchCancelOrdersAsync(Symbol, [.. result.Orders.Select(o => o.ExchangeOrderId)]);
        Assert.Empty(errors);
        Assert.InRange(limits.Used(OkxRateLimits.BatchCancel), 7, 7);
        Assert.Equal(0, limits.Used(OkxRateLimits.Cancel));
    }

    [Fact]
    public async Task FundingRatesOfEverySwapComeFromOneCall()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var listed = await sim.Engine.GetSymbolsAsync();

        var rates = await exchange.GetFundingRatesAsync();

        Assert.Equal(listed.Order(StringComparer.Ordinal), rates.Select(r => r.Symbol).Order(StringComparer.Ordinal));
        foreach (var rate in rates)
        {
            Assert.Equal((await sim.Engine.GetFundingRateAsync(rate.Symbol)).Rate, rate.Rate);
        }

        var calls = sim.Journal.All.Where(r => r.Path == "/api/v5/public/funding-rate").ToList();
        Assert.Equal("instId=ANY", Assert.Single(calls).RawQuery);
    }

    [Theory]
    [InlineData(OkxSimulator.OkxQueryFault.RateLimited)]
    [InlineData(OkxSimulator.OkxQueryFault.Unavailable)]
    [InlineData(OkxSimulator.OkxQueryFault.NotYetVisible)]
    [InlineData(OkxSimulator.OkxQueryFault.Timeout)]
    public async Task ReadBackFailureAfterAnAcceptedPlaceIsNeverARefusal(OkxSimulator.OkxQueryFault fault)
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim, new Dictionary<string, string> { ["PlaceReadBackTimeout"] = "00:00:00.500" });
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        sim.FailOrderQueries(fault, 3);

        var placed = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "readback1"));

        var live = Assert.Single(await sim.Engine.GetOpenOrdersAsync(Symbol));
        Assert.Equal(live.ExchangeOrderId, placed.ExchangeOrderId);
        Assert.Equal("readback1", placed.ClientOrderId);
        Assert.Equal(OrderStatus.New, placed.Status);
        Assert.Equal(0.002m, placed.Quantity);
        Assert.Equal(1, sim.Journal.Count("POST", "/api/v5/trade/order"));
        // At most one read-back, never retried (a timed-out read may be aborted before the simulator journals it).
        Assert.InRange(sim.Journal.Count("GET", "/api/v5/trade/order"), 0, 1);
    }

    [Fact]
    public async Task RateLimitWithoutRetryAfterPausesBrieflyAndExponentiallyNotForAMinute()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var placed = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "pause1"));
        sim.RateLimitNextRequests(2);

        var first = await Assert.ThrowsAsync<ExchangeException>(() => exchange.GetLatestPriceAsync(Symbol));
        Assert.Equal(ExchangeErrorKind.RateLimited, first.Kind);
        Assert.Equal(TimeSpan.FromSeconds(1), first.RetryAfter);
        var second = await Assert.ThrowsAsync<ExchangeException>(() => exchange.GetLatestPriceAsync(Symbol));
        Assert.Equal(TimeSpan.FromSeconds(2), second.RetryAfter);

        var started = TimeProvider.System.GetTimestamp();
        await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(placed.ExchangeOrderId));
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(5), "the cancel went out after the short pause");
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync(Symbol));
        Assert.True(await exchange.GetLatestPriceAsync(Symbol) > 0);
        Assert.Equal(2, sim.Journal.WithStatus(429));
    }

    [Fact]
    public async Task OpenOrdersArePagedToCompletion()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var result = await exchange.BatchPlaceOrdersAsync([.. Enumerable.Range(0, 120).Select(i => Limit(OrderSide.Buy, last - 1000m - i, 0.002m, $"page{i}"))]);
        Assert.Empty(result.Errors);

        var open = await exchange.GetOpenOrdersAsync(Symbol);

        Assert.Equal(120, open.Select(o => o.ExchangeOrderId).Distinct().Count());
        Assert.Equal(2, sim.Journal.Count("GET", "/api/v5/trade/orders-pending"));
        Assert.Contains(sim.Journal.All, r => r.Path == "/api/v5/trade/orders-pending" && r.RawQuery.Contains("after=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnknownEnumValueSkipsThatItemCountsItAndKeepsTheRest()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is up");
        sim.OverrideOrderField("odd1", "ordType", "some_new_type");
        sim.OverrideOrderField("odd2", "state", "some_new_state");

        await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "known1"));
        await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1001m, 0.002m, "odd1"));
        await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1002m, 0.002m, "odd2"));
        await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1003m, 0.002m, "known2"));

        var open = await exchange.GetOpenOrdersAsync(Symbol);
        Assert.Equal(["known1", "known2"], open.Select(o => o.ClientOrderId).Order(StringComparer.Ordinal));
        await orders.WaitForAsync(u => u.ClientOrderId == "known2", "the order pushed after the odd ones");
        Assert.DoesNotContain(orders.Items, u => u.ClientOrderId is "odd1" or "odd2");
        Assert.True(exchange.UnknownValuesSkipped >= 6, $"two read-backs, two open-list items and two pushes were counted ({exchange.UnknownValuesSkipped})");
    }

    [Fact]
    public async Task CancelAnswersNotFoundForAnUnknownOrderAndOkForAFinishedOne()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);

        var missing = await Assert.ThrowsAsync<ExchangeException>(() => exchange.CancelOrderAsync(Symbol, OrderRef.ByClientId("neverPlaced")));
        Assert.Equal(ExchangeErrorKind.NotFound, missing.Kind);

        var filled = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 5m, 0.002m, "tofill"));
        sim.Engine.Trade(Symbol, last - 5m, 1m);
        await Eventually.TrueAsync(async () => (await sim.Engine.GetOrderAsync(Symbol, OrderRef.ByClientId("tofill"))).Status == OrderStatus.Filled, Timeout, "the order filled");
        await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(filled.ExchangeOrderId));

        var resting = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "rest1"));
        var errors = await exchange.BatchCancelOrdersAsync(Symbol, [resting.ExchangeOrderId, "123456789", filled.ExchangeOrderId]);
        var error = Assert.Single(errors);
        Assert.Equal(1, error.Index);
        Assert.Equal(ExchangeErrorKind.NotFound, error.Kind);
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync(Symbol));
    }

    [Fact]
    public async Task APositionMissingFromTheRegularSnapshotIsReportedClosed()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await using var positions = new StreamRecorder<Position>(ct => exchange.SubscribePositionsAsync(Symbol, ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is up");
        await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 5m, 0.003m, "open1"));
        sim.Engine.Trade(Symbol, last - 5m, 1m);
        await positions.WaitForAsync(p => p.Size == 0.003m, "the opened position");

        sim.LosePositionUpdates = true;
        await exchange.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Sell, Type = OrderType.Market, Quantity = 0.003m, ReduceOnly = true, ClientOrderId = "close1" });
        await Eventually.TrueAsync(async () => (await sim.Engine.GetPositionsAsync(Symbol)).All(p => p.Size == 0), Timeout, "the position closed on the venue");
        Assert.DoesNotContain(positions.Items, p => p.Size == 0m);

        await sim.PushPositionsSnapshotAsync();

        var closed = await positions.WaitForAsync(p => p.Size == 0m, "the position the snapshot left out");
        Assert.Equal(Symbol, closed.Symbol);
        Assert.Equal(0m, closed.UnrealizedPnl);
    }
}
