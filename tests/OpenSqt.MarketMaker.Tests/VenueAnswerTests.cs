using OpenSqt.Contracts;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Tests;

[Collection(VenueCollection.Name)]
public sealed class VenueAnswerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AnInsufficientMarginRefusalLocksBuysCancelsWorkingBuysAlertsAndKeepsTheRefusedOrderOnRecord()
    {
        // 30 USDT at leverage 10 carries one 0.002 BTC buy (about 19 USDT of margin) but not two.
        await using var connector = await ConnectorHost.StartAsync(new Dictionary<string, string?> { ["Exchanges:Sim:InitialBalance"] = "30" });
        var state = Path.Combine(Path.GetTempPath(), $"opensqt-margin-{Guid.NewGuid():N}.db");
        var settings = EngineHarness.BtcGrid(state);
        settings["MarketMaker:PositionSafetyCheck"] = "0";
        settings["MarketMaker:Symbols:0:MarginLockDurationSeconds"] = "3600";
        settings["MarketMaker:RateLimit:OrdersPerSecond"] = "1";
        settings["MarketMaker:RateLimit:Burst"] = "1";
        await using var engine = await EngineHarness.StartAsync(connector, settings);

        var history = await Eventually2.UntilAsync(
            async () => (await engine.Positions.GetOrderHistoryAsync(new() { Symbols = { "BTCUSDT" } })).Orders,
            orders => orders.Any(o => o.Status == W.OrderStatus.Rejected), Wait, "a buy is refused for margin");
        var refused = history.First(o => o.Status == W.OrderStatus.Rejected);
        Assert.Contains("insufficient margin", refused.RejectReason, StringComparison.Ordinal);
        Assert.Equal(W.OrderSide.Buy, refused.Side);
        await Eventually.TrueAsync(async () => !(await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Any(), Wait, "working buys are cancelled during the margin lock");
        var order = await engine.Positions.GetOrderAsync(new() { OrderId = refused.ClientOrderId });
        Assert.Equal(W.OrderStatus.Rejected, order.Order.Status);

        // The lock holds: new ticks place no buys.
        var price = await connector.Sim.GetLatestPriceAsync("BTCUSDT");
        connector.Sim.Trade("BTCUSDT", price + 0.1m, 0.001m);
        await Eventually.TrueAsync(() => engine.Host.Engines["BTCUSDT"].LastPrice == price + 0.1m, Wait, "the engine saw the tick");
        await engine.DecidedAsync(Wait);
        Assert.DoesNotContain(engine.Host.Engines["BTCUSDT"].Snapshot.OpenOrders, o => o.Side == OrderSide.Buy);
        Assert.Empty(await connector.Exchange.GetOpenOrdersAsync("BTCUSDT"));
    }

    [Theory]
    [InlineData("0.05", "200", "MarketMaker:Symbols:0:PriceInterval: 0.05 must be a positive multiple of the tick size 0.1 of BTCUSDT")]
    [InlineData("100", "50", "MarketMaker:Symbols:0:OrderQuantity: 50 USDT per level gives 0 BTC")]
    [InlineData("10", "200", "MarketMaker:Symbols:0:PriceInterval: one interval of 10 earns")]
    [InlineData("100", "2000", "MarketMaker:Symbols:0:OrderQuantity: 100 grid orders of 2000 need 200000 USDT")]
    public async Task TheEngineRefusesToStartOnSettingsTheVenueOrTheAccountCannotCarry(string interval, string quantity, string expected)
    {
        await using var connector = await ConnectorHost.StartAsync();
        var settings = EngineHarness.BtcGrid(Path.Combine(Path.GetTempPath(), $"opensqt-refuse-{Guid.NewGuid():N}.db"));
        settings["MarketMaker:Symbols:0:PriceInterval"] = interval;
        settings["MarketMaker:Symbols:0:OrderQuantity"] = quantity;
        await using var engine = await EngineHarness.StartAsync(connector, settings, waitReady: false);
        await Eventually.TrueAsync(() => engine.RiskState.FatalError is not null, Wait, "the engine refuses to start");
        Assert.Contains(expected, engine.RiskState.FatalError, StringComparison.Ordinal);
        Assert.StartsWith("The engine refuses to start", engine.RiskState.FatalError, StringComparison.Ordinal);
        Assert.Empty(await connector.Exchange.GetOpenOrdersAsync(null));
    }

    [Fact]
    public async Task AnOperatorPositionLimitStopsNewBuysOnceReachedAndUnenforceableLimitsAreRefused()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var settings = EngineHarness.BtcGrid(Path.Combine(Path.GetTempPath(), $"opensqt-limits-{Guid.NewGuid():N}.db"));
        await using var engine = await EngineHarness.StartAsync(connector, settings);
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");

        var refused = await engine.Risk.UpdatePositionLimitsAsync(new() { Symbol = "BTCUSDT", MaxOrderSize = 1m.ToWire(), Reason = "test" });
        Assert.False(refused.Success);
        Assert.Contains("MarketMaker:Symbols:<i>:OrderQuantity", refused.Message, StringComparison.Ordinal);

        var updated = await engine.Risk.UpdatePositionLimitsAsync(new() { Symbol = "BTCUSDT", MaxPositionSize = 0.002m.ToWire(), Reason = "test" });
        Assert.True(updated.Success);
        Assert.Equal(0.002m, (await engine.Risk.GetPositionLimitsAsync(new() { Symbol = "BTCUSDT" })).MaxPositionSize.ToDecimal());
        connector.Sim.Trade("BTCUSDT", anchor - 100m, 1m);
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).All(o => o.Side == OrderSide.Sell), Wait, "buys stop at the limit while the sell works");
        var metrics = (await engine.Risk.GetRiskMetricsAsync(new() { Symbols = { "BTCUSDT" } })).Metrics.Single();
        Assert.True(metrics.LimitBreach);
        Assert.Equal("max_position_size", metrics.LimitType);
    }
}

internal static class Eventually2
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string because)
    {
        T value = default!;
        await Eventually.TrueAsync(async () => done(value = await read()), timeout, because);
        return value;
    }
}
