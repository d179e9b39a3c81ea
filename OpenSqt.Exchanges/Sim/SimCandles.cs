using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Sim;

/// <summary>
/// Candles of one instrument: closed one-minute history (longer intervals are aggregated from it) and the candle
/// being built for every interval, so that live klines and history always agree.
/// </summary>
internal sealed class SimCandles
{
    private const int MaxHistory = 20_000;
    private readonly string _symbol;
    private readonly List<Bar> _closedMinutes = [];
    private readonly Dictionary<string, Bar> _current = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TimeSpan> _spans = KlineInterval.All.ToDictionary(i => i, KlineInterval.ToTimeSpan, StringComparer.Ordinal);

    public SimCandles(string symbol) => _symbol = symbol;

    /// <summary>Seeds the history with closed one-minute bars, oldest first.</summary>
    public void AddHistory(Bar minute)
    {
        _closedMinutes.Add(minute);
        foreach (var (interval, span) in _spans)
        {
            var open = KlineInterval.Align(minute.OpenTime, span);
            if (_current.TryGetValue(interval, out var bar) && bar.OpenTime == open)
            {
                _current[interval] = bar.Merge(minute);
            }
            else
            {
                _current[interval] = minute with { OpenTime = open };
            }
        }
    }

    /// <summary>
    /// Records a trade. Returns, per interval, the candles that closed because of the time change, then the updated
    /// current candles, each as the stream publishes them.
    /// </summary>
    public void Trade(DateTimeOffset time, decimal price, decimal volume, List<Candle> closed, List<Candle> updated)
    {
        Roll(time, closed);
        foreach (var (interval, span) in _spans)
        {
            var bar = _current[interval];
            _current[interval] = bar.Add(price, volume);
            updated.Add(ToCandle(interval, _current[interval], closed: false));
        }
    }

    /// <summary>Closes every candle whose interval has ended by <paramref name="time"/>.</summary>
    public void Roll(DateTimeOffset time, List<Candle> closed)
    {
        foreach (var (interval, span) in _spans)
        {
            var open = KlineInterval.Align(time, span);
            var bar = _current[interval];
            if (bar.OpenTime == open)
            {
                continue;
            }

            closed.Add(ToCandle(interval, bar, closed: true));
            if (interval == "1m")
            {
                _closedMinutes.Add(bar);
                if (_closedMinutes.Count > MaxHistory)
                {
                    _closedMinutes.RemoveRange(0, _closedMinutes.Count - MaxHistory);
                }
            }

            _current[interval] = Bar.Flat(open, bar.Close);
        }
    }

    /// <summary>The last <paramref name="limit"/> candles of the interval, oldest first; the last one is the open candle.</summary>
    public IReadOnlyList<Candle> History(string interval, int limit)
    {
        var span = _spans[interval];
        var current = _current[interval];
        var result = new List<Candle>();
        Bar? building = null;
        foreach (var minute in _closedMinutes)
        {
            var open = KlineInterval.Align(minute.OpenTime, span);
            if (open >= current.OpenTime)
            {
                break;
            }

            if (building is { } b && b.OpenTime == open)
            {
                building = b.Merge(minute);
            }
            else
            {
                if (building is { } done)
                {
                    result.Add(ToCandle(interval, done, closed: true));
                }

                building = minute with { OpenTime = open };
            }
        }

        if (building is { } last)
        {
            result.Add(ToCandle(interval, last, closed: true));
        }

        result.Add(ToCandle(interval, current, closed: false));
        return result.Count <= limit ? result : result.GetRange(result.Count - limit, limit);
    }

    /// <summary>Closed one-minute bars since <paramref name="since"/>, plus the open one.</summary>
    public IEnumerable<Bar> MinutesSince(DateTimeOffset since)
    {
        foreach (var minute in _closedMinutes)
        {
            if (minute.OpenTime >= since)
            {
                yield return minute;
            }
        }

        yield return _current["1m"];
    }

    private Candle ToCandle(string interval, Bar bar, bool closed) => new()
    {
        Symbol = _symbol,
        Interval = interval,
        OpenTime = bar.OpenTime,
        Open = bar.Open,
        High = bar.High,
        Low = bar.Low,
        Close = bar.Close,
        Volume = bar.Volume,
        QuoteVolume = bar.QuoteVolume,
        IsClosed = closed,
    };

    internal readonly record struct Bar(DateTimeOffset OpenTime, decimal Open, decimal High, decimal Low, decimal Close, decimal Volume, decimal QuoteVolume)
    {
        public static Bar Flat(DateTimeOffset openTime, decimal price) => new(openTime, price, price, price, price, 0, 0);

        public Bar Add(decimal price, decimal volume) => Volume == 0 && Open == High && Open == Low && Open == Close
            ? this with { High = Math.Max(Open, price), Low = Math.Min(Open, price), Close = price, Volume = volume, QuoteVolume = price * volume }
            : this with { High = Math.Max(High, price), Low = Math.Min(Low, price), Close = price, Volume = Volume + volume, QuoteVolume = QuoteVolume + (price * volume) };

        public Bar Merge(Bar next) => this with
        {
            High = Math.Max(High, next.High),
            Low = Math.Min(Low, next.Low),
            Close = next.Close,
            Volume = Volume + next.Volume,
            QuoteVolume = QuoteVolume + next.QuoteVolume,
        };
    }
}
