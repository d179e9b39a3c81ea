using Microsoft.Extensions.DependencyInjection;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

[Collection(VenueCollection.Name)]
public sealed class ReconcilerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static string Db(string name) => Path.Combine(Path.GetTempPath(), $"opensqt-{name}-{Guid.NewGuid():N}.db");

    private static async Task ReconcileAsync(EngineHarness engine)
    {
        var run = await engine.Risk.TriggerReconciliationAsync(new() { Symbol = "BTCUSDT" });
        await Eventually.TrueAsync(async () => (await engine.Risk.GetReconciliationStatusAsync(new() { ReconciliationId = run.ReconciliationId })).Status != "running", Wait, "the reconciliation finishes");
    }

    [Fact]
    public async Task AnOrderWithTheEnginesPrefixNobodyTracksIsCancelledForeignOrdersAreLeftAloneAndALargePositionDivergenceOpensTheBreaker()
    {
        await using var connector = await ConnectorHost.StartAsync();
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("diverge")));
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");
        var prefix = (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT"))[0].ClientOrderId![..7];
        using var alerts = engine.RiskState.Alerts.Subscribe();

        // Someone else trades the account: a resting order and a position the engine never made. And an order with the
        // engine's own prefix it has no record of (a lost place of an earlier run).
        var foreign = await connector.Exchange.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Quantity = 0.002m, Price = anchor - 1000m, ClientOrderId = "manual1" });
        var lost = await connector.Exchange.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Quantity = 0.002m, Price = anchor - 1100m,
            ClientOrderId = OpenSqt.MarketMaker.Strategy.ClientOrderId.Create(prefix[..4], prefix[4..], OpenSqt.MarketMaker.Strategy.OrderRole.OpenLong, -11, 999_999) });
        await connector.Exchange.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.01m });
        await ReconcileAsync(engine);

        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOrderAsync("BTCUSDT", OrderRef.ByExchangeId(lost.ExchangeOrderId))).Status == OrderStatus.Canceled, Wait, "the engine's untracked order is cancelled");
        Assert.Equal(OrderStatus.New, (await connector.Exchange.GetOrderAsync("BTCUSDT", OrderRef.ByExchangeId(foreign.ExchangeOrderId))).Status);
        using var timeout = new CancellationTokenSource(Wait);
        await foreach (var alert in alerts.ReadAllAsync(timeout.Token))
        {
            if (alert.Type == "foreign_order")
            {
                Assert.Contains(foreign.ExchangeOrderId, alert.Message, StringComparison.Ordinal);
                Assert.Contains("left alone", alert.Message, StringComparison.Ordinal);
                break;
            }
        }

        var breaker = (await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status;
        Assert.True(breaker.IsOpen);
        Assert.Contains("position divergence on BTCUSDT: local 0, venue 0.01", breaker.Reason, StringComparison.Ordinal);
        Assert.Equal(0m, engine.Host.Engines["BTCUSDT"].Snapshot.Position);

        // Operators closing the breaker or another reconciliation never touch the foreign order.
        await ReconcileAsync(engine);
        Assert.Equal(OrderStatus.New, (await connector.Exchange.GetOrderAsync("BTCUSDT", OrderRef.ByExchangeId(foreign.ExchangeOrderId))).Status);
    }

    [Fact]
    public async Task ASmallPositionDifferenceIsCorrectedLocally()
    {
        await using var connector = await ConnectorHost.StartAsync();
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("correct"), buyWindow: 25));
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 25, Wait, "25 buys work");
        for (var k = 1; k <= 25; k++)
        {
            connector.Sim.Trade("BTCUSDT", anchor - (k * 100m), 1m);
        }

        var venue = 0m;
        await Eventually.TrueAsync(async () => (venue = (await connector.Exchange.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size)) >= 0.05m && engine.Host.Engines["BTCUSDT"].Snapshot.Position == venue, Wait, "25 buys are booked");

        // 0.002 less on the venue than in the engine (4 %): corrected locally, no breaker.
        await connector.Exchange.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Sell, Type = OrderType.Market, Quantity = 0.002m });
        await ReconcileAsync(engine);
        Assert.Equal(venue - 0.002m, engine.Host.Engines["BTCUSDT"].Snapshot.Position);
        Assert.False((await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status.IsOpen);
    }

    [Fact]
    public async Task APositionFoundOnTheVenueAtAFreshStartIsSpreadOverSellSlots()
    {
        await using var connector = await ConnectorHost.StartAsync();
        await connector.Exchange.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.005m });
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("restore")));
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        Assert.Equal(0.005m, engine.Host.Engines["BTCUSDT"].Snapshot.Position);
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Sell) == 2, Wait, "the restored slots' sells work");
        var sells = (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Where(o => o.Side == OrderSide.Sell).OrderBy(o => o.Price).ToArray();
        Assert.Equal([anchor + 200m, anchor + 300m], sells.Select(s => s.Price).ToArray());
        Assert.All(sells, s => Assert.True(s.ReduceOnly));
        Assert.False((await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status.IsOpen);
    }

    [Fact]
    public async Task ResettingStateAtStartForgetsASimRunWhoseVenueStateIsGoneButIsRefusedAgainstAnyOtherVenue()
    {
        var state = Db("reset");
        await using (var first = await ConnectorHost.StartAsync())
        {
            await using var engine = await EngineHarness.StartAsync(first, EngineHarness.BtcGrid(state));
            var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
            await Eventually.TrueAsync(async () => (await first.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");
            first.Sim.Trade("BTCUSDT", anchor - 100m, 1m);
            await Eventually.TrueAsync(() => engine.Host.Engines["BTCUSDT"].Snapshot.Position > 0, Wait, "a position is saved");
        }

        // A new sim knows nothing of that position: without the reset the saved position reads as a divergence.
        await using var second = await ConnectorHost.StartAsync();
        var settings = EngineHarness.BtcGrid(state);
        settings["MarketMaker:ResetStateOnStart"] = "true";
        await using (var engine = await EngineHarness.StartAsync(second, settings))
        {
            Assert.Equal(0m, engine.Host.Engines["BTCUSDT"].Snapshot.Position);
            Assert.False((await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status.IsOpen);
            await Eventually.TrueAsync(async () => (await second.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "the fresh grid trades");
        }

        await using var third = await ConnectorHost.StartAsync();
        await using var refused = await EngineHarness.StartAsync(third, settings, waitReady: false, configure: services =>
            services.AddSingleton(sp => ExchangeInterceptor.Create(sp.GetRequiredService<RemoteExchange>())));
        await Eventually.TrueAsync(() => refused.RiskState.FatalError is not null, Wait, "the engine refuses to start");
        Assert.Contains("MarketMaker:ResetStateOnStart is only allowed against the sim venue, not remote", refused.RiskState.FatalError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStateInMemoryIsRefusedAgainstAnyVenueButTheSim()
    {
        // Both switches of the replay set by code, as only the replay does, but against a venue that is not the sim.
        await using var connector = await ConnectorHost.StartAsync();
        await using var refused = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("memory")), waitReady: false, configure: services =>
        {
            services.AddSingleton(sp => ExchangeInterceptor.Create(sp.GetRequiredService<RemoteExchange>()));
            services.PostConfigure<OpenSqt.MarketMaker.Options.MarketMakerOptions>(o =>
            {
                o.InlineWriter = true;
                o.InMemoryState = $"opensqt-replay-{Guid.NewGuid():N}";
            });
        });
        await Eventually.TrueAsync(() => refused.RiskState.FatalError is not null, Wait, "the engine refuses to start");
        Assert.Contains("MarketMaker:InMemoryState (the replay's state in memory) is only allowed against the sim venue, not remote", refused.RiskState.FatalError, StringComparison.Ordinal);
        Assert.Empty(await connector.Exchange.GetOpenOrdersAsync("BTCUSDT"));
    }
}
