using Microsoft.Extensions.Configuration;
using OpenSqt.Backtest.Data;
using OpenSqt.Backtest.Replay;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Sim;

namespace OpenSqt.Backtest.Tests;

public sealed class ReplayTests : IDisposable
{
    private const long T0 = 1767225600000;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("opensqt-backtest-replay");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>
    /// The path of the live scripted-path test (tests/OpenSqt.MarketMaker.Tests/ScriptedPathTests.cs) as a trade file:
    /// down five levels of 100 from the anchor and back up, one trade at each level. The same fills and the same
    /// realised PnL to the cent.
    /// </summary>
    [Fact]
    public async Task PathDownAndBackUpBuysAndSellsEachLevelOnceAndBooksRealisedPnlToTheCent()
    {
        const int N = 5;
        const decimal Anchor = 95_000m;
        var prices = new List<decimal> { Anchor };
        for (var k = 1; k <= N; k++)
        {
            prices.Add(Anchor - (k * 100m));
        }

        for (var k = N - 1; k >= 0; k--)
        {
            prices.Add(Anchor - (k * 100m));
        }

        var path = WriteTrades(prices.Select((p, i) => (T0 + (i * 1000L), p, 1m)));

        var result = await ReplayAsync(path, SimQueueModel.Touch);

        var qty = Math.Floor(200m / (Anchor - 100m) / 0.001m) * 0.001m;
        Assert.Equal(N, result.Fills.Count(f => f.Side == OrderSide.Buy));
        Assert.Equal(N, result.Fills.Count(f => f.Side == OrderSide.Sell));
        decimal expected = 0;
        for (var k = 1; k <= N; k++)
        {
            var buy = Anchor - (k * 100m);
            var sell = buy + 100m;
            Assert.Single(result.Fills, f => f.Side == OrderSide.Buy && f.Price == buy && f.Quantity == qty && f.IsMaker);
            Assert.Single(result.Fills, f => f.Side == OrderSide.Sell && f.Price == sell && f.Quantity == qty && f.IsMaker);
            var fees = Math.Round(buy * qty * 0.0002m, 8, MidpointRounding.AwayFromZero) + Math.Round(sell * qty * 0.0002m, 8, MidpointRounding.AwayFromZero);
            expected += ((sell - buy) * qty) - fees;
        }

        Assert.Equal(Math.Round(expected, 2), Math.Round(result.RealisedPnl, 2));
        Assert.Equal(N, result.RoundTrips);
        Assert.Equal(0m, result.FinalPosition);
        Assert.Equal(0m, result.VenuePosition);
        Assert.Equal(prices.Count, result.Events);
    }

