using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bybit;

namespace OpenSqt.Exchanges.Tests.Bybit;

/// <summary>
/// Issue 14 level 1 on Bybit: its disconnection protection (DCP). Arming checks that the account has it, sets the
/// DERIVATIVES window and subscribes the private stream to <c>dcp.future</c>; the simulator cancels every order once
/// every subscribed connection has been dead for the window, and a connection back in time keeps them. It runs on the
/// wall clock, so the windows are short.
/// </summary>
public sealed class BybitDeadMansSwitchTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string Symbol = "BTCUSDT";
    private const string SetPath = "/v5/order/disconnected-cancel-all";
    private const string InfoPath = "/v5/account/query-dcp-info";

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
    public async Task ArmingSetsTheWindowOnceSubscribesTheStreamAndDisarmingUnsubscribes()
    {
        await using var sim = await BybitSimulator.StartAsync();
        var exchange = BybitConformanceTests.CreateBybit(sim);
        IVenueDeadMansSwitch dms = exchange;
        Assert.Equal((DeadMansSwitchScope.Account, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(300)), (dms.Scope, dms.MinimumTimeout, dms.MaximumTimeout));
        Assert.Equal(10, sim.DcpWindowSeconds);

        await dms.ArmAsync(null, TimeSpan.FromSeconds(60));
        Assert.Equal(60, sim.DcpWindowSeconds);
        Assert.Equal(1, sim.DcpSubscribers);
        Assert.True(exchange.UserStream.DisconnectProtectionSubscribed);

        // The body as sent, byte for byte (the simulator has checked the signature over timestamp, key, window and body).
        var set = sim.Journal.All.Single(r => r.Path == SetPath);
        Assert.Equal(("POST", 200, "{\"product\":\"DERIVATIVES\",\"timeWindow\":60}"), (set.Method, set.Status, set.Body));

        // A refresh confirms the subscription; the window is set already, so nothing more goes over REST.
        await dms.ArmAsync(null, TimeSpan.FromSeconds(60));
        Assert.Equal(1, sim.Journal.All.Count(r => r.Path == InfoPath));
        Assert.Equal(1, sim.DcpSetCalls);

        // Disarmed: the connection no longer counts, so closing it starts no window.
        await dms.DisarmAsync(null);
        Assert.Equal(0, sim.DcpSubscribers);
        Assert.False(exchange.UserStream.DisconnectProtectionSubscribed);
        await exchange.DisposeAsync();
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady == 0, Timeout, "the private stream closed");
        Assert.Null(sim.DcpFiresAt);
    }

    [Fact]
    public async Task AnAccountWithoutDcpIsRefusedWithTheReasonAndNothingIsSet()
    {
        await using var sim = await BybitSimulator.StartAsync();
        sim.DcpEnabled = false;
        await using var exchange = BybitConformanceTests.CreateBybit(sim);

        var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.ArmAsync(null, TimeSpan.FromSeconds(60)));
        Assert.Equal(ExchangeErrorKind.PermissionDenied, ex.Kind);
        Assert.Contains("not enabled for DERIVATIVES", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, sim.DcpSetCalls);
        Assert.Equal(0, sim.DcpSubscribers);
    }

    [Fact]
    public async Task AConnectionBackInTimeKeepsTheOrdersAndADeadOneLetsBybitCancelThemAfterTheWindow()
    {
        await using var sim = await BybitSimulator.StartAsync();
        var exchange = BybitConformanceTests.CreateBybit(sim, new Dictionary<string, string> { ["ReconnectInitialDelay"] = "00:00:00.100" });
        var window = TimeSpan.FromSeconds(3);
        try
        {
            await using var updates = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
            await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private topics are subscribed");
            var last = await sim.Engine.GetLatestPriceAsync(Symbol);
            await exchange.PlaceOrderAsync(Limit(last - 1000m, "dcp1"));
            await exchange.PlaceOrderAsync(Limit(last - 1001m, "dcp2"));
            await exchange.ArmAsync(null, window);

            // The connection dies; the stream reconnects and subscribes dcp.future again well inside the window.
            var connections = sim.ConnectionsAccepted;
            await sim.DropAllConnectionsAsync();
            await Eventually.TrueAsync(() => sim.ConnectionsAccepted > connections && sim.DcpSubscribers == 1, Timeout, "the stream came back subscribed to dcp.future");
            Assert.Null(sim.DcpFiresAt);
            Assert.Equal(0, sim.DcpFirings);
            Assert.Equal(2, (await exchange.GetOpenOrdersAsync(Symbol)).Count);
        }
        finally
        {
            // Gone without disarming, as a killed connector: the venue cancels every order once the window passes.
            await exchange.DisposeAsync();
        }

        await Eventually.TrueAsync(() => sim.DcpFiresAt is not null, Timeout, "the last subscribed connection died and the window started");
        var firesAt = sim.DcpFiresAt!.Value;
        await Eventually.TrueAsync(async () => (await sim.Engine.GetOpenOrdersAsync(Symbol)).Count == 0, Timeout, "Bybit cancelled every order after the window");
        Assert.True(sim.Clock.GetUtcNow() >= firesAt, "not before the window ran out");
        Assert.Equal(1, sim.DcpFirings);
    }
}
