using System.Text.RegularExpressions;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Binance;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Binance;

namespace OpenSqt.Exchanges.Tests.Binance;

/// <summary>
/// Issue 14 level 1 on Binance USDT-M: the connector arms <c>POST /fapi/v1/countdownCancelAll</c> per symbol, a refresh
/// keeps the orders alive past the countdown, and without one the simulator cancels every open order of the symbol and
/// pushes the cancels on the user stream. The simulator runs on the wall clock, so the countdown is the shortest the
/// connector accepts.
/// </summary>
public sealed partial class BinanceDeadMansSwitchTests
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

    [GeneratedRegex("^symbol=BTCUSDT&countdownTime=(?<ms>[0-9]+)&recvWindow=5000&timestamp=[0-9]{13}$")]
    private static partial Regex CountdownQuery();

    [Fact]
    public async Task TheArmedCountdownIsSignedPerSymbolAndZeroStopsIt()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        IVenueDeadMansSwitch dms = exchange;
        Assert.Equal(DeadMansSwitchScope.Symbol, dms.Scope);
        Assert.Equal(TimeSpan.FromSeconds(5), dms.MinimumTimeout);

        await dms.ArmAsync(Symbol, TimeSpan.FromSeconds(60));
        var firesAt = sim.CountdownFiresAt(Symbol);
        Assert.NotNull(firesAt);
        Assert.InRange(firesAt.Value - sim.Clock.GetUtcNow(), TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(60));

        // The request as sent, byte for byte: symbol and countdownTime in that order, then recvWindow, timestamp and
        // the HMAC-SHA256 of everything before it (the simulator has already checked that signature with its secret).
        var request = sim.Journal.All.Single(r => r.Path == "/fapi/v1/countdownCancelAll");
        Assert.Equal(("POST", 200, ""), (request.Method, request.Status, request.Body));
        var signatureAt = request.RawQuery.IndexOf("&signature=", StringComparison.Ordinal);
        var signed = request.RawQuery[..signatureAt];
        var match = CountdownQuery().Match(signed);
        Assert.True(match.Success, request.RawQuery);
        Assert.Equal("60000", match.Groups["ms"].Value);
        Assert.Equal(BinanceSigner.Sign(BinanceSimulator.DefaultApiSecret, signed), request.RawQuery[(signatureAt + "&signature=".Length)..]);

        await dms.DisarmAsync(null);
        Assert.Null(sim.CountdownFiresAt(Symbol));
        Assert.StartsWith("symbol=BTCUSDT&countdownTime=0&", sim.Journal.All.Last(r => r.Path == "/fapi/v1/countdownCancelAll").RawQuery, StringComparison.Ordinal);
        Assert.Equal(2, sim.CountdownCalls);
    }

    [Fact]
    public async Task RefreshingKeepsOrdersPastTheCountdownAndSilenceLetsTheVenueCancelThem()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        await using var updates = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the user stream is connected");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var countdown = TimeSpan.FromSeconds(5);
        await exchange.PlaceOrderAsync(Limit(last - 1000m, "dms1"));
        await exchange.PlaceOrderAsync(Limit(last - 1001m, "dms2"));
        await exchange.ArmAsync(Symbol, countdown);

        // Refreshed every quarter of the countdown for twice its length: the venue never fires.
        var until = sim.Clock.GetUtcNow() + countdown * 2;
        while (sim.Clock.GetUtcNow() < until)
        {
            await Task.Delay(countdown / 4);
            await exchange.ArmAsync(Symbol, countdown);
        }

        Assert.Equal(0, sim.CountdownFirings);
        Assert.Equal(2, (await exchange.GetOpenOrdersAsync(Symbol)).Count);

        // Silence: once the countdown runs out the venue cancels both orders and pushes each cancel.
        var lastRefresh = sim.Clock.GetUtcNow();
        await updates.WaitForAsync(u => u.ClientOrderId == "dms1" && u.Status == OrderStatus.Canceled, "the venue's cancel of dms1 on the user stream");
        await updates.WaitForAsync(u => u.ClientOrderId == "dms2" && u.Status == OrderStatus.Canceled, "the venue's cancel of dms2 on the user stream");
        Assert.True(sim.Clock.GetUtcNow() - lastRefresh >= countdown - TimeSpan.FromMilliseconds(50), "not before the countdown ran out");
        Assert.Equal(1, sim.CountdownFirings);
        Assert.Empty(await exchange.GetOpenOrdersAsync(Symbol));
        Assert.Null(sim.CountdownFiresAt(Symbol));
    }

    [Fact]
    public async Task ACountdownWithoutASymbolIsRefusedBeforeAnyCall()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.ArmAsync(null, TimeSpan.FromSeconds(30)));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal(0, sim.Journal.Count("POST", "/fapi/v1/countdownCancelAll"));
    }
}
