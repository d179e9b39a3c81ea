using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
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

    /// <summary>
    /// A long of 0.001 left by a partly filled buy that trailed out of the window: its close at the anchor is below the
    /// sim's minimum notional of 100 for BTCUSDT. Returns the connector, the engine, the places the engine sent and the anchor.
    /// </summary>
    private static async Task<(ConnectorHost Connector, EngineHarness Engine, ConcurrentQueue<OrderRequest> Places, decimal Anchor)> DustAsync(string name, bool closeDustWithMarket)
    {
        var connector = await ConnectorHost.StartAsync();
        var anchor = await connector.Sim.GetLatestPriceAsync("BTCUSDT");
        Assert.True(anchor * 0.001m < 100m, "the dust's close is below the minimum notional");
        var places = new ConcurrentQueue<OrderRequest>();
        var settings = EngineHarness.BtcGrid(Db(name));
        settings["MarketMaker:Symbols:0:CloseDustWithMarketOrder"] = closeDustWithMarket ? "true" : "false";
        var engine = await EngineHarness.StartAsync(connector, settings, configure: services => services.AddSingleton(sp => ExchangeInterceptor.Create(sp.GetRequiredService<RemoteExchange>(),
            place: (inner, request, token) =>
            {
                places.Enqueue(request);
                return inner.PlaceOrderAsync(request, token);
            })));
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "the three buys work");

        connector.Sim.Trade("BTCUSDT", anchor - 100m, 0.001m);
        var books = engine.Host.Engines["BTCUSDT"];
        await Eventually.TrueAsync(() => books.Snapshot.Position == 0.001m, Wait, "half of the top buy filled");

        // The price rises three levels: the partly filled buy trails out of the window and is cancelled; its 0.001 stays.
        connector.Sim.Trade("BTCUSDT", anchor + 300m, 0.001m);
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Select(o => o.Price).Order().SequenceEqual([anchor, anchor + 100m, anchor + 200m]),
            Wait, "the buys followed the price");
        return (connector, engine, places, anchor);
    }

    [Fact]
    public async Task ACloseBelowTheVenueMinimumIsNotSentAndItsDustMergesIntoTheNextCloseOfItsSide()
    {
        var (connector, engine, places, anchor) = await DustAsync("dust-merge", closeDustWithMarket: false);
        await using var _ = connector;
        await using var __ = engine;
        var books = engine.Host.Engines["BTCUSDT"];
        await engine.DecidedAsync(Wait);
        Assert.DoesNotContain(places, p => p.ReduceOnly);
        Assert.Equal(0.001m, books.Snapshot.Position);

        // The next buy fills: its close carries the dust, one reduce-only sell of 0.003 one interval above.
        connector.Sim.Trade("BTCUSDT", anchor + 200m, 0.002m);
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Any(o => o is { Side: OrderSide.Sell, ReduceOnly: true, Quantity: 0.003m } && o.Price == anchor + 300m),
            Wait, "the merged close works");
        Assert.Equal(0.003m, books.Snapshot.Position);
        var close = Assert.Single(places, p => p.ReduceOnly);
        Assert.Equal((OrderType.Limit, 0.003m), (close.Type, close.Quantity));

        // The venue took every order the engine sent: nothing was refused for being below a minimum.
        var rules = await connector.Exchange.GetSymbolInfoAsync("BTCUSDT");
        Assert.All(places, p => Assert.Null(rules.Check(p.Quantity, p.Price, anchor)));
    }

    [Fact]
    public async Task WithCloseDustWithMarketOrderTheDustIsClosedAtOnceByAReduceOnlyMarketOrder()
    {
        var (connector, engine, places, _) = await DustAsync("dust-market", closeDustWithMarket: true);
        await using var __ = connector;
        await using var ___ = engine;
        var books = engine.Host.Engines["BTCUSDT"];

        await Eventually.TrueAsync(() => books.Snapshot.Position == 0m, Wait, "the dust was closed");
        var close = Assert.Single(places, p => p.ReduceOnly);
        Assert.Equal((OrderType.Market, OrderSide.Sell, 0.001m), (close.Type, close.Side, close.Quantity));
        Assert.Equal(0m, (await connector.Exchange.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size));
        await Eventually.TrueAsync(() => books.Snapshot.Pnl.RoundTrips == 1, Wait, "the dust's round trip is booked");
    }
}
