using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;

namespace OpenSqt.MarketMaker.Tests;

public sealed class RiskTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Candle Candle(string symbol, int minute, decimal close, decimal volume, bool closed = true) => new()
    {
        Symbol = symbol,
        Interval = "1m",
        OpenTime = Start.AddMinutes(minute),
        Open = close,
        High = close,
        Low = close,
        Close = close,
        Volume = volume,
        IsClosed = closed,
    };

    private static AnomalyDetector Detector(AnomalyStrategy strategy, int recovery = 2, params string[] symbols)
    {
        var detector = new AnomalyDetector(new RiskControlOptions { MonitorSymbols = [.. symbols], AverageWindow = 5, VolumeMultiplier = 3m, GlobalStrategy = strategy, RecoveryThreshold = recovery });
        foreach (var symbol in symbols)
        {
            for (var i = 0; i < 5; i++)
            {
                detector.OnCandle(Candle(symbol, i, 100m, 10m));
            }
        }

        return detector;
    }

    [Theory]
    [InlineData("31", "99", true)]
    [InlineData("30", "99", false)]
    [InlineData("31", "100", false)]
    [InlineData("100", "101", false)]
    public void ASymbolIsAnomalousWhenVolumeExceedsTheMultipleAndTheCloseIsBelowTheAverage(string volume, string close, bool anomalous)
    {
        var detector = Detector(AnomalyStrategy.Any, 1, "BTCUSDT");
        detector.OnCandle(Candle("BTCUSDT", 5, decimal.Parse(close), decimal.Parse(volume), closed: false));
        Assert.Equal(anomalous, detector.IsAnomalous("BTCUSDT"));
        Assert.Equal(anomalous, detector.IsHalted);
    }

    [Theory]
    [InlineData(AnomalyStrategy.All, 1, false)]
    [InlineData(AnomalyStrategy.All, 2, true)]
    [InlineData(AnomalyStrategy.Any, 1, true)]
    public void AllNeedsEveryMonitoredSymbolAndAnyNeedsOne(AnomalyStrategy strategy, int spiking, bool halted)
    {
        var detector = Detector(strategy, 2, "BTCUSDT", "ETHUSDT");
        var transitions = new List<AnomalyTransition>();
        foreach (var symbol in new[] { "BTCUSDT", "ETHUSDT" }.Take(spiking))
        {
            transitions.Add(detector.OnCandle(Candle(symbol, 5, 90m, 100m, closed: false)));
        }

        Assert.Equal(halted, detector.IsHalted);
        Assert.Equal(halted ? 1 : 0, transitions.Count(t => t == AnomalyTransition.Halted));
    }

    [Fact]
    public void TradingResumesWhenTheRecoveryThresholdOfSymbolsClosedAboveTheAverageOnNormalVolume()
    {
        var detector = Detector(AnomalyStrategy.Any, 2, "BTCUSDT", "ETHUSDT", "SOLUSDT");
        detector.OnCandle(Candle("BTCUSDT", 5, 90m, 100m, closed: false));
        Assert.True(detector.IsHalted);
        detector.OnCandle(Candle("BTCUSDT", 5, 90m, 100m));
        Assert.Equal(AnomalyTransition.None, detector.OnCandle(Candle("ETHUSDT", 5, 101m, 10m)));
        Assert.True(detector.IsHalted);
        Assert.Equal(AnomalyTransition.None, detector.OnCandle(Candle("BTCUSDT", 6, 101m, 500m)));
        Assert.Equal(AnomalyTransition.Resumed, detector.OnCandle(Candle("SOLUSDT", 5, 102m, 10m)));
        Assert.False(detector.IsHalted);
    }

    [Fact]
    public void TheBreakerTripsOnConsecutiveLossesAndClosesAfterTheCooldown()
    {
        var time = new FakeTimeProvider(Start);
        var breaker = new CircuitBreaker("BTCUSDT", new CircuitBreakerOptions { MaxConsecutiveLosses = 3, MaxDrawdownAmount = 1000m, CooldownPeriod = TimeSpan.FromMinutes(5) }, time);
        breaker.OnRoundTrip(-1m);
        breaker.OnRoundTrip(-1m);
        breaker.OnRoundTrip(2m);
        breaker.OnRoundTrip(-1m);
        breaker.OnRoundTrip(-1m);
        Assert.False(breaker.IsOpen);
        breaker.OnRoundTrip(-1m);
        Assert.True(breaker.IsOpen);
        Assert.Equal(BreakerTrigger.ConsecutiveLosses, breaker.Status.Trigger);
        Assert.Contains("MaxConsecutiveLosses=3", breaker.Status.Reason, StringComparison.Ordinal);
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.True(breaker.IsOpen);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(breaker.IsOpen);
        Assert.Equal(0, breaker.Status.ConsecutiveLosses);
    }

    [Fact]
    public void TheBreakerTripsOnDrawdownFromThePeakOfRealisedPnl()
    {
        var breaker = new CircuitBreaker("BTCUSDT", new CircuitBreakerOptions { MaxConsecutiveLosses = 100, MaxDrawdownAmount = 10m, CooldownPeriod = TimeSpan.FromMinutes(5) }, new FakeTimeProvider(Start));
        breaker.OnRoundTrip(20m);
        breaker.OnRoundTrip(-6m);
        Assert.False(breaker.IsOpen);
        breaker.OnRoundTrip(-4m);
        Assert.True(breaker.IsOpen);
        Assert.Equal(BreakerTrigger.Drawdown, breaker.Status.Trigger);
        Assert.Equal(10m, breaker.Status.TotalPnl);
    }

    [Fact]
    public void OperatorAndDivergenceOpeningsStayOpenUntilAnOperatorCloses()
    {
        var time = new FakeTimeProvider(Start);
        var breaker = new CircuitBreaker("BTCUSDT", new CircuitBreakerOptions { CooldownPeriod = TimeSpan.FromSeconds(1) }, time);
        var changes = new List<BreakerStatus>();
        breaker.Changed += changes.Add;
        breaker.Open(BreakerTrigger.Divergence, "position divergence");
        time.Advance(TimeSpan.FromHours(1));
        Assert.True(breaker.IsOpen);
        breaker.Close();
        Assert.False(breaker.IsOpen);
        Assert.Equal([true, false], changes.Select(c => c.IsOpen).ToArray());
    }
}
