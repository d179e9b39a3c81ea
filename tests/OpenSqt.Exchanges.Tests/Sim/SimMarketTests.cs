using OpenSqt.Contracts;
using static OpenSqt.Exchanges.Tests.Sim.SimTestVenue;

namespace OpenSqt.Exchanges.Tests.Sim;

public sealed class SimMarketTests
{
    [Fact]
    public async Task HistoryIsThereAtStartForEveryIntervalAndContiguous()
    {
        var (sim, _) = Create();
        var minutes = await sim.GetHistoricalKlinesAsync("BTCUSDT", "1m", 50);
        Assert.Equal(50, minutes.Count);
        Assert.False(minutes[^1].IsClosed);
        Assert.All(minutes.Take(49), c => Assert.True(c.IsClosed));
        Assert.All(minutes.Zip(minutes.Skip(1)), pair => Assert.Equal(TimeSpan.FromMinutes(1), pair.Second.OpenTime - pair.First.OpenTime));
        Assert.All(minutes.Take(49), c => Assert.True(c.Low <= c.Open && c.Low <= c.Close && c.High >= c.Open && c.High >= c.Close && c.Volume > 0));

        var hours = await sim.GetHistoricalKlinesAsync("BTCUSDT", "1h", 10);
        Assert.Equal(3, hours.Count);
        Assert.All(hours, c => Assert.Equal(0, c.OpenTime.ToUnixTimeMilliseconds() % 3_600_000));
        var fiveMinutes = await sim.GetHistoricalKlinesAsync("ETHUSDT", "5m", 5);
        Assert.Equal(5, fiveMinutes.Count);
    }

    [Fact]
    public async Task TheHealthSaysWhetherTheMarketRunsByItselfOrByHand()
    {
        var (byHand, _) = Create();
        var health = await byHand.CheckHealthAsync();
        Assert.True(health.IsHealthy);
        Assert.EndsWith(" instruments, market driven by hand", health.Description, StringComparison.Ordinal);
        Assert.Equal(health, await byHand.CheckHealthAsync());

        var (running, _) = Create(o => o.AutoAdvance = true);
        Assert.EndsWith("market driven by hand", (await running.CheckHealthAsync()).Description, StringComparison.Ordinal);
        running.Start();
        Assert.EndsWith(" instruments, market running", (await running.CheckHealthAsync()).Description, StringComparison.Ordinal);
        await running.StopMarketAsync();
    }

    [Fact]
    public async Task TheSameSeedGivesTheSameMarket()
    {
        var (a, _) = Create(o => o.Seed = 11);
        var (b, _) = Create(o => o.Seed = 11);
        var (c, _) = Create(o => o.Seed = 12);
        var closesA = (await a.GetHistoricalKlinesAsync("ETHUSDT", "1m", 100)).Select(k => k.Close).ToArray();
        var closesB = (await b.GetHistoricalKlinesAsync("ETHUSDT", "1m", 100)).Select(k => k.Close).ToArray();
        var closesC = (await c.GetHistoricalKlinesAsync("ETHUSDT", "1m", 100)).Select(k => k.Close).ToArray();
        Assert.Equal(closesA, closesB);
        Assert.NotEqual(closesA, closesC);

        a.Step();
        b.Step();
        Assert.Equal(await a.GetLatestPriceAsync("SOLUSDT"), await b.GetLatestPriceAsync("SOLUSDT"));
    }

    [Fact]
    public async Task PricesStayOnTheTickAndMoveWithRealisticVolatility()
    {
        var (sim, time) = Create();
        var rules = await sim.GetSymbolInfoAsync("BTCUSDT");
        var first = await sim.GetLatestPriceAsync("BTCUSDT");
        var prices = new List<decimal>();
        for (var i = 0; i < 2_400; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            sim.Step();
            prices.Add(await sim.GetLatestPriceAsync("BTCUSDT"));
        }

        Assert.All(prices, p => Assert.True(rules.IsOnTick(p)));
        // Ten minutes at 55 % annual volatility: a move of a few hundred dollars, never a collapse or a jump.
        var drift = Math.Abs(prices[^1] - first) / first;
        Assert.InRange(drift, 0m, 0.02m);
        Assert.True(prices.Distinct().Count() > 100, "the price should move");
    }

    [Fact]
    public async Task KlineStreamPublishesLiveAndClosedCandles()
    {
        var (sim, time) = Create();
        await using var klines = new StreamProbe<Candle>(ct => sim.SubscribeKlinesAsync(["BTCUSDT"], "1m", ct));
        sim.Trade("BTCUSDT", 95_000m, 1.5m);
        var live = (await klines.WaitForAsync(1, "live candle"))[^1];
        Assert.False(live.IsClosed);
        Assert.Equal(95_000m, live.Close);

        time.Advance(TimeSpan.FromMinutes(1));
        sim.Trade("BTCUSDT", 95_010m, 0.5m);
        var all = await klines.WaitForAsync(3, "closed and new candle");
        var closed = Assert.Single(all, c => c.IsClosed);
        Assert.Equal(95_000m, closed.Close);
        Assert.Equal(live.OpenTime, closed.OpenTime);
        Assert.Equal(closed.OpenTime.AddMinutes(1), all[^1].OpenTime);
        Assert.Equal(0.5m, all[^1].Volume);
    }

