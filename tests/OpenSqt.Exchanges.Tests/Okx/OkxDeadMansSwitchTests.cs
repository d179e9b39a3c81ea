using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Okx;

namespace OpenSqt.Exchanges.Tests.Okx;

/// <summary>
/// Issue 14 level 1 on OKX: the connector arms <c>POST /api/v5/trade/cancel-all-after</c> for the account, a reset
/// keeps the orders alive past the countdown, and without one the simulator cancels every pending order and pushes the
/// cancels on the orders channel. The simulator runs on the wall clock, so the countdown is OKX's shortest, 10 s.
/// </summary>
public sealed class OkxDeadMansSwitchTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string Symbol = "BTCUSDT";

    private static OrderRequest Limit(decimal price, string clientId) => new()
    {
        Symbol = Symbol,
        Side = OrderSide.Buy,
        Type = OrderType.Limit,
        Price = price,
        Quantity = 0.002m,
        ClientOrderId = clientId,
    };

    [Fact]
    public async Task TheArmedCountdownIsSignedForTheAccountAndZeroStopsIt()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        IVenueDeadMansSwitch dms = exchange;
        Assert.Equal((DeadMansSwitchScope.Account, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(120)), (dms.Scope, dms.MinimumTimeout, dms.MaximumTimeout));

        await dms.ArmAsync(null, TimeSpan.FromSeconds(60));
        var firesAt = sim.CountdownFiresAt;
        Assert.NotNull(firesAt);
        Assert.InRange(firesAt.Value - sim.Clock.GetUtcNow(), TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(60));

        // The body as sent, byte for byte (the simulator has checked its OK-ACCESS-SIGN over timestamp, method, path and body).
        var request = sim.Journal.All.Single(r => r.Path == "/api/v5/trade/cancel-all-after");
        Assert.Equal(("POST", 200, "{\"timeOut\":\"60\"}"), (request.Method, request.Status, request.Body));

        await dms.DisarmAsync(null);
        Assert.Null(sim.CountdownFiresAt);
        Assert.Equal("{\"timeOut\":\"0\"}", sim.Journal.All.Last(r => r.Path == "/api/v5/trade/cancel-all-after").Body);
        Assert.Equal(2, sim.CountdownCalls);
    }

    [Fact]
    public async Task RefreshingKeepsOrdersPastTheCountdownAndSilenceLetsTheVenueCancelThem()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        await using var updates = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is connected");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var countdown = TimeSpan.FromSeconds(10);
        await exchange.PlaceOrderAsync(Limit(last - 1000m, "dms1"));
        await exchange.PlaceOrderAsync(Limit(last - 1001m, "dms2"));
        await exchange.ArmAsync(null, countdown);

        // Reset every quarter of the countdown for one and a half of its length: the venue never fires.
        var until = sim.Clock.GetUtcNow() + countdown * 1.5;
        while (sim.Clock.GetUtcNow() < until)
        {
            await Task.Delay(countdown / 4);
            await exchange.ArmAsync(null, countdown);
        }

        Assert.Equal(0, sim.CountdownFirings);
        Assert.Equal(2, (await exchange.GetOpenOrdersAsync(Symbol)).Count);

        // Silence: once the countdown runs out the venue cancels both orders and pushes each cancel.
        var lastReset = sim.Clock.GetUtcNow();
        await updates.WaitForAsync(u => u.ClientOrderId == "dms1" && u.Status == OrderStatus.Canceled, "the venue's cancel of dms1 on the orders channel", Timeout);
        await updates.WaitForAsync(u => u.ClientOrderId == "dms2" && u.Status == OrderStatus.Canceled, "the venue's cancel of dms2 on the orders channel", Timeout);
        Assert.True(sim.Clock.GetUtcNow() - lastReset >= countdown - TimeSpan.FromMilliseconds(50), "not before the countdown ran out");
        Assert.Equal(1, sim.CountdownFirings);
        Assert.Empty(await exchange.GetOpenOrdersAsync(Symbol));
    }

    [Fact]
    public async Task ACountdownOutsideTheDocumentedRangeIsRefusedByTheVenue()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.ArmAsync(null, TimeSpan.FromSeconds(5)));
        Assert.Equal("51000", ex.VenueCode);
        Assert.Null(sim.CountdownFiresAt);
    }
}
