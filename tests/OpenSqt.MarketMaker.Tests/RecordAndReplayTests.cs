using Microsoft.Extensions.Configuration;
using OpenSqt.Backtest.Data;
using OpenSqt.Backtest.Replay;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Sim;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>
/// A live session on the sim venue, recorded by the connector (<c>Recording__Path</c>), replayed through the backtest:
/// the replay's fills are the live session's, at the same trades, with the same realised PnL.
/// </summary>
[Collection(VenueCollection.Name)]
public sealed class RecordAndReplayTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("opensqt-record-replay");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task ReplayingARecordedLiveSessionReproducesItsFillsAndPnl()
    {
        const int N = 4;
        var recording = Path.Combine(_dir.FullName, "recording");
        var connector = await ConnectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Recording:Path"] = recording,
            ["Recording:Symbols"] = "BTCUSDT",
            ["Recording:FlushInterval"] = "00:00:00.050",
        });
        var sim = connector.Sim;
        var venue = connector.Exchange;
        var grid = EngineHarness.BtcGrid(Path.Combine(_dir.FullName, "live.db"));
        var engine = await EngineHarness.StartAsync(connector, grid);
        List<(OrderSide Side, decimal Price, decimal Quantity, long Time)> live;
        decimal livePnl;
        try
        {
            var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;

            // The recording starts where the live engine anchored its grid, as the replay anchors on the first trade.
            sim.Trade("BTCUSDT", anchor, 1m);
            for (var k = 1; k <= N; k++)
            {
                var level = anchor - (k * 100m);
                await Eventually.TrueAsync(async () => (await venue.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Buy && o.Price == level),
                    Wait, $"a buy works at {level}");
                sim.Trade("BTCUSDT", level + 50m, 0.3m);
                sim.Trade("BTCUSDT", level, 1m);
            }

            for (var k = N - 1; k >= 0; k--)
            {
                var level = anchor - (k * 100m);
                await Eventually.TrueAsync(async () => (await venue.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Sell && o.Price == level),
                    Wait, $"a sell works at {level}");
                sim.Trade("BTCUSDT", level - 50m, 0.3m);
                sim.Trade("BTCUSDT", level, 1m);
            }

            await Eventually.TrueAsync(() => engine.Host.Engines["BTCUSDT"].Snapshot.Pnl.RoundTrips == N, Wait, $"{N} round trips are booked live");
            var fills = (await engine.Positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" }, Limit = 1000 })).Fills;
            live = fills.Select(f => (f.Side == "BUY" ? OrderSide.Buy : OrderSide.Sell, f.Price.ToDecimal(), f.Quantity.ToDecimal(), f.FilledAt)).OrderBy(f => f.FilledAt).ToList();
            livePnl = engine.Host.Engines["BTCUSDT"].Snapshot.Pnl.Realised;
        }
        finally
        {
            await engine.DisposeAsync();
            await connector.DisposeAsync();
        }

        Assert.Equal(2 * N, live.Count);
        var folder = Path.Combine(recording, "sim", "BTCUSDT");
        var data = MarketData.Open(folder, "BTCUSDT");
        Assert.Contains(data.SideFiles, f => f.Contains("BTCUSDT-orders-", StringComparison.Ordinal));
        var settings = grid.Where(kv => kv.Key != "MarketMaker:StatePath").ToDictionary(kv => kv.Key, kv => kv.Value);
        var replay = await new ReplayRunner(new ReplaySettings
        {
            Symbol = "BTCUSDT",
            Engine = new ConfigurationBuilder().AddInMemoryCollection(settings).Build(),
            StatePath = Path.Combine(_dir.FullName, "replay.db"),
            QueueModel = SimQueueModel.Touch,

            // Live, each trade was printed only once the order it meets was working, often within the same millisecond
            // of the fill before it on an idle machine (the recording keeps milliseconds): a replayed order reaches the
            // book at once to meet the same trade.
            OrderLatency = TimeSpan.Zero,
        }).RunAsync(data, CancellationToken.None);

        var replayed = replay.Fills.Select(f => (f.Side, f.Price, f.Quantity, f.Time.ToUnixTimeMilliseconds())).OrderBy(f => f.Item4).ToList();
        Assert.Equal(live.Select(f => (f.Side, f.Price, f.Quantity)), replayed.Select(f => (f.Side, f.Price, f.Quantity)));

        // The same trades: the recording keeps the venue's time to the millisecond.
        Assert.All(live.Zip(replayed), p => Assert.InRange(p.Second.Item4 - p.First.Time, -1, 1));
        Assert.Equal(Math.Round(livePnl, 2), Math.Round(replay.RealisedPnl, 2));
        Assert.Equal(N, replay.RoundTrips);
        Assert.Equal(0m, replay.FinalPosition);
    }
}
