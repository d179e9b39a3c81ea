using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Tests;

[Collection(VenueCollection.Name)]
public sealed class AnomalyHaltTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AVolumeSpikeOnAllMonitoredSymbolsCancelsWorkingBuysAndRecoveryResumesBuying()
    {
        // The sim runs on a fake clock so candles close when the test says, not on the minute.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 12, 0, 30, TimeSpan.Zero));
        await using var venue = new SharedVenue(clock);
        var sim = venue.Sim;
        var port = ConnectorHost.FreePort();
        await using var connector = await venue.StartConnectorAsync(port);
        var state = Path.Combine(Path.GetTempPath(), $"opensqt-anomaly-{Guid.NewGuid():N}.db");
        var settings = EngineHarness.BtcGrid(state);
        settings["MarketMaker:RiskControl:Enabled"] = "true";
        settings["MarketMaker:RiskControl:MonitorSymbols:0"] = "ETHUSDT";
        settings["MarketMaker:RiskControl:MonitorSymbols:1"] = "SOLUSDT";
        settings["MarketMaker:RiskControl:GlobalStrategy"] = "All";
        settings["MarketMaker:RiskControl:RecoveryThreshold"] = "2";
        settings["MarketMaker:RiskControl:ResumeAfter"] = "00:00:00";
        await using var engine = await EngineHarness.StartAsync(new Uri($"http://127.0.0.1:{port}"), settings);
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Buy) == 3, Wait, "three buys work");

        // One budget for every alert read of the test, generous for a loaded machine; each wait below is bounded on its own.
        using var alerts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var early = engine.Risk.SubscribeRiskAlerts(new(), cancellationToken: alerts.Token);
        await early.ResponseHeadersAsync;
        var history = new Dictionary<string, IReadOnlyList<Candle>>
        {
            ["ETHUSDT"] = await sim.GetHistoricalKlinesAsync("ETHUSDT", "1m", 21, default),
            ["SOLUSDT"] = await sim.GetHistoricalKlinesAsync("SOLUSDT", "1m", 21, default),
        };

        // Only one symbol spiking is not enough under "All": the first anomaly alert names both symbols, which it would
        // not if ETH alone had halted trading.
        Spike(sim, "ETHUSDT", history["ETHUSDT"]);
        Spike(sim, "SOLUSDT", history["SOLUSDT"]);
        W.RiskAlert first;
        do
        {
            Assert.True(await early.ResponseStream.MoveNext(alerts.Token));
            first = early.ResponseStream.Current;
        }
        while (first.AlertType != "market_anomaly");
        Assert.Contains("on ETHUSDT, SOLUSDT (All)", first.Message, StringComparison.Ordinal);
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).All(o => o.Side != OrderSide.Buy), Wait, "working buys are cancelled");
        Assert.Contains("market anomaly", engine.RiskState.AnomalyReason, StringComparison.Ordinal);
        Assert.Equal(OpenSqt.MarketMaker.Risk.TradingState.Reducing, engine.RiskState.StateOf("BTCUSDT").State);

        // A subscriber that arrives during the halt is told about it at once.
        using var stream = engine.Risk.SubscribeRiskAlerts(new(), cancellationToken: alerts.Token);
        Assert.True(await stream.ResponseStream.MoveNext(alerts.Token));
        Assert.Equal("critical", stream.ResponseStream.Current.Severity);
        Assert.Contains("market anomaly", stream.ResponseStream.Current.Message, StringComparison.Ordinal);

        // A price tick while halted places no buy.
        var btcPrice = await sim.GetLatestPriceAsync("BTCUSDT");
        sim.Trade("BTCUSDT", btcPrice + 0.1m, 0.001m);
        await Eventually.TrueAsync(() => engine.Host.Engines["BTCUSDT"].LastPrice == btcPrice + 0.1m, Wait, "the engine saw the tick");
        await engine.DecidedAsync(Wait);
        Assert.DoesNotContain(engine.Host.Engines["BTCUSDT"].Snapshot.OpenOrders, o => o.Side == OrderSide.Buy);
        Assert.DoesNotContain(await sim.GetOpenOrdersAsync("BTCUSDT"), o => o.Side == OrderSide.Buy);

        // Two calm minutes closing above the average: both recovered, buying resumes.
        for (var minute = 0; minute < 2; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            Calm(sim, "ETHUSDT", history["ETHUSDT"]);
            Calm(sim, "SOLUSDT", history["SOLUSDT"]);
        }

        await Eventually.TrueAsync(() => engine.RiskState.AnomalyReason is null, Wait, "the market recovered");
        Assert.True(await stream.ResponseStream.MoveNext(alerts.Token));
        Assert.Equal("anomaly_recovered", stream.ResponseStream.Current.AlertType);
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Buy) == 3, Wait, "buys are placed again");
    }

    private static void Spike(OpenSqt.Exchanges.Sim.SimExchange sim, string symbol, IReadOnlyList<Candle> history)
    {
        var closed = history.Where(c => c.IsClosed).TakeLast(20).ToArray();
        var averageClose = closed.Average(c => c.Close);
        var averageVolume = closed.Average(c => c.Volume);
        var tick = symbol == "ETHUSDT" ? 0.01m : 0.01m;
        var price = Math.Floor(averageClose * 0.98m / tick) * tick;
        sim.Trade(symbol, price, Math.Ceiling(averageVolume * 10m));
    }

    private static void Calm(OpenSqt.Exchanges.Sim.SimExchange sim, string symbol, IReadOnlyList<Candle> history)
    {
        var closed = history.Where(c => c.IsClosed).TakeLast(20).ToArray();
        var price = Math.Ceiling(closed.Max(c => c.Close) * 1.01m / 0.01m) * 0.01m;
        sim.Trade(symbol, price, 1m);
    }
}