    [Fact]
    public async Task LongerCandlesAreTheirMinutesMergedLiveAndInHistory()
    {
        // Two hours of history, then trades every 20 s for 12 minutes, crossing 5 m, 15 m and (at 13:00) hour borders.
        var (sim, time) = Create();
        await using var fives = new StreamProbe<Candle>(ct => sim.SubscribeKlinesAsync(["BTCUSDT"], "5m", ct));
        var price = await sim.GetLatestPriceAsync("BTCUSDT");
        time.SetUtcNow(new DateTimeOffset(2026, 11, 25, 12, 54, 0, TimeSpan.Zero));
        for (var i = 0; i < 36; i++)
        {
            time.Advance(TimeSpan.FromSeconds(20));
            price += ((i % 5) - 2) * 10m;
            sim.Trade("BTCUSDT", price, 0.1m + (i * 0.01m));
        }

        var minutes = await sim.GetHistoricalKlinesAsync("BTCUSDT", "1m", 1_000);
        Assert.Equal(minutes.Count, minutes.Select(m => m.OpenTime).Distinct().Count());
        foreach (var interval in new[] { "5m", "15m", "1h", "4h" })
        {
            var span = KlineInterval.ToTimeSpan(interval);
            var candles = await sim.GetHistoricalKlinesAsync("BTCUSDT", interval, 100);
            Assert.True(candles.Count >= 2, interval);
            foreach (var candle in candles)
            {
                var members = minutes.Where(m => KlineInterval.Align(m.OpenTime, span) == candle.OpenTime).ToList();
                Assert.NotEmpty(members);
                Assert.Equal(members[0].Open, candle.Open);
                Assert.Equal(members.Max(m => m.High), candle.High);
                Assert.Equal(members.Min(m => m.Low), candle.Low);
                Assert.Equal(members[^1].Close, candle.Close);
                Assert.Equal(members.Sum(m => m.Volume), candle.Volume);
                Assert.Equal(members.Sum(m => m.QuoteVolume), candle.QuoteVolume);
            }
        }

        // Live: the stream's last 5 m candle is the open one of the history, and the one that closed at 13:00 was
        // published with the history's figures.
        var streamed = await fives.WaitForAsync(36 + 3, "5m candles");
        var history = await sim.GetHistoricalKlinesAsync("BTCUSDT", "5m", 10);
        Assert.Equal(history[^1], streamed[^1]);
        var closedAtOne = Assert.Single(streamed, c => c.IsClosed && c.OpenTime == new DateTimeOffset(2026, 11, 25, 12, 55, 0, TimeSpan.Zero));
        Assert.Equal(history.Single(c => c.OpenTime == closedAtOne.OpenTime), closedAtOne);
    }

    [Fact]
    public async Task PriceStreamCarriesOnlyTheSubscribedSymbols()
    {
        var (sim, _) = Create();
        await using var prices = new StreamProbe<PriceChange>(ct => sim.SubscribePriceAsync(["ETHUSDT"], ct));
        sim.Trade("BTCUSDT", 95_000m, 1m);
        sim.Trade("ETHUSDT", 3_400.5m, 1m);
        var items = await prices.WaitForAsync(1, "price");
        Assert.Equal("ETHUSDT", Assert.Single(items).Symbol);
        Assert.Equal(3_400.5m, items[0].Price);
        Assert.Equal(1, sim.Streams.Price);
    }

    [Fact]
    public async Task UnknownSymbolsAndIntervalsAreRefusedClearly()
    {
        var (sim, _) = Create();
        var symbol = await Assert.ThrowsAsync<ExchangeException>(() => sim.GetLatestPriceAsync("FOOUSDT"));
        Assert.Equal(ExchangeErrorKind.NotFound, symbol.Kind);
        Assert.Contains("FOOUSDT", symbol.Message);
        var interval = await Assert.ThrowsAsync<ExchangeException>(() => sim.GetHistoricalKlinesAsync("BTCUSDT", "7m", 10));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, interval.Kind);
    }

    [Fact]
    public async Task InstrumentRulesFundingTickersAndOpenInterestAreServed()
    {
        var (sim, _) = Create();
        var symbols = await sim.GetSymbolsAsync();
        Assert.Superset(new HashSet<string> { "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT" }, symbols.ToHashSet());
        var btc = await sim.GetSymbolInfoAsync("BTCUSDT");
        Assert.Equal((0.1m, 0.001m, 0.001m, 100m), (btc.TickSize, btc.StepSize, btc.MinQuantity, btc.MinNotional));
        Assert.Equal(5, (await sim.FetchExchangeInfoAsync(null)).Count);

        var funding = await sim.GetFundingRateAsync("BTCUSDT");
        Assert.Equal(0.0001m, funding.Rate);
        Assert.Equal(0, funding.NextFundingTime.ToUnixTimeMilliseconds() % (8 * 3_600_000));
        var history = await sim.GetHistoricalFundingRatesAsync("BTCUSDT", 5);
        Assert.Equal(5, history.Count);
        Assert.All(history.Zip(history.Skip(1)), p => Assert.Equal(TimeSpan.FromHours(8), p.First.Timestamp - p.Second.Timestamp));

        var ticker = Assert.Single(await sim.GetTickersAsync(), t => t.Symbol == "ETHUSDT");
        Assert.Equal(await sim.GetLatestPriceAsync("ETHUSDT"), ticker.LastPrice);
        Assert.True(ticker.Volume > 0);
        Assert.True(await sim.GetOpenInterestAsync("ETHUSDT") > 0);
    }
}
