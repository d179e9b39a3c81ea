using OpenSqt.Contracts;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

[Collection(VenueCollection.Name)]
public sealed class ScriptedPathTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task PathDownAndBackUpBuysAndSellsEachLevelOnceAndBooksRealisedPnlToTheCent()
    {
        const int N = 5;
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        var venue = connector.Exchange;
        var state = Path.Combine(Path.GetTempPath(), $"opensqt-path-{Guid.NewGuid():N}.db");
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(state));
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        var qty = Math.Floor(200m / (anchor - 100m) / 0.001m) * 0.001m;

        for (var k = 1; k <= N; k++)
        {
            var level = anchor - (k * 100m);
            await Eventually.TrueAsync(async () => (await venue.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Buy && o.Price == level),
                Wait, $"a buy works at {level}");
            sim.Trade("BTCUSDT", level, 1m);
        }

        for (var k = N - 1; k >= 0; k--)
        {
            var level = anchor - (k * 100m);
            await Eventually.TrueAsync(async () => (await venue.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Sell && o.Price == level),
                Wait, $"a sell works at {level}");
            sim.Trade("BTCUSDT", level, 1m);
        }

        await Eventually.TrueAsync(() => engine.Host.Engines["BTCUSDT"].Snapshot.Pnl.RoundTrips == N, Wait, $"{N} round trips are booked");
        var fills = (await engine.Positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" }, Limit = 1000 })).Fills;
        Assert.Equal(N, fills.Count(f => f.Side == "BUY"));
        Assert.Equal(N, fills.Count(f => f.Side == "SELL"));
        for (var k = 1; k <= N; k++)
        {
            Assert.Single(fills, f => f.Side == "BUY" && f.Price.ToDecimal() == anchor - (k * 100m));
            Assert.Single(fills, f => f.Side == "SELL" && f.Price.ToDecimal() == anchor - ((k - 1) * 100m));
        }

        decimal expected = 0;
        for (var k = 1; k <= N; k++)
        {
            var buy = anchor - (k * 100m);
            var sell = buy + 100m;
            var fees = Math.Round(buy * qty * 0.0002m, 8, MidpointRounding.AwayFromZero) + Math.Round(sell * qty * 0.0002m, 8, MidpointRounding.AwayFromZero);
            expected += ((sell - buy) * qty) - fees;
        }

        var pnl = await engine.Positions.GetRealizedPnLAsync(new());
        Assert.Equal(Math.Round(expected, 2), Math.Round(pnl.TotalPnl.ToDecimal(), 2));
        Assert.Equal(N, pnl.BySymbol.Single().NumTrades);
        Assert.Equal(0m, engine.Host.Engines["BTCUSDT"].Snapshot.Position);
        var position = (await venue.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size);
        Assert.Equal(0m, position);
    }
}
