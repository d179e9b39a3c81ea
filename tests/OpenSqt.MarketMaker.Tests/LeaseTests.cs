using Microsoft.Extensions.DependencyInjection;
using OpenSqt.Contracts;
using OpenSqt.ExchangeConnector.Safety;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>
/// Issue 14, level 2 through the real connector and sim: the engine's lease at the connector. The engine holds one while
/// it trades; killed with SIGKILL, its orders are cancelled within the lease time plus one check, and only its own.
/// </summary>
[Collection(VenueCollection.Name)]
public sealed class LeaseTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string StatePath() => Path.Combine(Path.GetTempPath(), $"opensqt-lease-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task TheEngineTradesUnderALeaseAndAGracefulStopReleasesItWithoutTheLeasePathCancellingAnything()
    {
        await using var connector = await ConnectorHost.StartAsync();
        connector.Sim.Trade("BTCUSDT", 95_000m, 1m);
        var safety = connector.Services.GetRequiredService<ConnectorSafety>();
        var settings = EngineHarness.BtcGrid(StatePath());
        settings["MarketMaker:LeaseSeconds"] = "10";
        await using (var engine = await EngineHarness.StartAsync(connector, settings))
        {
            var lease = Assert.Single(safety.Leases.Live);
            Assert.Equal(("market-maker", TimeSpan.FromSeconds(10)), (lease.ClientName, lease.Ttl));
            // Ready is the first reconciliation; the grid's orders follow it.
            await Eventually.TrueAsync(async () => (await connector.Sim.GetOpenOrdersAsync("BTCUSDT")).Count > 0, Wait, "the engine's grid orders work");
            var orders = await connector.Sim.GetOpenOrdersAsync("BTCUSDT");
            Assert.NotEmpty(orders);
            Assert.All(orders, o => Assert.StartsWith(lease.Prefix, o.ClientOrderId, StringComparison.Ordinal));
            await engine.StopAsync();
        }

        var status = safety.Status();
        Assert.Empty(status.Leases);
        Assert.Equal((0L, 0L), (status.LapsedLeases, status.OrdersCancelledByLapse));
    }

    [Fact]
    public async Task ALeaseShorterThanFiveSecondsStopsTheEngineAtStartNamingTheKey()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var settings = EngineHarness.BtcGrid(StatePath());
        settings["MarketMaker:LeaseSeconds"] = "2";
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => EngineHarness.StartAsync(connector, settings));
        Assert.Contains("LeaseSeconds", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEngineKilledWithSigkillHasItsOrdersCancelledWithinTheLeaseAndAnotherClientsOrdersStay()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        sim.Trade("BTCUSDT", 95_000m, 1m);
        var safety = connector.Services.GetRequiredService<ConnectorSafety>();

        // Another client of the same connector, with its own prefix and lease.
        safety.Acquire("other", "another bot", 3600);
        await sim.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, TimeInForce = TimeInForce.Gtc, Price = 90_000m, Quantity = 0.002m, ClientOrderId = "other1" });

        var engine = EngineProcess.Start(new Dictionary<string, string>
        {
            ["RemoteExchange:Address"] = connector.GrpcAddress.ToString(),
            ["MarketMaker:StatePath"] = StatePath(),
            ["MarketMaker:LeaseSeconds"] = "5",
            ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
            ["MarketMaker:Symbols:0:PriceInterval"] = "100",
            ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
            ["MarketMaker:Symbols:0:BuyWindowSize"] = "3",
            ["MarketMaker:Throttle"] = "00:00:00",
            ["MarketMaker:RiskControl:Enabled"] = "false",
        });
        string prefix;
        try
        {
            await engine.WaitHealthyAsync(Wait);
            await Eventually.TrueAsync(() => safety.Leases.Live.Any(l => l.ClientName == "market-maker"), Wait, "the engine took its lease");
            prefix = safety.Leases.Live.Single(l => l.ClientName == "market-maker").Prefix;
            await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.ClientOrderId!.StartsWith(prefix, StringComparison.Ordinal)) == 3, Wait, "the engine's three buys work");
        }
        finally
        {
            await engine.KillAsync();
        }

        // Nothing cancels them while the lease is still live ...
        var killedAt = DateTimeOffset.UtcNow;
        Assert.Equal(3, (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.ClientOrderId!.StartsWith(prefix, StringComparison.Ordinal)));

        // ... and within the lease (5 s) plus a renewal period and one check, the connector has cancelled them.
        await Eventually.TrueAsync(async () => !(await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.ClientOrderId!.StartsWith(prefix, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(5 + 2 + 1 + 5), "the killed engine's orders were cancelled by its lapsed lease");
        Assert.InRange(DateTimeOffset.UtcNow - killedAt, TimeSpan.Zero, TimeSpan.FromSeconds(5 + 2 + 1 + 5));
        Assert.Contains(await sim.GetOpenOrdersAsync("BTCUSDT"), o => o.ClientOrderId == "other1");
        Assert.Equal((1L, 3L), (safety.Status().LapsedLeases, safety.Status().OrdersCancelledByLapse));
    }
}
