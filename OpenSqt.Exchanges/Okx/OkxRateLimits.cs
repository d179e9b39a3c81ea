using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX v5 rate limits (https://www.okx.com/docs-v5/en/#overview-rate-limits): per endpoint and UID (order entry per
/// UID and instrument) in windows of 2 seconds: place and cancel 60 per 2 s, batch place and batch cancel 300 orders
/// per 2 s, order queries 60 per 2 s, balance and positions 10 per 2 s, market data 20 per 2 s. Beyond it HTTP 429 with
/// code 50011. OKX reports no usage headers, so the client counts locally.
/// </summary>
public static class OkxRateLimits
{
    public const string Trade = "TRADE_2S";
    public const string Query = "QUERY_2S";
    public const string Account = "ACCOUNT_2S";
    public const string Market = "MARKET_2S";

    public static IReadOnlyList<RateLimitRule> Rules { get; } =
    [
        new(Market, 20, TimeSpan.FromSeconds(2)),
        new(Trade, 60, TimeSpan.FromSeconds(2)),
        new(Query, 60, TimeSpan.FromSeconds(2)),
        new(Account, 10, TimeSpan.FromSeconds(2)),
    ];

    public static IReadOnlyList<RateLimitCost> TradeCost { get; } = [new(Trade, 1)];

    public static IReadOnlyList<RateLimitCost> QueryCost { get; } = [new(Query, 1)];

    public static IReadOnlyList<RateLimitCost> AccountCost { get; } = [new(Account, 1)];

    public static IReadOnlyList<RateLimitCost> MarketCost { get; } = [new(Market, 1)];
}
