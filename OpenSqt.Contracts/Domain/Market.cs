namespace OpenSqt.Contracts;

/// <summary>A trade price seen on the venue.</summary>
public sealed record PriceChange(string Symbol, decimal Price, DateTimeOffset Timestamp, string Exchange = "");

/// <summary>One candle. <see cref="OpenTime"/> is the start of the interval.</summary>
public sealed record Candle
{
    public required string Symbol { get; init; }
    public required string Interval { get; init; }
    public required DateTimeOffset OpenTime { get; init; }
    public required decimal Open { get; init; }
    public required decimal High { get; init; }
    public required decimal Low { get; init; }
    public required decimal Close { get; init; }
    public decimal Volume { get; init; }
    public decimal QuoteVolume { get; init; }
    public bool IsClosed { get; init; }
}

public sealed record FundingRate
{
    public string Exchange { get; init; } = "";
    public required string Symbol { get; init; }
    public required decimal Rate { get; init; }
    public decimal PredictedRate { get; init; }
    public DateTimeOffset NextFundingTime { get; init; }
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>
    /// The mark price at <see cref="Timestamp"/>, what unrealised PnL and liquidation are measured on; 0 when the venue's
    /// funding feed does not carry it. Binance pushes mark price and funding rate in one event
    /// (https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Mark-Price-Stream).
    /// </summary>
    public decimal MarkPrice { get; init; }
}

public sealed record Ticker
{
    public required string Symbol { get; init; }
    public required decimal LastPrice { get; init; }
    public decimal PriceChange { get; init; }
    public decimal PriceChangePercent { get; init; }
    public decimal Volume { get; init; }
    public decimal QuoteVolume { get; init; }
    public decimal OpenInterest { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>Kline intervals every venue understands, written the way OpenSqt writes them.</summary>
public static class KlineInterval
{
    private static readonly Dictionary<string, TimeSpan> Known = new(StringComparer.Ordinal)
    {
        ["1m"] = TimeSpan.FromMinutes(1),
        ["3m"] = TimeSpan.FromMinutes(3),
        ["5m"] = TimeSpan.FromMinutes(5),
        ["15m"] = TimeSpan.FromMinutes(15),
        ["30m"] = TimeSpan.FromMinutes(30),
        ["1h"] = TimeSpan.FromHours(1),
        ["2h"] = TimeSpan.FromHours(2),
        ["4h"] = TimeSpan.FromHours(4),
        ["6h"] = TimeSpan.FromHours(6),
        ["8h"] = TimeSpan.FromHours(8),
        ["12h"] = TimeSpan.FromHours(12),
        ["1d"] = TimeSpan.FromDays(1),
    };

    public static IReadOnlyCollection<string> All => Known.Keys;

    public static bool IsValid(string? interval) => interval is not null && Known.ContainsKey(interval);

    public static TimeSpan ToTimeSpan(string interval) =>
        Known.TryGetValue(interval, out var span)
            ? span
            : throw new ExchangeException(ExchangeErrorKind.InvalidArgument,
                $"interval '{interval}' is not supported; use one of {string.Join(", ", Known.Keys)}");

    /// <summary>The open time of the candle of <paramref name="interval"/> that contains <paramref name="time"/>.</summary>
    public static DateTimeOffset Align(DateTimeOffset time, TimeSpan interval)
    {
        var ms = time.ToUnixTimeMilliseconds();
        var step = (long)interval.TotalMilliseconds;
        return DateTimeOffset.FromUnixTimeMilliseconds(ms - (ms % step));
    }
}
