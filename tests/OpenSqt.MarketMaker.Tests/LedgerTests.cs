using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using W = OpenSqt.Contracts.Wire;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>The books through the real connector and sim: positions valued at the venue's mark, funding the venue charges.</summary>
[Collection(VenueCollection.Name)]
public sealed class LedgerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static string Db(string name) => Path.Combine(Path.GetTempPath(), $"opensqt-{name}-{Guid.NewGuid():N}.db");

    /// <summary>A connector on a venue clock the test moves, and an engine holding a long of the top buy level.</summary>
    private static async Task<(ConnectorHost Connector, EngineHarness Engine, SymbolEngine Books, decimal FillPrice)> LongAsync(FakeTimeProvider venueTime, string name)
    {
        var connector = await ConnectorHost.StartAsync(configureServices: s => s.AddSingleton<TimeProvider>(venueTime));
        var anchor = await connector.Sim.GetLatestPriceAsync("BTCUSDT");
        var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db(name)));
        var books = engine.Host.Engines["BTCUSDT"];
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "the three buys work");
        await Eventually.TrueAsync(() => connector.Sim.Streams.Funding >= 1 && connector.Sim.Streams.Account >= 1, Wait, "the engine listens to the mark and account streams");

        var fillPrice = anchor - 100m;
        connector.Sim.Trade("BTCUSDT", fillPrice, 0.002m);
        await Eventually.TrueAsync(() => books.Snapshot.Position == 0.002m, Wait, "the top buy filled");
        return (connector, engine, books, fillPrice);
    }

    [Fact]
    public async Task UnrealisedPnlAndTheDrawdownEquityAreMeasuredAtTheVenuesMarkPriceNotTheLastTrade()
    {
        var venueTime = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 1, 0, 0, TimeSpan.Zero));
        var (connector, engine, books, fillPrice) = await LongAsync(venueTime, "mark");
        await using var _ = connector;
        await using var __ = engine;

        var mark = fillPrice - 1_000m;
        connector.Sim.SetMarkPrice("BTCUSDT", mark);
        await Eventually.TrueAsync(() => books.ValuationPrice == mark, Wait, "the engine took the venue's mark");

        Assert.Equal(fillPrice, books.LastPrice);
        var unrealised = await engine.Positions.GetUnrealizedPnLAsync(new W.PositionServiceGetUnrealizedPnLRequest());
        var position = Assert.Single(unrealised.Positions);
        Assert.Equal(mark, position.CurrentPrice.ToDecimal());
        Assert.Equal(0.002m * (mark - fillPrice), position.UnrealizedPnl.ToDecimal());

        // The breaker's equity is realised plus unrealised at the mark, the opening fee included.
        var snapshot = books.Snapshot;
        var expectedEquity = snapshot.Pnl.Realised + snapshot.UnrealisedPnl(mark) - snapshot.Pnl.Fees;
        await Eventually.TrueAsync(() => engine.RiskState.Breaker("BTCUSDT")!.Status.Equity == expectedEquity, Wait, "the drawdown equity follows the mark");
        Assert.True(snapshot.Pnl.Fees > 0);
    }

    [Fact]
    public async Task FundingTheVenueChargesAtTheFundingTimeIsBookedOnceIntoRealisedPnlItsOwnLineAndTheDrawdownEquity()
    {
        var venueTime = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 7, 0, 0, TimeSpan.Zero));
        var (connector, engine, books, fillPrice) = await LongAsync(venueTime, "funding");
        await using var _ = connector;
        await using var __ = engine;
        var walletBefore = await connector.Exchange.GetBalanceAsync("USDT");
        var before = books.Snapshot.Pnl;

        // 08:00 passes on the venue clock: the long pays its notional at the mark times the rate (0.0001 per 8 h).
        venueTime.Advance(TimeSpan.FromHours(1));
        connector.Sim.SetMarkPrice("BTCUSDT", fillPrice);
        var expected = -0.002m * fillPrice * 0.0001m;
        await Eventually.TrueAsync(() => books.Snapshot.Pnl.Funding != 0, Wait, "the engine booked the funding payment");

        var after = books.Snapshot.Pnl;
        Assert.Equal(expected, after.Funding);
        Assert.Equal(before.Realised + expected, after.Realised);
        Assert.Equal(before.Fees, after.Fees);
        Assert.Equal(expected, await connector.Exchange.GetBalanceAsync("USDT") - walletBefore);

        var realised = Assert.Single((await engine.Positions.GetRealizedPnLAsync(new W.PositionServiceGetRealizedPnLRequest())).BySymbol);
        Assert.Equal((expected, after.Realised, after.Fees), (realised.Funding.ToDecimal(), realised.RealizedPnl.ToDecimal(), realised.Fees.ToDecimal()));

        // The drawdown equity carries the payment: realised (funding included) plus unrealised at the mark, opening fee included.
        var expectedEquity = after.Realised + books.Snapshot.UnrealisedPnl(fillPrice) - after.Fees;
        await Eventually.TrueAsync(() => engine.RiskState.Breaker("BTCUSDT")!.Status.Equity == expectedEquity, Wait, "the drawdown equity includes the funding");

        // The next trade on the venue does not settle the same funding time again, and the engine books nothing twice.
        connector.Sim.Trade("BTCUSDT", fillPrice, 0.001m);
        await engine.DecidedAsync(Wait);
        Assert.Equal(expected, books.Snapshot.Pnl.Funding);
        Assert.Equal(expected, await connector.Exchange.GetBalanceAsync("USDT") - walletBefore);
    }

    [Fact]
    public async Task InNeutralModeAShortIsRestoredAfterARestartAndItsClosesArePlacedReduceOnly()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var anchor = await connector.Sim.GetLatestPriceAsync("BTCUSDT");
        var settings = EngineHarness.BtcGrid(Db("neutral"));
        settings["MarketMaker:Symbols:0:GridMode"] = "Neutral";
        await using (var first = await EngineHarness.StartAsync(connector, settings))
        {
            await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 6, Wait, "three buys and three sells work");

            // The lowest sell fills: a short of one level, closed by a reduce-only buy one interval lower.
            connector.Sim.Trade("BTCUSDT", anchor + 100m, 0.002m);
            await Eventually.TrueAsync(() => first.Host.Engines["BTCUSDT"].Snapshot.Position == -0.002m, Wait, "the short opened");
            await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Any(o => o is { Side: OrderSide.Buy, ReduceOnly: true, Quantity: 0.002m } && o.Price == anchor),
                Wait, "the short's close works reduce-only");
        }

        // The engine restarts without its state: the venue's short is restored, not taken for a divergence.
        Assert.Empty(await connector.Exchange.GetOpenOrdersAsync("BTCUSDT"));
        var restart = (await connector.Sim.GetLatestPriceAsync("BTCUSDT"));
        settings["MarketMaker:StatePath"] = Db("neutral-restart");
        await using var second = await EngineHarness.StartAsync(connector, settings);
        var books = second.Host.Engines["BTCUSDT"];
        await Eventually.TrueAsync(() => books.Snapshot.Position == -0.002m, Wait, "the venue's short is the engine's position");
        Assert.False(second.RiskState.Breaker("BTCUSDT")!.IsOpen);
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Any(o => o is { Side: OrderSide.Buy, ReduceOnly: true, Quantity: 0.002m } && o.Price == restart - 200m),
            Wait, "the restored short's close works reduce-only one interval below its slot");
        var closes = (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Where(o => o.ReduceOnly).ToArray();
        Assert.All(closes, o => Assert.Equal(OrderSide.Buy, o.Side));
        Assert.Equal(0.002m, closes.Sum(o => o.Quantity));
    }
}