    [Fact]
    public async Task AnOrderFillsOnlyFromTradesPrintedAfterItReachedTheBook()
    {
        var path = WriteTrades([(T0, 95_000m, 1m), (T0 + 1000, 94_900m, 1m), (T0 + 1020, 95_000m, 1m), (T0 + 1200, 95_000m, 1m)]);

        var result = await ReplayAsync(path, SimQueueModel.Touch, TimeSpan.FromMilliseconds(100));

        Assert.Contains(result.Fills, f => f.Side == OrderSide.Buy && f.Price == 94_900m && f.Time.ToUnixTimeMilliseconds() == T0 + 1000);
        var sell = Assert.Single(result.Fills, f => f.Side == OrderSide.Sell);
        Assert.Equal(95_000m, sell.Price);
        Assert.Equal(T0 + 1000, sell.PlacedAt!.Value.ToUnixTimeMilliseconds());
        Assert.Equal(T0 + 1200, sell.Time.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task AtItsPriceAnOrderFillsOnlyAfterTheDisplayedSizeAheadOfItHasTraded()
    {
        WriteTrades([(T0, 95_000m, 1m), (T0 + 1100, 94_900m, 0.3m), (T0 + 1200, 94_900m, 0.3m), (T0 + 1300, 94_900m, 0.3m)]);
        var book = Path.Combine(_dir.FullName, "BTCUSDT-bookTicker-2026-01-01.csv");
        File.WriteAllLines(book, [BookTickerFile.Header, $"1,94999.9,3,95000.0,2,{T0},{T0}", $"2,94900.0,0.5,94900.1,1,{T0 + 1000},{T0 + 1000}"]);

        var queued = await ReplayAsync(_dir.FullName, null);

        Assert.Equal(nameof(SimQueueModel.QueuePosition), queued.QueueModel);
        var buy = Assert.Single(queued.Fills, f => f.Side == OrderSide.Buy && f.Price == 94_900m);
        Assert.Equal(T0 + 1200, buy.Time.ToUnixTimeMilliseconds());

        var throughOnly = await ReplayAsync(_dir.FullName, SimQueueModel.TradeThrough);
        Assert.DoesNotContain(throughOnly.Fills, f => f.Price == 94_900m);
    }

    /// <summary>
    /// An order rate limit of one a second with no burst: the three buys wait for their tokens on the replay's clock
    /// (a second apart), the replay goes on meanwhile and ends, and each buy fills at the trade through its price.
    /// </summary>
    [Fact]
    public async Task OrdersThatWaitForTheRateLimitAreSentAsTheVirtualClockReachesTheirTurn()
    {
        var path = WriteTrades([(T0, 95_000m, 1m), (T0 + 500, 95_000m, 1m), (T0 + 10_000, 94_650m, 3m), (T0 + 11_000, 94_650m, 1m)]);
        var engine = BtcGrid();
        engine["MarketMaker:RateLimit:OrdersPerSecond"] = "1";
        engine["MarketMaker:RateLimit:Burst"] = "1";
        engine["MarketMaker:RateLimit:PerSymbolOrdersPerSecond"] = "1";
        engine["MarketMaker:RateLimit:PerSymbolBurst"] = "1";

        var result = await ReplayAsync(path, SimQueueModel.Touch, engine: engine);

        var buys = result.Fills.Where(f => f.Side == OrderSide.Buy).OrderBy(f => f.PlacedAt).ToList();
        Assert.Equal([94_900m, 94_800m, 94_700m], buys.Select(f => f.Price).Order().Reverse());
        Assert.All(buys, f => Assert.Equal(T0 + 10_000, f.Time.ToUnixTimeMilliseconds()));
        var placed = buys.Select(f => f.PlacedAt!.Value).ToList();
        Assert.True(placed[1] - placed[0] >= TimeSpan.FromSeconds(0.99) && placed[2] - placed[1] >= TimeSpan.FromSeconds(0.99), string.Join(", ", placed));
        Assert.True(placed[2] < DateTimeOffset.FromUnixTimeMilliseconds(T0 + 10_000), "the last buy was sent before the trade that filled it");
    }

    /// <summary>
    /// The throttle spaces adjustments, not ticks (OpenSQT: at most one adjustment per 50 ms). Ticks every 10 ms that
    /// move inside one grid interval change nothing; the tick that then crosses a level is acted on at its own time, not
    /// up to 50 ms later; and the next crossing 10 ms after that adjustment waits until 50 ms have passed since it.
    /// </summary>
    [Fact]
    public async Task TheThrottleSpacesAdjustmentsSoALevelCrossedAfterQuietTicksIsActedOnAtOnce()
    {
        List<(long, decimal, decimal)> trades = [(T0, 95_000m, 1m)];
        for (var i = 0; i < 20; i++)
        {
            trades.Add((T0 + 1_000 + (i * 10), 95_000m + (i % 5), 0.001m));
        }

        trades.AddRange([(T0 + 1_205, 95_105m, 0.001m), (T0 + 1_215, 95_205m, 0.001m), (T0 + 3_000, 95_205m, 0.001m), (T0 + 3_010, 94_990m, 5m), (T0 + 4_000, 94_990m, 0.001m)]);
        var engine = BtcGrid();
        engine["MarketMaker:Throttle"] = "00:00:00.050";

        var result = await ReplayAsync(WriteTrades(trades), SimQueueModel.TradeThrough, latency: TimeSpan.Zero, engine: engine);

        var placed = result.Fills.Where(f => f.Side == OrderSide.Buy).ToDictionary(f => f.Price, f => f.PlacedAt!.Value.ToUnixTimeMilliseconds() - T0);
        Assert.Equal(1_205, placed[95_000m]);
        Assert.Equal(1_255, placed[95_100m]);
    }

    /// <summary>
    /// A trade that jumps up through a neutral grid fills the close of a long and the short opened above it. The sim
    /// prints the trade (its price) before it matches the resting orders, and the engine must hear it in that order: told
    /// of the fills first, it decided on the price before the jump, sent the slot's new opening sell below the market
    /// (a post-only the venue refuses), tried again twice within the same instant and then, post-only given up, sold at
    /// the market as a taker. Every fill of a grid that only rests its orders is a maker fill.
    /// </summary>
    [Fact]
    public async Task TheEngineHearsATradesPriceBeforeTheFillsItCausedAndNeverSellsBelowTheMarket()
    {
        var path = WriteTrades([(T0, 95_000m, 1m), (T0 + 1000, 94_850m, 1m), (T0 + 2000, 95_150m, 1m), (T0 + 3000, 95_150m, 1m)]);
        var grid = BtcGrid();
        grid["MarketMaker:Symbols:0:GridMode"] = "Neutral";
        grid["MarketMaker:Symbols:0:SellWindowSize"] = "3";

        var result = await ReplayAsync(path, SimQueueModel.TradeThrough, engine: grid);

        Assert.Contains(result.Fills, f => f.Side == OrderSide.Buy && f.Price == 94_900m);
        Assert.Contains(result.Fills, f => f.Side == OrderSide.Sell && f.Price == 95_000m && f.PlacedAt!.Value.ToUnixTimeMilliseconds() == T0 + 1000);
        Assert.All(result.Fills, f => Assert.True(f.IsMaker, $"{f.Side} {f.Quantity} at {f.Price} ({f.ClientOrderId}) was a taker fill"));
    }

    /// <summary>
    /// The sim builds a trade's open candle only for the intervals someone reads: a candle reader through the replay's
    /// venue counts as one and gets the trade's candle of its interval; once its stream ended nothing is delivered.
    /// </summary>
    [Fact]
    public async Task ACandleReaderThroughTheReplayVenueGetsItsIntervalsCandlesAsTheSimPrintsTrades()
    {
        var clock = new VirtualClock(DateTimeOffset.FromUnixTimeMilliseconds(T0));
        await using var sim = new SimExchange(Microsoft.Extensions.Options.Options.Create(new SimVenueOptions { AutoAdvance = false, HistoryMinutes = 5 }), clock);
        var venue = new ReplayVenue(sim, clock);
        using var stop = new CancellationTokenSource();
        var candles = venue.SubscribeKlinesAsync(["BTCUSDT"], "5m", stop.Token).GetAsyncEnumerator(stop.Token);
        var next = candles.MoveNextAsync();
        var price = await sim.GetLatestPriceAsync("BTCUSDT");

        sim.Trade("BTCUSDT", price + 0.1m, 0.25m);
        venue.Deliver();
        Assert.True(next.IsCompleted);
        Assert.True(await next);
        Assert.Equal(("5m", price + 0.1m, false), (candles.Current.Interval, candles.Current.Close, candles.Current.IsClosed));

        await stop.CancelAsync();
        await candles.DisposeAsync();
        sim.Trade("BTCUSDT", price + 0.2m, 0.25m);
        Assert.False(venue.Deliver());
    }

    /// <summary>
    /// The engine's start waits on its clock (the order stream settles before the first reconciliation): with a warm-up
    /// shorter than that, the start cannot finish before the first event. The replay says so and stops, after a few
    /// seconds of real time with nothing due before the first event, instead of spinning for ever or trading a half-started
    /// engine.
    /// </summary>
    [Fact]
    public async Task AWarmUpTooShortForTheEngineToStartStopsTheReplayWithAClearError()
    {
        var path = WriteTrades([(T0, 95_000m, 1m), (T0 + 1000, 94_900m, 1m)]);
        var config = new ConfigurationBuilder().AddInMemoryCollection(BtcGrid()).Build();
        var runner = new ReplayRunner(new ReplaySettings
        {
            Symbol = "BTCUSDT",
            Engine = config,
            StatePath = Path.Combine(_dir.FullName, "engine.db"),
            WarmUp = TimeSpan.FromMilliseconds(50),
        });

        var run = runner.RunAsync(MarketData.Open(path, "BTCUSDT"), CancellationToken.None);
        var finished = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60)));

