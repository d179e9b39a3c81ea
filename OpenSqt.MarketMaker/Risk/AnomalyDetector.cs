using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;

namespace OpenSqt.MarketMaker.Risk;

/// <summary>What the detector concluded after a candle.</summary>
public enum AnomalyTransition
{
    None = 0,
    Halted,
    Resumed,
}

/// <summary>
/// The market-anomaly rule as pure logic: per monitored symbol the last <c>AverageWindow</c> closed candles and the
/// current one. A symbol is anomalous when the current candle's volume exceeds <c>VolumeMultiplier</c> x the average and
/// its close is below the average close; recovered when its last closed candle closed above the average close with
/// volume below the threshold. Halts on All/Any anomalous; resumes when <c>RecoveryThreshold</c> symbols recovered and
/// have stayed so, with no new anomaly, for <c>ResumeAfter</c> of market time (the candles' own clock), so one calm candle
/// between two spikes does not make trading flap.
/// </summary>
public sealed class AnomalyDetector
{
    private readonly RiskControlOptions _options;
    private readonly Dictionary<string, SymbolWindow> _windows = new(StringComparer.Ordinal);
    private readonly TimeSpan _interval;
    private DateTimeOffset _marketTime = DateTimeOffset.MinValue;
    private DateTimeOffset? _clearSince;

    public AnomalyDetector(RiskControlOptions options)
    {
        _options = options;
        _interval = KlineInterval.IsValid(options.Interval) ? KlineInterval.ToTimeSpan(options.Interval) : TimeSpan.FromMinutes(1);
        foreach (var symbol in options.EffectiveMonitorSymbols)
        {
            _windows[symbol] = new SymbolWindow();
        }
    }

    public bool IsHalted { get; private set; }

    public string Reason { get; private set; } = "";

    public IReadOnlyCollection<string> Symbols => _windows.Keys;

    /// <summary>Feeds one candle (history or live, closed or not). Returns whether the halt state changed.</summary>
    public AnomalyTransition OnCandle(Candle candle)
    {
        if (!_windows.TryGetValue(candle.Symbol, out var window))
        {
            return AnomalyTransition.None;
        }

        var at = candle.IsClosed ? candle.OpenTime + _interval : candle.OpenTime;
        if (at > _marketTime)
        {
            _marketTime = at;
        }

        if (candle.IsClosed)
        {
            if (window.Closed.Count == 0 || window.Closed[^1].OpenTime < candle.OpenTime)
            {
                window.Closed.Add(candle);
                if (window.Closed.Count > _options.AverageWindow + 1)
                {
                    window.Closed.RemoveAt(0);
                }
            }

            if (window.Current is { } current && current.OpenTime <= candle.OpenTime)
            {
                window.Current = null;
            }
        }
        else if (window.Current is null || window.Current.OpenTime <= candle.OpenTime)
        {
            window.Current = candle;
        }

        return Evaluate();
    }

    public bool IsAnomalous(string symbol) => _windows.TryGetValue(symbol, out var w) && Anomalous(w);

    public bool IsRecovered(string symbol) => _windows.TryGetValue(symbol, out var w) && Recovered(w);

    private AnomalyTransition Evaluate()
    {
        var anomalous = _windows.Count(kv => Anomalous(kv.Value));
        var halt = anomalous > 0 && (_options.GlobalStrategy == AnomalyStrategy.All ? anomalous == _windows.Count : anomalous > 0);
        if (!IsHalted)
        {
            if (halt)
            {
                IsHalted = true;
                Reason = $"market anomaly: volume above {_options.VolumeMultiplier}x the {_options.AverageWindow}-candle average with a falling close on {string.Join(", ", _windows.Where(kv => Anomalous(kv.Value)).Select(kv => kv.Key))} ({_options.GlobalStrategy})";
                return AnomalyTransition.Halted;
            }

            return AnomalyTransition.None;
        }

        var recovered = _windows.Count(kv => Recovered(kv.Value));
        if (halt || recovered < _options.RecoveryThreshold)
        {
            // Not clear (or spiking again): the recovery has to start over.
            _clearSince = null;
            return AnomalyTransition.None;
        }

        _clearSince ??= _marketTime;
        if (_marketTime - _clearSince.Value < _options.ResumeAfter)
        {
            return AnomalyTransition.None;
        }

        IsHalted = false;
        Reason = "";
        _clearSince = null;
        return AnomalyTransition.Resumed;
    }

    private (decimal Volume, decimal Close)? Average(SymbolWindow window, int skipLast)
    {
        var count = Math.Min(_options.AverageWindow, window.Closed.Count - skipLast);
        if (count <= 0)
        {
            return null;
        }

        decimal volume = 0, close = 0;
        for (var i = window.Closed.Count - skipLast - count; i < window.Closed.Count - skipLast; i++)
        {
            volume += window.Closed[i].Volume;
            close += window.Closed[i].Close;
        }

        return (volume / count, close / count);
    }

    private bool Anomalous(SymbolWindow window)
    {
        if (window.Current is not { } current || Average(window, 0) is not { } avg || avg.Volume <= 0)
        {
            return false;
        }

        return current.Volume > _options.VolumeMultiplier * avg.Volume && current.Close < avg.Close;
    }

    private bool Recovered(SymbolWindow window)
    {
        if (window.Closed.Count < 2 || Average(window, 1) is not { } avg)
        {
            return false;
        }

        var last = window.Closed[^1];
        return last.Close > avg.Close && last.Volume < _options.VolumeMultiplier * avg.Volume;
    }

    private sealed class SymbolWindow
    {
        public List<Candle> Closed { get; } = [];

        public Candle? Current { get; set; }
    }
}
