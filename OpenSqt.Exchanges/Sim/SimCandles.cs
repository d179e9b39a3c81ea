using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Sim;

/// <summary>
/// Candles of one instrument: closed one-minute history (longer intervals are aggregated from it) and the candle
/// being built for every interval, so that live klines and history always agree.
/// </summary>
internal sealed class SimCandles
{
    private const int MaxHistory = 20_000;

    /// <summary>The intervals the sim builds, in <see cref="KlineInterval.All"/>'s order; index 0 is one minute.</summary>
    public static readonly string[] Intervals = [.. KlineInterval.All];

    private static readonly TimeSpan[] Spans = [.. Intervals.Select(KlineInterval.ToTimeSpan)];
    private readonly string _symbol;
    private readonly List<Bar> _closedMinutes = [];

    // The open one-minute bar is the only bar a trade updates. A longer interval's open candle is the merge of its
    // closed minutes (kept in _closedPart, null until one closed) and the open minute: each trade costs one bar update
    // instead of one per interval, and a minute's close costs one merge per interval.
    private readonly Bar?[] _closedPart = new Bar?[Intervals.Length];
    private Bar? _minute;

    public SimCandles(string symbol)
    {
        _symbol = symbol;
        if (Intervals[0] != "1m" || Spans.Any(s => s.Ticks % TimeSpan.TicksPerMinute != 0))
        {
            throw new InvalidOperationException("the sim builds candles from one-minute bars: every interval must be whole minutes, one minute first");
        }
    }

    /// <summary>The index of <paramref name="interval"/> in <see cref="Intervals"/>.</summary>
    public static int IndexOf(string interval)
    {
        var index = Array.IndexOf(Intervals, interval);
        return index >= 0 ? index : throw new ArgumentOutOfRangeException(nameof(interval), interval, "not a candle interval of the sim");
    }

    /// <summary>Seeds the history with closed one-minute bars, oldest first; the last one stays open until the next roll.</summary>
    public void AddHistory(Bar minute)
    {
        if (_minute is { } previous)
        {
            CloseMinute(previous, minute.OpenTime, closed: null);
        }

        _minute = minute;
    }

    /// <summary>
    /// Records a trade. Adds to <paramref name="closed"/>, per interval, the candles that closed because of the time
    /// change, then to <paramref name="updated"/> the open candle of each interval with readers (<paramref name="readers"/>, by
    /// index in <see cref="Intervals"/>), each as the stream publishes them.
    /// </summary>
    public void Trade(DateTimeOffset time, decimal price, decimal volume, List<Candle> closed, List<Candle> updated, int[] readers)
    {
        Roll(time, closed);
        _minute = Current().Add(price, volume);
        for (var i = 0; i < Intervals.Length; i++)
        {
            if (Volatile.Read(ref readers[i]) > 0)
            {
                updated.Add(ToCandle(Intervals[i], Open(i), closed: false));
            }
        }
    }

    /// <summary>Closes every candle whose interval has ended by <paramref name="time"/>.</summary>
    public void Roll(DateTimeOffset time, List<Candle> closed)
    {
        var minute = Current();
        var open = KlineInterval.Align(time, Spans[0]);
        if (minute.OpenTime != open)
        {
            CloseMinute(minute, open, closed);
            _minute = Bar.Flat(open, minute.Close);
        }
    }

    /// <summary>The last <paramref name="limit"/> candles of the interval, oldest first; the last one is the open candle.</summary>
    public IReadOnlyList<Candle> History(string interval, int limit)
    {
        var index = IndexOf(interval);
        var span = Spans[index];
        var current = Open(index);
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

        yield return Current();
    }

    private Bar Current() => _minute ?? throw new InvalidOperationException($"{_symbol}: the candles have no history to start from");

    /// <summary>The open candle of interval <paramref name="index"/>: its closed minutes merged with the open minute.</summary>
    private Bar Open(int index)
    {
        var minute = Current();
        if (index == 0)
        {
            return minute;
        }

        return _closedPart[index] is { } part ? part.Merge(minute) : minute with { OpenTime = KlineInterval.Align(minute.OpenTime, Spans[index]) };
    }

    /// <summary>
    /// Closes the minute <paramref name="minute"/> as the clock reaches <paramref name="next"/>: it joins the history and
    /// the closed part of every longer interval; an interval whose period ends with it closes (added to
    /// <paramref name="closed"/> when given).
    /// </summary>
    private void CloseMinute(Bar minute, DateTimeOffset next, List<Candle>? closed)
    {
        closed?.Add(ToCandle(Intervals[0], minute, closed: true));
        _closedMinutes.Add(minute);
        if (_closedMinutes.Count > MaxHistory)
        {
            _closedMinutes.RemoveRange(0, _closedMinutes.Count - MaxHistory);
        }

        for (var i = 1; i < Intervals.Length; i++)
        {
            var period = KlineInterval.Align(minute.OpenTime, Spans[i]);
            var part = _closedPart[i] is { } p ? p.Merge(minute) : minute with { OpenTime = period };
            if (KlineInterval.Align(next, Spans[i]) == period)
            {
                _closedPart[i] = part;
            }
            else
            {
                closed?.Add(ToCandle(Intervals[i], part, closed: true));
                _closedPart[i] = null;
            }
        }
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
