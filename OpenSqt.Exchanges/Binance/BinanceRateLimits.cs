using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>
/// Binance USDT-M futures rate limits, as /fapi/v1/exchangeInfo states them: "REQUEST_WEIGHT 2400 per minute" per IP
/// (reported in X-MBX-USED-WEIGHT-1M), "ORDERS 300 per 10 seconds" and "ORDERS 1200 per minute" per account (reported
/// in X-MBX-ORDER-COUNT-10S and X-MBX-ORDER-COUNT-1M). HTTP 429 means a limit was broken (with Retry-After); continuing
/// after it earns a 418 IP ban, which the shared tracker prevents by pausing.
/// </summary>
internal static class BinanceRateLimits
{
    public const string Weight = "REQUEST_WEIGHT";
    public const string Orders10S = "ORDERS_10S";
    public const string Orders1M = "ORDERS_1M";

    /// <summary>
    /// GET /fapi/v1/fundingRate: "share 500/5min/IP rate limit with GET /fapi/v1/fundingInfo" instead of request weight
    /// (https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Get-Funding-Rate-History;
    /// copy in rosssaunders/coincise docs/binance/usdm/endpoints/public/get_fapi_v1_fundingrate.md).
    /// </summary>
    public const string Funding = "FUNDING_5M";
    public const string WeightHeader = "X-MBX-USED-WEIGHT-1M";
    public const string Orders10SHeader = "X-MBX-ORDER-COUNT-10S";
    public const string Orders1MHeader = "X-MBX-ORDER-COUNT-1M";

    public static IReadOnlyList<RateLimitRule> Rules { get; } =
    [
        new(Weight, 2400, TimeSpan.FromMinutes(1), WeightHeader),
        new(Orders10S, 300, TimeSpan.FromSeconds(10), Orders10SHeader),
        new(Orders1M, 1200, TimeSpan.FromMinutes(1), Orders1MHeader),
        new(Funding, 500, TimeSpan.FromMinutes(5)),
    ];

    /// <summary>IP weight only.</summary>
    public static IReadOnlyList<RateLimitCost> Ip(int weight) => [new(Weight, weight)];

    /// <summary>Funding-rate history: one of the 500 per 5 minutes, no request weight.</summary>
    public static IReadOnlyList<RateLimitCost> FundingRate { get; } = [new(Funding, 1)];

    /// <summary>New order: 0 IP weight, 1 on each order counter.</summary>
    public static IReadOnlyList<RateLimitCost> NewOrder { get; } = [new(Orders10S, 1), new(Orders1M, 1)];

    /// <summary>Batch orders: 5 IP weight, 5 on the 10 s order counter, 1 on the minute counter.</summary>
    public static IReadOnlyList<RateLimitCost> BatchOrders { get; } = [new(Weight, 5), new(Orders10S, 5), new(Orders1M, 1)];

    /// <summary>GET /fapi/v1/klines weight by limit: [1,100) 1, [100,500) 2, [500,1000] 5, above 10.</summary>
    public static int KlinesWeight(int limit) => limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
}
