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

    private static AnomalyDetector Detector(AnomalyStrategy strategy, int recovery = 2, params string[] symbols) => Detector(strategy, recovery, TimeSpan.Zero, symbols);

    private static AnomalyDetector Detector(AnomalyStrategy strategy, int recovery, TimeSpan resumeAfter, params string[] symbols)
    {
        var detector = new AnomalyDetector(new RiskControlOptions { MonitorSymbols = [.. symbols], AverageWindow = 5, VolumeMultiplier = 3m, GlobalStrategy = strategy, RecoveryThreshold = recovery, ResumeAfter = resumeAfter });
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
    public void AHaltStaysUntilTheRecoveryHeldForResumeAfterAndASpikeMeanwhileStartsItOver()
    {
        var detector = Detector(AnomalyStrategy.Any, 1, TimeSpan.FromMinutes(3), "BTCUSDT");
        Assert.Equal(AnomalyTransition.Halted, detector.OnCandle(Candle("BTCUSDT", 5, 90m, 100m, closed: false)));
        detector.OnCandle(Candle("BTCUSDT", 5, 90m, 100m));

        // Calm candles close above the average: recovered, but only for one and two minutes so far.
        Assert.Equal(AnomalyTransition.None, detector.OnCandle(Candle("BTCUSDT", 6, 101m, 10m)));
        Assert.Equal(AnomalyTransition.None, detector.OnCandle(Candle("BTCUSDT", 7, 101m, 10m)));
        Assert.True(detector.IsHalted);

        // A new spike before the three minutes: the recovery starts over.
        Assert.Equal(AnomalyTransition.None, detector.OnCandle(Candle("BTCUSDT", 8, 80m, 500m, closed: false)));
        detector.OnCandle(Candle("BTCUSDT", 8, 80m, 500m));
        for (var minute = 9; minute <= 11; minute++)
        {
            Assert.Equal(AnomalyTransition.None, detector.OnCandle(Candle("BTCUSDT", minute, 120m, 10m)));
        }

        Assert.True(detector.IsHalted);
        Assert.Equal(AnomalyTransition.Resumed, detector.OnCandle(Candle("BTCUSDT", 12, 120m, 10m)));
        Assert.False(detector.IsHalted);
    }

    [Fact]
    public void LossTripsHaltAndStayTrippedUntilAnOperatorResets()
    {
        var time = new FakeTimeProvider(Start);
        var breaker = new CircuitBreaker("BTCUSDT", new CircuitBreakerOptions { MaxConsecutiveLosses = 3, MaxDrawdownAmount = 1000m }, time);
        breaker.OnRoundTrip(-1m);
        breaker.OnRoundTrip(-1m);
        breaker.OnRoundTrip(2m);
        breaker.OnRoundTrip(-1m);
        breaker.OnRoundTrip(-1m);
        Assert.False(breaker.IsOpen);
        breaker.OnRoundTrip(-1m);
        Assert.True(breaker.IsOpen);
        Assert.Equal(TradingState.Halted, breaker.State);
        Assert.Equal(BreakerTrigger.ConsecutiveLosses, breaker.Status.Trigger);
        Assert.Contains("MaxConsecutiveLosses=3", breaker.Status.Reason, StringComparison.Ordinal);

        // No cooldown: a day later it is still tripped; winning round trips do not reopen it either.
        time.Advance(TimeSpan.FromDays(1));
        breaker.OnRoundTrip(5m);
        Assert.True(breaker.IsOpen);
        breaker.Close();
        Assert.False(breaker.IsOpen);
        Assert.Equal(TradingState.Active, breaker.State);
        Assert.Equal(0, breaker.Status.ConsecutiveLosses);
    }

    [Fact]
    public void TheBreakerTripsOnAnEquityDrawdownFromThePeakUnrealisedLossIncluded()
    {
        var breaker = new CircuitBreaker("BTCUSDT", new CircuitBreakerOptions { MaxConsecutiveLosses = 100, MaxDrawdownAmount = 10m }, new FakeTimeProvider(Start));
        breaker.Restore(null, 0m);
        Assert.True(breaker.OnEquity(0m));
        Assert.True(breaker.OnEquity(20m));

        // Realised 20 with an open position now 9.99 under water: not yet.
        Assert.False(breaker.OnEquity(10.01m));
        Assert.False(breaker.IsOpen);
        breaker.OnEquity(10m);
        Assert.True(breaker.IsOpen);
        Assert.Equal(BreakerTrigger.Drawdown, breaker.Status.Trigger);
        Assert.Equal(TradingState.Halted, breaker.State);
        Assert.Equal(20m, breaker.Status.EquityPeak);

        // The market coming back does not reopen trading; the operator's reset re-bases the peak on the equity now.
        breaker.OnEquity(30m);
        Assert.True(breaker.IsOpen);
        breaker.Close();
        Assert.Equal(30m, breaker.Status.EquityPeak);
        breaker.OnEquity(21m);
        Assert.False(breaker.IsOpen);
    }

    /// <summary>The tick's one look at the breaker: the equity fed and the state after it, the trip included, in one answer.</summary>
    [Fact]
    public void ATicksCheckAnswersWithTheStateTheEquityItFedLeavesAndWithoutEquityOnlyReads()
    {
        var breaker = new CircuitBreaker("BTCUSDT", new CircuitBreakerOptions { MaxConsecutiveLosses = 100, MaxDrawdownAmount = 10m }, new FakeTimeProvider(Start));
        breaker.Restore(null, 0m);

        Assert.Equal(new BreakerGate(true, TradingState.Active, false), breaker.Check(20m));
        Assert.Equal(new BreakerGate(false, TradingState.Active, false), breaker.Check(null));
        Assert.Equal(new BreakerGate(false, TradingState.Halted, false), breaker.Check(10m));
        Assert.Equal(BreakerTrigger.Drawdown, breaker.Status.Trigger);

        // Without equity nothing is fed: no new peak from a missing price, and the trip stays.
        Assert.Equal(new BreakerGate(false, TradingState.Halted, false), breaker.Check(null));
        Assert.Equal(20m, breaker.Status.EquityPeak);
    }

    [Fact]
    public void OperatorsOpenReducingOrHaltedAndDivergenceOpeningsStayOpenUntilAnOperatorCloses()
    {
        var time = new FakeTimeProvider(Start);
        var breaker = new CircuitBreaker("BTCUSDT", new CircuitBreakerOptions(), time);
        var changes = new List<BreakerStatus>();
        breaker.Changed += changes.Add;
        breaker.Open(BreakerTrigger.Operator, "maintenance", TradingState.Reducing);
        Assert.Equal(TradingState.Reducing, breaker.State);
        Assert.False(breaker.Flatten);
        breaker.Open(BreakerTrigger.Divergence, "position divergence");
        Assert.Equal(TradingState.Halted, breaker.State);

        // An operator never loosens a stricter state.
        breaker.Open(BreakerTrigger.Operator, "flatten", TradingState.Reducing, flatten: true);
        Assert.Equal(TradingState.Halted, breaker.State);
        Assert.True(breaker.Flatten);
        time.Advance(TimeSpan.FromHours(1));
        Assert.True(breaker.IsOpen);
        breaker.Close();
        Assert.False(breaker.IsOpen);
        Assert.Equal([true, true, true, false], changes.Select(c => c.IsOpen).ToArray());
    }

    [Fact]
    public void APriceIsFreshOnlyWhenItArrivedAfterThePriceStreamsLastGapAndWithinTheMaximumAge()
    {
        var time = new FakeTimeProvider(Start);
        using var risk = new RiskState(Microsoft.Extensions.Options.Options.Create(new MarketMakerOptions { Limits = new RiskLimitOptions { MaxTickAge = TimeSpan.FromSeconds(10) } }), time);
        time.Advance(TimeSpan.FromSeconds(1));
        var beforeOutage = time.GetTimestamp();
        Assert.True(risk.IsFresh(beforeOutage));

        // The connector stops answering: what came before is not traded on, even once it answers again.
        time.Advance(TimeSpan.FromSeconds(1));
        risk.OnPriceGap();
        Assert.False(risk.IsFresh(beforeOutage));
        var afterReturn = time.GetTimestamp();
        Assert.True(risk.IsFresh(afterReturn));

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(risk.IsFresh(afterReturn));
        time.Advance(TimeSpan.FromTicks(1));
        Assert.False(risk.IsFresh(afterReturn));

        var beforeReconnect = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(1));
        risk.OnStreamReconnected("price");
        Assert.False(risk.IsFresh(beforeReconnect));
        Assert.False(risk.IsFresh(0));
    }

    [Fact]
    public void OperatorLimitsAndAnOpenBreakerWithItsEquityPeakAreSavedAndRestored()
    {
        var time = new FakeTimeProvider(Start);
        var path = Path.Combine(Path.GetTempPath(), $"opensqt-riskstate-{Guid.NewGuid():N}.db");
        var options = Microsoft.Extensions.Options.Options.Create(new MarketMakerOptions
        {
            StatePath = path,
            Symbols = [new GridOptions { Symbol = "BTCUSDT", PriceInterval = 100m, OrderQuantity = 200m, MaxPositionSize = 1m }],
            CircuitBreaker = new CircuitBreakerOptions { MaxDrawdownAmount = 5m },
        });
        using (var risk = new RiskState(options, time))
        {
            risk.Restore("BTCUSDT", 0m);
            Assert.Equal(1m, risk.Limits("BTCUSDT").MaxPositionSize);
            risk.SetLimits("BTCUSDT", new PositionLimits(0.5m, 1000m, 3m, 0m, 4));
            risk.Breaker("BTCUSDT")!.OnEquity(12m);
            risk.Breaker("BTCUSDT")!.Open(BreakerTrigger.Operator, "maintenance", TradingState.Halted, flatten: true);
        }

        using var restarted = new RiskState(options, time);
        restarted.SetConnectorProblem(null);
        restarted.Restore("BTCUSDT", 2m);
        Assert.Equal(new PositionLimits(0.5m, 1000m, 3m, 0m, 4), restarted.Limits("BTCUSDT"));
        var status = restarted.Breaker("BTCUSDT")!.Status;
        Assert.True(status.IsOpen);
        Assert.Equal(TradingState.Halted, status.State);
        Assert.True(status.Flatten);
        Assert.Equal(BreakerTrigger.Operator, status.Trigger);
        Assert.Equal(12m, status.EquityPeak);
        Assert.Equal(TradingState.Halted, restarted.StateOf("BTCUSDT").State);
        Assert.Equal(RiskTrigger.Operator, restarted.StateOf("BTCUSDT").Trigger);
    }

    [Fact]
    public void TheMarginGuardPutsEverySymbolReducingAtTheMarginUsageAndASymbolNearItsLiquidationPrice()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new MarketMakerOptions
        {
            StatePath = Path.Combine(Path.GetTempPath(), $"opensqt-margin-guard-{Guid.NewGuid():N}.db"),
            Symbols =
            [
                new GridOptions { Symbol = "BTCUSDT", PriceInterval = 100m, OrderQuantity = 200m },
                new GridOptions { Symbol = "ETHUSDT", PriceInterval = 5m, OrderQuantity = 50m },
            ],
            Limits = new RiskLimitOptions { MaxMarginUsage = 0.5m, MinLiquidationDistance = 0.05m },
        });
        using var risk = new RiskState(options, new FakeTimeProvider(Start));
        risk.SetConnectorProblem(null);
        Position Btc(decimal liquidation) => new() { Symbol = "BTCUSDT", Size = 1m, MarkPrice = 100_000m, LiquidationPrice = liquidation };

        risk.OnAccount(new Account { WalletBalance = 1000m, MarginBalance = 1000m, AvailableBalance = 500m, MaintenanceMargin = 400m, Positions = [Btc(94_000m)] });
        Assert.Equal(TradingState.Active, risk.StateOf("BTCUSDT").State);
        risk.OnAccount(new Account { WalletBalance = 1000m, MarginBalance = 1000m, AvailableBalance = 500m, MaintenanceMargin = 400m, Positions = [Btc(95_000m)] });
        Assert.Equal(TradingState.Reducing, risk.StateOf("BTCUSDT").State);
        Assert.Equal(RiskTrigger.Margin, risk.StateOf("BTCUSDT").Trigger);
        Assert.Equal(TradingState.Active, risk.StateOf("ETHUSDT").State);

        risk.OnAccount(new Account { WalletBalance = 1000m, MarginBalance = 800m, AvailableBalance = 0m, MaintenanceMargin = 400m });
        Assert.Equal(TradingState.Reducing, risk.StateOf("ETHUSDT").State);
        Assert.Contains("MaxMarginUsage=0.5", risk.StateOf("ETHUSDT").Reason, StringComparison.Ordinal);

        // The guard latches: a calm account does not reopen trading; the operator's reset does.
        risk.OnAccount(new Account { WalletBalance = 1000m, MarginBalance = 1000m, AvailableBalance = 900m, MaintenanceMargin = 0m });
        Assert.Equal(TradingState.Reducing, risk.StateOf("ETHUSDT").State);
        risk.Breaker("ETHUSDT")!.Close();
        Assert.Equal(TradingState.Active, risk.StateOf("ETHUSDT").State);
    }
}
