using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>Trading states, limits, the drawdown stop and stale prices, through the real connector and the sim.</summary>
[Collection(VenueCollection.Name)]
public sealed class TradingStateTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static string Db(string name) => Path.Combine(Path.GetTempPath(), $"opensqt-{name}-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task AnOperatorHaltWithALongPositionCancelsTheBuysKeepsTheCloseWorkingAndPlacesNewCloses()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("halt")));
        var btc = engine.Host.Engines["BTCUSDT"];
        var anchor = btc.Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Buy) == 3, Wait, "three buys work");
        sim.Trade("BTCUSDT", anchor - 100m, 1m);
        var close = await Eventually2.UntilAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).FirstOrDefault(o => o.Side == OrderSide.Sell), o => o is not null, Wait, "the take-profit sell works");

        var opened = await engine.Risk.OpenCircuitBreakerAsync(new() { Symbol = "BTCUSDT", Reason = "maintenance" });
        Assert.True(opened.Success, opened.Message);
        var status = (await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status;
        Assert.Equal("HALTED", status.TradingState);
        Assert.Equal("Operator", status.Trigger);
        await Eventually.TrueAsync(async () => !(await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Buy), Wait, "the working buys are cancelled");
        Assert.Equal(close!.ClientOrderId, Assert.Single(await sim.GetOpenOrdersAsync("BTCUSDT")).ClientOrderId);

        // A tick while halted places no buy; the close keeps working.
        sim.Trade("BTCUSDT", anchor - 50m, 0.001m);
        await Eventually.TrueAsync(() => btc.LastPrice == anchor - 50m, Wait, "the engine saw the tick");
        await engine.DecidedAsync(Wait);
        Assert.DoesNotContain(btc.Snapshot.OpenOrders, o => o.Side == OrderSide.Buy);
        Assert.Equal(close.ClientOrderId, Assert.Single(await sim.GetOpenOrdersAsync("BTCUSDT")).ClientOrderId);
        using (var http = new HttpClient { BaseAddress = engine.HttpAddress })
        {
            Assert.Contains("circuit breaker open on BTCUSDT (HALTED)", await http.GetStringAsync("/health"), StringComparison.Ordinal);
        }

        // Someone cancels the close on the venue: the halted engine places a new one for the position, still no buy.
        await connector.Exchange.CancelOrderAsync("BTCUSDT", OrderRef.ByClientId(close.ClientOrderId!));
        var replaced = await Eventually2.UntilAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).FirstOrDefault(o => o.Side == OrderSide.Sell), o => o is not null && o.ClientOrderId != close.ClientOrderId, Wait, "a new close is placed while halted");
        Assert.True(replaced!.ReduceOnly);
        Assert.Equal(anchor, replaced.Price);
        Assert.Equal(btc.Snapshot.Position, replaced.Quantity);
        await engine.DecidedAsync(Wait);
        Assert.DoesNotContain(await sim.GetOpenOrdersAsync("BTCUSDT"), o => o.Side == OrderSide.Buy);
        var metrics = (await engine.Risk.GetRiskMetricsAsync(new())).Metrics.Single();
        Assert.Equal("HALTED", metrics.TradingState);
        Assert.True(metrics.LimitBreach);
        Assert.Equal("HALTED", (await engine.Risk.GetCircuitBreakerStatusAsync(new())).Status.TradingState);

        var unknown = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await engine.Risk.OpenCircuitBreakerAsync(new() { Symbol = "DOGEUSDT" }));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, unknown.StatusCode);

        // The operator's reset resumes buying.
        Assert.True((await engine.Risk.CloseCircuitBreakerAsync(new() { Symbol = "BTCUSDT" })).Success);
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Buy), Wait, "buys resume after the reset");
    }

    [Fact]
    public async Task APositionLimitFromConfigurationStopsTheShortSideInNeutralModeWhileTheLongSideTrades()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        var settings = EngineHarness.BtcGrid(Db("short-limit"));
        settings["MarketMaker:Symbols:0:GridMode"] = "Neutral";
        settings["MarketMaker:Symbols:0:MaxPositionSize"] = "0.002";
        await using var engine = await EngineHarness.StartAsync(connector, settings);
        var btc = engine.Host.Engines["BTCUSDT"];
        var anchor = btc.Snapshot.Anchor!.Value;
        // Working openings count against the limit: one buy and one opening sell of 0.002 each, not three.
        await Eventually.TrueAsync(async () =>
        {
            var open = await sim.GetOpenOrdersAsync("BTCUSDT");
            return open.Count(o => o.Side == OrderSide.Buy) == 1 && open.Count(o => o.Side == OrderSide.Sell) == 1;
        }, Wait, "one buy and one opening sell work");
        await engine.DecidedAsync(Wait);
        Assert.Equal(2, (await sim.GetOpenOrdersAsync("BTCUSDT")).Count);

        // The opening sell fills: the short is at the limit, no opening sell comes back, the close (a buy) comes.
        sim.Trade("BTCUSDT", anchor + 100m, 1m);
        await Eventually.TrueAsync(async () =>
        {
            var open = await sim.GetOpenOrdersAsync("BTCUSDT");
            return btc.Snapshot.Position == -0.002m && !open.Any(o => o.Side == OrderSide.Sell) && open.Any(o => o.Side == OrderSide.Buy && o.Price == anchor);
        }, Wait, "the short side stops at 0.002 and its close works");
        Assert.Equal(-0.002m, (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size));

        // Ticks do not bring opening sells back while the short is at the limit; the long side keeps its buys.
        sim.Trade("BTCUSDT", anchor + 150m, 0.001m);
        await Eventually.TrueAsync(() => btc.LastPrice == anchor + 150m, Wait, "the engine saw the tick");
        await engine.DecidedAsync(Wait);
        Assert.DoesNotContain(btc.Snapshot.OpenOrders, o => o.Side == OrderSide.Sell);
        Assert.Contains(await sim.GetOpenOrdersAsync("BTCUSDT"), o => o.Side == OrderSide.Buy && o.Price < anchor);
        var limits = await engine.Risk.GetPositionLimitsAsync(new() { Symbol = "BTCUSDT" });
        Assert.Equal(0.002m, limits.MaxPositionSize.ToDecimal());
        var metrics = (await engine.Risk.GetRiskMetricsAsync(new())).Metrics.Single();
        Assert.Equal("max_position_size", metrics.LimitType);
    }

    [Fact]
    public async Task ADrawdownFromAnUnrealisedLossHaltsTheSymbolAndStaysHaltedAcrossARestartUntilTheOperatorResets()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        var state = Db("drawdown");
        var settings = EngineHarness.BtcGrid(state);
        settings["MarketMaker:CircuitBreaker:MaxDrawdownAmount"] = "1";
        var anchor = 0m;
        await using (var engine = await EngineHarness.StartAsync(connector, settings))
        {
            var btc = engine.Host.Engines["BTCUSDT"];
            anchor = btc.Snapshot.Anchor!.Value;
            await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Buy) == 3, Wait, "three buys work");

            // One buy fills: its fee alone is far from the 1 USDT stop.
            sim.Trade("BTCUSDT", anchor - 100m, 1m);
            await Eventually.TrueAsync(() => btc.Snapshot.Position == 0.002m, Wait, "the buy is booked");
            await engine.DecidedAsync(Wait);
            Assert.False((await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status.IsOpen);

            // The market falls through the other buys to 600 under the first: several USDT under water, nothing realised.
            sim.Trade("BTCUSDT", anchor - 700m, 1m);
            var tripped = await Eventually2.UntilAsync(async () => (await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status, s => s.IsOpen, Wait, "the drawdown stop trips");
            Assert.Equal("Drawdown", tripped.Trigger);
            Assert.Equal("HALTED", tripped.TradingState);
            Assert.Equal(0m, btc.Snapshot.Pnl.Realised);
            Assert.True(tripped.EquityPeak.ToDecimal() - tripped.Equity.ToDecimal() >= 1m);
            await Eventually.TrueAsync(async () => !(await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Buy), Wait, "the buys are cancelled");
        }

        // The stopped engine cancelled its orders on exit. Restarted on the same state file it comes back halted.
        Assert.Empty(await sim.GetOpenOrdersAsync("BTCUSDT"));
        await using var restarted = await EngineHarness.StartAsync(connector, settings);
        var status = (await restarted.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status;
        Assert.True(status.IsOpen);
        Assert.Equal("Drawdown", status.Trigger);
        Assert.Equal("HALTED", status.TradingState);
        var venuePosition = (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size);
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Where(o => o.Side == OrderSide.Sell).Sum(o => o.Quantity) == venuePosition, Wait, "closes for the whole position work again");
        await restarted.DecidedAsync(Wait);
        Assert.DoesNotContain(await sim.GetOpenOrdersAsync("BTCUSDT"), o => o.Side == OrderSide.Buy);
        Assert.DoesNotContain(restarted.Host.Engines["BTCUSDT"].Snapshot.OpenOrders, o => o.Side == OrderSide.Buy);

        // Only the operator's reset resumes buying.
        Assert.True((await restarted.Risk.CloseCircuitBreakerAsync(new() { Symbol = "BTCUSDT" })).Success);
        sim.Trade("BTCUSDT", anchor - 650m, 0.001m);
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Buy), Wait, "buys resume after the reset");
        Assert.False((await restarted.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status.IsOpen);
    }

    [Fact]
    public async Task AfterAConnectorOutageNothingIsSentUntilAFreshPriceArrives()
    {
        await using var venue = new SharedVenue();
        var sim = venue.Sim;
        var port = ConnectorHost.FreePort();
        var connector = await venue.StartConnectorAsync(port);
        await using var engine = await EngineHarness.StartAsync(new Uri($"http://127.0.0.1:{port}"), EngineHarness.BtcGrid(Db("stale")));
        var btc = engine.Host.Engines["BTCUSDT"];
        var anchor = btc.Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Buy) == 3, Wait, "three buys work");

        await connector.StopAsync();
        await connector.DisposeAsync();
        await Eventually.TrueAsync(() => engine.RiskState.ConnectorProblem is not null, Wait, "the engine knows the connector is gone");

        // The market moves while the engine cannot hear: a buy fills.
        sim.Trade("BTCUSDT", anchor - 100m, 1m);
        var venuePosition = (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size);
        await using var restarted = await venue.StartConnectorAsync(port);
        await Eventually.TrueAsync(() => btc.Snapshot.Position == venuePosition && engine.RiskState.ConnectorProblem is null, Wait, "reconciliation books the fill of the gap");

        // Its price is from before the outage: no close, no buy goes out on it.
        await engine.DecidedAsync(Wait);
        Assert.DoesNotContain(btc.Snapshot.OpenOrders, o => o.Side == OrderSide.Sell);
        Assert.DoesNotContain(await sim.GetOpenOrdersAsync("BTCUSDT"), o => o.Side == OrderSide.Sell);
        var state = engine.RiskState.StateOf("BTCUSDT");
        Assert.Equal(TradingState.Halted, state.State);
        Assert.Equal(RiskTrigger.StaleData, state.Trigger);

        // A fresh tick: the close goes out.
        sim.Trade("BTCUSDT", anchor - 50m, 0.001m);
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Sell && o.Price == anchor), Wait, "the close is placed on the fresh price");
        Assert.Equal(TradingState.Active, engine.RiskState.StateOf("BTCUSDT").State);
    }

    [Fact]
    public async Task AnOperatorFlattenClosesTheWholePositionWithReduceOnlyMarketOrders()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("flatten")));
        var btc = engine.Host.Engines["BTCUSDT"];
        var anchor = btc.Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Buy) == 3, Wait, "three buys work");
        sim.Trade("BTCUSDT", anchor - 200m, 1m);
        await Eventually.TrueAsync(async () => btc.Snapshot.Position == 0.004m && (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Sell) == 2, Wait, "two buys filled and their closes work");

        var refused = await engine.Risk.OpenCircuitBreakerAsync(new() { Symbol = "BTCUSDT", TradingState = "REDUCING", Flatten = true });
        Assert.False(refused.Success);
        var opened = await engine.Risk.OpenCircuitBreakerAsync(new() { Symbol = "BTCUSDT", Reason = "flatten", TradingState = "HALTED", Flatten = true });
        Assert.True(opened.Success, opened.Message);

        await Eventually.TrueAsync(async () => (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size) == 0m && btc.Snapshot.Position == 0m, Wait, "the position is closed on the venue and in the engine");
        await engine.DecidedAsync(Wait);
        Assert.Empty(await sim.GetOpenOrdersAsync("BTCUSDT"));
        var history = (await engine.Positions.GetOrderHistoryAsync(new() { Symbols = { "BTCUSDT" } })).Orders;
        var filledSells = history.Where(o => o.Side == OpenSqt.Contracts.Wire.OrderSide.Sell && o.Status == OpenSqt.Contracts.Wire.OrderStatus.Filled).ToArray();
        Assert.Equal(2, filledSells.Length);
        foreach (var sell in filledSells)
        {
            var onVenue = await sim.GetOrderAsync("BTCUSDT", OrderRef.ByClientId(sell.ClientOrderId));
            Assert.Equal(OrderType.Market, onVenue.Type);
            Assert.True(onVenue.ReduceOnly);
        }

        Assert.Equal(2, history.Count(o => o.Side == OpenSqt.Contracts.Wire.OrderSide.Sell && o.Status == OpenSqt.Contracts.Wire.OrderStatus.Canceled));
        Assert.True((await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status.Flatten);
    }

    [Fact]
    public async Task TheMarginGuardPutsTheSymbolReducingItsCloseKeepsWorkingAndItStaysUntilReset()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        var settings = EngineHarness.BtcGrid(Db("margin-guard"));

        // 0.002 BTC of position needs about 0.76 USDT of maintenance margin on the sim (0.4 %): far above 0.005 % of 10,000.
        settings["MarketMaker:Limits:MaxMarginUsage"] = "0.00005";
        settings["MarketMaker:Limits:AccountCheckInterval"] = "00:00:01";
        await using var engine = await EngineHarness.StartAsync(connector, settings);
        var btc = engine.Host.Engines["BTCUSDT"];
        var anchor = btc.Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Buy) == 3, Wait, "three buys work");
        Assert.False((await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status.IsOpen);

        sim.Trade("BTCUSDT", anchor - 100m, 1m);
        var status = await Eventually2.UntilAsync(async () => (await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status, s => s.IsOpen, Wait, "the margin guard trips");
        Assert.Equal("Margin", status.Trigger);
        Assert.Equal("REDUCING", status.TradingState);
        Assert.Contains("MaxMarginUsage", status.Reason, StringComparison.Ordinal);
        await Eventually.TrueAsync(async () =>
        {
            var open = await sim.GetOpenOrdersAsync("BTCUSDT");
            return !open.Any(o => o.Side == OrderSide.Buy) && open.Any(o => o.Side == OrderSide.Sell && o.Price == anchor);
        }, Wait, "the buys are cancelled and the close works");

        // The close fills: margin usage is back to zero, but the guard holds until the operator resets it.
        sim.Trade("BTCUSDT", anchor, 1m);
        await Eventually.TrueAsync(() => btc.Snapshot.Position == 0m, Wait, "the close filled");
        await Eventually.TrueAsync(async () => (await sim.GetAccountAsync()).MaintenanceMargin == 0m, Wait, "no margin is used");
        await engine.DecidedAsync(Wait);
        Assert.Empty(await sim.GetOpenOrdersAsync("BTCUSDT"));
        Assert.Equal("REDUCING", (await engine.Risk.GetRiskMetricsAsync(new())).Metrics.Single().TradingState);
        Assert.True((await engine.Risk.CloseCircuitBreakerAsync(new() { Symbol = "BTCUSDT" })).Success);
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Buy), Wait, "buys resume after the reset");
    }
}
