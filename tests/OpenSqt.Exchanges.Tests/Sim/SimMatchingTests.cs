using OpenSqt.Contracts;
using static OpenSqt.Exchanges.Tests.Sim.SimTestVenue;

namespace OpenSqt.Exchanges.Tests.Sim;

public sealed class SimMatchingTests
{
    [Fact]
    public async Task RestingBuyFillsAtItsPriceWhenTheMarketTradesAtOrBelowIt()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        var order = await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_900m, 0.01m, "b1"));
        Assert.Equal(OrderStatus.New, order.Status);

        sim.Trade("BTCUSDT", 94_950m, 5m);
        Assert.Equal(OrderStatus.New, (await sim.GetOrderAsync("BTCUSDT", OrderRef.ByClientId("b1"))).Status);

        sim.Trade("BTCUSDT", 94_900m, 5m);
        var filled = await sim.GetOrderAsync("BTCUSDT", OrderRef.ByExchangeId(order.ExchangeOrderId));
        Assert.Equal(OrderStatus.Filled, filled.Status);
        Assert.Equal(0.01m, filled.FilledQuantity);
        Assert.Equal(94_900m, filled.AveragePrice);
        var fill = Assert.Single(filled.Fills);
        Assert.True(fill.IsMaker);
        Assert.Equal(0.1898m, fill.Fee);
        Assert.Empty(await sim.GetOpenOrdersAsync("BTCUSDT"));
    }

    [Fact]
    public async Task OrderLargerThanTheTradedVolumeFillsPartiallyThenCompletes()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_900m, 0.01m, "p1"));

        sim.Trade("BTCUSDT", 94_900m, 0.004m);
        var partial = await sim.GetOrderAsync("BTCUSDT", OrderRef.ByClientId("p1"));
        Assert.Equal(OrderStatus.PartiallyFilled, partial.Status);
        Assert.Equal(0.004m, partial.FilledQuantity);
        Assert.Single(await sim.GetOpenOrdersAsync("BTCUSDT"));

        sim.Trade("BTCUSDT", 94_800m, 1m);
        var done = await sim.GetOrderAsync("BTCUSDT", OrderRef.ByClientId("p1"));
        Assert.Equal(OrderStatus.Filled, done.Status);
        Assert.Equal([0.004m, 0.006m], done.Fills.Select(f => f.Quantity));
        Assert.All(done.Fills, f => Assert.Equal(94_900m, f.Price));
        Assert.Equal(0.01m, (await sim.GetPositionsAsync("BTCUSDT"))[0].Size);
    }

    [Fact]
    public async Task RoundTripPnlAndBalanceAreExactToTheCent()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_900m, 0.01m));
        sim.Trade("BTCUSDT", 94_900m, 1m);

        sim.SetMarket(95_400m);
        var open = await sim.GetAccountAsync();
        Assert.Equal(5.00m, open.UnrealizedPnl);
        Assert.Equal(10_000m - 0.1898m, open.WalletBalance);
        Assert.Equal(10_000m - 0.1898m + 5.00m, open.MarginBalance);
        Assert.Equal(10_000m - 0.1898m + 5.00m - (0.01m * 95_400m / 10), open.AvailableBalance);

        await sim.PlaceOrderAsync(Limit(OrderSide.Sell, 95_500m, 0.01m));
        sim.Trade("BTCUSDT", 95_500m, 1m);

        var closed = await sim.GetAccountAsync();
        var position = (await sim.GetPositionsAsync("BTCUSDT"))[0];
        Assert.Equal(0m, position.Size);
        Assert.Equal(6.00m, position.RealizedPnl);
        Assert.Equal(10_000m + 6.00m - 0.1898m - 0.1910m, closed.WalletBalance);
        Assert.Equal(10_005.62m, Math.Round(closed.WalletBalance, 2));
        Assert.Equal(10_005.6192m, await sim.GetBalanceAsync("USDT"));
    }

    [Fact]
    public async Task PostOnlyOrderThatWouldTakeLiquidityIsRefused()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        var crossing = Limit(OrderSide.Buy, 95_000m, 0.01m) with { PostOnly = true };
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => sim.PlaceOrderAsync(crossing));
        Assert.Equal(ExchangeErrorKind.PostOnlyRejected, ex.Kind);
        Assert.Empty(await sim.GetOpenOrdersAsync(null));

        var resting = await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_999.9m, 0.01m) with { TimeInForce = TimeInForce.Gtx });
        Assert.Equal(OrderStatus.New, resting.Status);
        Assert.True(resting.PostOnly);
    }

    [Fact]
    public async Task ReduceOnlyOrderCannotGrowThePosition()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        var flat = await Assert.ThrowsAsync<ExchangeException>(() =>
            sim.PlaceOrderAsync(Limit(OrderSide.Sell, 95_100m, 0.01m) with { ReduceOnly = true }));
        Assert.Equal(ExchangeErrorKind.ReduceOnlyRejected, flat.Kind);

        await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_900m, 0.01m));
        sim.Trade("BTCUSDT", 94_900m, 1m);
        sim.SetMarket(95_000m);
        await sim.PlaceOrderAsync(Limit(OrderSide.Sell, 95_100m, 0.02m, "ro") with { ReduceOnly = true });
        sim.Trade("BTCUSDT", 95_100m, 1m);

        var order = await sim.GetOrderAsync("BTCUSDT", OrderRef.ByClientId("ro"));
        Assert.Equal(OrderStatus.Canceled, order.Status);
        Assert.Equal(0.01m, order.FilledQuantity);
        Assert.Equal(0m, (await sim.GetPositionsAsync("BTCUSDT"))[0].Size);
    }

    [Fact]
    public async Task IocTakesWhatIsAvailableAndExpiresTheRestWhileFokTakesNothing()
    {
        var (sim, _) = Create(o => o.ImmediateLiquidityQuote = 500m);
        sim.SetMarket(95_000m);

        var ioc = await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 95_100m, 0.01m) with { TimeInForce = TimeInForce.Ioc });
        Assert.Equal(OrderStatus.Expired, ioc.Status);
        Assert.Equal(0.005m, ioc.FilledQuantity);
        Assert.Equal(95_000m, ioc.AveragePrice);
        Assert.False(Assert.Single(ioc.Fills).IsMaker);

        var fok = await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 95_100m, 0.01m) with { TimeInForce = TimeInForce.Fok });
        Assert.Equal(OrderStatus.Expired, fok.Status);
        Assert.Equal(0m, fok.FilledQuantity);
        Assert.Equal(0.005m, (await sim.GetPositionsAsync("BTCUSDT"))[0].Size);
        Assert.Empty(await sim.GetOpenOrdersAsync(null));
    }

    [Fact]
    public async Task MarketOrderFillsAtOnceWithSlippageAndTakerFee()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        var order = await sim.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.01m });

        Assert.Equal(OrderStatus.Filled, order.Status);
        Assert.Equal(95_047.5m, order.AveragePrice);
        Assert.Equal(0.4752375m, order.Fills[0].Fee);
        Assert.Equal(10_000m - 0.4752375m, await sim.GetBalanceAsync("USDT"));
    }

    [Theory]
    [InlineData("95000.05", "0.01", "not a multiple of the tick size 0.1")]
    [InlineData("95000", "0.0105", "not a multiple of the step size 0.001")]
    [InlineData("95000", "0.001", "below the minimum notional 100")]
    [InlineData("95000", "0", "must be positive")]
    public async Task InvalidPriceOrQuantityIsRefusedTheWayAVenueRefusesIt(string price, string quantity, string expected)
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() =>
            sim.PlaceOrderAsync(Limit(OrderSide.Buy, decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture), decimal.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task OrderBeyondTheAvailableMarginIsRefused()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_000m, 2m)));
        Assert.Equal(ExchangeErrorKind.InsufficientMargin, ex.Kind);
        Assert.Contains("insufficient margin", ex.Message);
        Assert.Empty(await sim.GetOpenOrdersAsync(null));
    }

    [Fact]
    public async Task ClientOrderIdIsUniqueAmongWorkingOrdersAndFreeAgainOnceFinished()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        var first = await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_000m, 0.01m, "same"));
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => sim.PlaceOrderAsync(Limit(OrderSide.Buy, 93_000m, 0.01m, "same")));
        Assert.Equal(ExchangeErrorKind.AlreadyExists, ex.Kind);

        await sim.CancelOrderAsync("BTCUSDT", OrderRef.ByExchangeId(first.ExchangeOrderId));
        var again = await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 93_000m, 0.01m, "same"));
        Assert.NotEqual(first.ExchangeOrderId, again.ExchangeOrderId);
        Assert.Equal(again.ExchangeOrderId, (await sim.GetOrderAsync("BTCUSDT", OrderRef.ByClientId("same"))).ExchangeOrderId);
    }

    [Fact]
    public async Task CancellingAFinishedOrderCountsAsDoneAndAnUnknownOneIsNotFound()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        var order = await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_900m, 0.01m));
        sim.Trade("BTCUSDT", 94_900m, 1m);
        await sim.CancelOrderAsync("BTCUSDT", OrderRef.ByExchangeId(order.ExchangeOrderId));
        Assert.Equal(OrderStatus.Filled, (await sim.GetOrderAsync("BTCUSDT", OrderRef.ByExchangeId(order.ExchangeOrderId))).Status);

        var ex = await Assert.ThrowsAsync<ExchangeException>(() => sim.CancelOrderAsync("BTCUSDT", OrderRef.ByExchangeId("42")));
        Assert.Equal(ExchangeErrorKind.NotFound, ex.Kind);
    }

    [Fact]
    public async Task EveryChangeIsPublishedInOrderOnTheOrderPositionAndAccountStreams()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        await using var orders = new StreamProbe<OrderUpdate>(ct => sim.SubscribeOrdersAsync(ct));
        await using var positions = new StreamProbe<Position>(ct => sim.SubscribePositionsAsync("BTCUSDT", ct));
        await using var accounts = new StreamProbe<Account>(ct => sim.SubscribeAccountAsync(ct));

        await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_900m, 0.01m, "seq"));
        sim.Trade("BTCUSDT", 94_900m, 0.004m);
        sim.Trade("BTCUSDT", 94_900m, 0.006m);

        var updates = await orders.WaitForAsync(3, "order updates");
        Assert.Equal([OrderStatus.New, OrderStatus.PartiallyFilled, OrderStatus.Filled], updates.Select(u => u.Status));
        Assert.Equal([0m, 0.004m, 0.01m], updates.Select(u => u.FilledQuantity));
        Assert.Equal([null, 0.004m, 0.006m], updates.Select(u => u.LastFill?.Quantity));
        Assert.All(updates, u => Assert.Equal("seq", u.ClientOrderId));

        var sizes = (await positions.WaitForAsync(2, "position updates")).Select(p => p.Size);
        Assert.Equal([0.004m, 0.01m], sizes);
        var wallets = (await accounts.WaitForAsync(2, "account updates")).Select(a => a.WalletBalance);
        Assert.Equal([10_000m - 0.07592m, 10_000m - 0.1898m], wallets);
    }
}