        Assert.Same(run, finished);
        var error = await Assert.ThrowsAsync<ReplayException>(() => run);
        Assert.StartsWith("the engine did not finish starting before the first event at 2026-01-01T00:00:00", error.Message);
    }

    /// <summary>
    /// The engine's stop reaches its writer and runs as live: a symbol that cancels on exit leaves nothing working on the
    /// venue, one that does not leaves its grid. (The replay's writer hands its queue to the stop; a stop that never
    /// arrived would leave the three buys either way.)
    /// </summary>
    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 3)]
    public async Task TheEnginesStopCancelsItsWorkingOrdersWhenItsSymbolCancelsOnExit(bool cancelOnExit, int working)
    {
        var path = WriteTrades([(T0, 95_000m, 1m), (T0 + 1000, 95_010m, 1m), (T0 + 2000, 95_020m, 1m)]);
        var engine = BtcGrid();
        engine["MarketMaker:Symbols:0:CancelOnExit"] = cancelOnExit ? "true" : "false";

        // A stop that never reaches the writer hangs the replay's end: bounded, so it fails instead.
        var result = await ReplayAsync(path, SimQueueModel.Touch, engine: engine).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(result.Fills);
        Assert.Equal(working, result.WorkingAfterStop);
    }

    private async Task<ReplayResult> ReplayAsync(string data, SimQueueModel? model, TimeSpan? latency = null, Dictionary<string, string?>? engine = null)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(engine ?? BtcGrid()).Build();
        var runner = new ReplayRunner(new ReplaySettings
        {
            Symbol = "BTCUSDT",
            Engine = config,
            StatePath = Path.Combine(_dir.FullName, "engine.db"),
            QueueModel = model,
            OrderLatency = latency ?? TimeSpan.FromMilliseconds(50),
        });
        return await runner.RunAsync(MarketData.Open(data, "BTCUSDT"), CancellationToken.None);
    }

    /// <summary>The live scripted-path test's grid: 100 USDT apart, 200 USDT per level, three buys working.</summary>
    internal static Dictionary<string, string?> BtcGrid() => new()
    {
        ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
        ["MarketMaker:Symbols:0:PriceInterval"] = "100",
        ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
        ["MarketMaker:Symbols:0:BuyWindowSize"] = "3",
        ["MarketMaker:Throttle"] = "00:00:00",
        ["MarketMaker:ReconcileInterval"] = "00:10:00",
        ["MarketMaker:ReconcileConfirmDelay"] = "00:00:00.200",
        ["MarketMaker:RiskControl:Enabled"] = "false",
    };

    private string WriteTrades(IEnumerable<(long Time, decimal Price, decimal Quantity)> trades, string name = "BTCUSDT-aggTrades-2026-01-01.csv")
    {
        var path = Path.Combine(_dir.FullName, name);
        var id = 1L;
        File.WriteAllLines(path, [AggTradeFile.Header, .. trades.Select(t => FormattableString.Invariant($"{id},{t.Price},{t.Quantity},{id},{id++},{t.Time},false"))]);
        return path;
    }
}
