using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bitget;

namespace OpenSqt.Exchanges.Tests.Bitget;

/// <summary>
/// The venue-layer rules (issue 12, sections 2 and 4) on Bitget: a live order is never reported as failed, a 429 without
/// Retry-After, a 120-order open list, an unknown status, a position on an unlisted contract, a cancel of an unknown order.
/// </summary>
public sealed class BitgetVenueRulesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Symbol = "BTCUSDT";
    private const string DetailPath = "/api/v2/mix/order/detail";
    private const string PlacePath = "/api/v2/mix/order/place-order";

    [Fact]
    public async Task ReadBackFailureAfterAPlaceReportsTheOrderAccepted()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        sim.RefuseWithoutRetryAfter(DetailPath, 1);
        var placed = await bitget.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 700m, Quantity = 0.002m, ClientOrderId = "rb1" });
        Assert.Equal(OrderStatus.New, placed.Status);
        Assert.Equal("rb1", placed.ClientOrderId);
        Assert.Equal(last - 700m, placed.Price);
        Assert.Equal(0.002m, placed.Quantity);
        var live = Assert.Single(await sim.Engine.GetOpenOrdersAsync(Symbol));
        Assert.Equal(live.ExchangeOrderId, placed.ExchangeOrderId);
        Assert.Equal(1, sim.Journal.Count("POST", PlacePath));
        Assert.Equal(429, sim.Journal.All.Single(r => r.Path == DetailPath).Status);
    }

    [Fact]
    public async Task RateLimitWithoutRetryAfterIsATransientRefusalAndIsNotResent()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await bitget.GetOpenOrdersAsync(Symbol);
        sim.RefuseWithoutRetryAfter(PlacePath, 1);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => bitget.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 700m, Quantity = 0.002m, ClientOrderId = "rl1" }));
        Assert.Equal(ExchangeErrorKind.RateLimited, ex.Kind);
        Assert.True(ex.IsTransient);
        Assert.Equal(1, sim.Journal.Count("POST", PlacePath));
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync(Symbol));
        Assert.Equal(0, sim.RateLimiter.Bans);
    }

    [Fact]
    public async Task OpenOrdersPageThroughAllHundredAndTwenty()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        for (var i = 0; i < 120; i++)
        {
            await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 1000m - i, Quantity = 0.002m, ClientOrderId = $"p{i}" });
        }

        var open = await bitget.GetOpenOrdersAsync(Symbol);
        Assert.Equal(120, open.Select(o => o.ClientOrderId).Distinct().Count());
        var pages = sim.Journal.All.Where(r => r.Path == "/api/v2/mix/order/orders-pending").ToList();
        Assert.Equal(2, pages.Count);
        Assert.DoesNotContain("idLessThan", pages[0].RawQuery, StringComparison.Ordinal);
        Assert.Contains("idLessThan=", pages[1].RawQuery, StringComparison.Ordinal);
        Assert.Equal(120, (await bitget.GetOpenOrdersAsync(null)).Count);
    }

    [Fact]
    public async Task OrderWithAnUnknownStatusIsSkippedCountedAndTheRestStands()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        await using var orders = new StreamRecorder<OrderUpdate>(bitget.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is logged in");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        sim.WireStatusOverrides["odd1"] = "queued_for_auction";
        await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 800m, Quantity = 0.002m, ClientOrderId = "odd1" });
        await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 801m, Quantity = 0.002m, ClientOrderId = "fine1" });
        await orders.WaitForAsync(u => u.ClientOrderId == "fine1", "the known order after the unknown one on the stream");
        Assert.DoesNotContain(orders.Items, u => u.ClientOrderId == "odd1");
        var open = await bitget.GetOpenOrdersAsync(Symbol);
        Assert.Equal("fine1", Assert.Single(open).ClientOrderId);
        Assert.True(bitget.Unknowns.Of("status") >= 2, $"unknown statuses counted: {bitget.Unknowns.Of("status")}");
    }

    [Fact]
    public async Task PositionOnAContractNotListedIsSkipped()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        sim.UnlistedPositions["DELISTEDUSDT"] = 5m;
        await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.002m, ClientOrderId = "held1" });
        var positions = await bitget.GetPositionsAsync(null);
        Assert.Equal(Symbol, Assert.Single(positions).Symbol);
        var account = await bitget.GetAccountAsync();
        Assert.Equal(Symbol, Assert.Single(account.Positions).Symbol);
    }

    [Fact]
    public async Task CancelOfAnUnknownOrderIsNotFoundAndOfAFinishedOneIsOk()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        var byId = await Assert.ThrowsAsync<ExchangeException>(() => bitget.CancelOrderAsync(Symbol, OrderRef.ByExchangeId("123456789")));
        Assert.Equal(ExchangeErrorKind.NotFound, byId.Kind);
        var byClientId = await Assert.ThrowsAsync<ExchangeException>(() => bitget.CancelOrderAsync(Symbol, OrderRef.ByClientId("neverPlaced")));
        Assert.Equal(ExchangeErrorKind.NotFound, byClientId.Kind);
        var filled = await bitget.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.002m, ClientOrderId = "done1" });
        await bitget.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(filled.ExchangeOrderId));
        var errors = await bitget.BatchCancelOrdersAsync(Symbol, [filled.ExchangeOrderId, "987654321"]);
        var unknown = Assert.Single(errors);
        Assert.Equal("987654321", unknown.ExchangeOrderId);
        Assert.Equal(1, unknown.Index);
        Assert.Equal(ExchangeErrorKind.NotFound, unknown.Kind);
    }

    [Fact]
    public async Task BatchWhoseSecondCallIsRateLimitedReportsThoseItemsAndKeepsThePlacedOnes()
    {
        // Bitget charges a batch as one call of batch-place-order (5/s), not per order; a 429 refuses the whole call.
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await bitget.GetOpenOrdersAsync(Symbol);
        sim.RefuseWithoutRetryAfter("/api/v2/mix/order/batch-place-order", 1, after: 1);
        var requests = Enumerable.Range(0, 30)
            .Select(i => new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 1000m - i, Quantity = 0.002m, ClientOrderId = $"b{i}" })
            .ToList();
        var result = await bitget.BatchPlaceOrdersAsync(requests);
        Assert.Equal(20, result.Orders.Count);
        Assert.Equal(Enumerable.Range(20, 10), result.Errors.Select(e => e.Index));
        Assert.All(result.Errors, e => Assert.Equal(ExchangeErrorKind.RateLimited, e.Kind));
        Assert.Equal(20, (await sim.Engine.GetOpenOrdersAsync(Symbol)).Count);
        Assert.Equal(result.Orders.Select(o => o.ExchangeOrderId).Order(), (await sim.Engine.GetOpenOrdersAsync(Symbol)).Select(o => o.ExchangeOrderId).Order());
    }
}
