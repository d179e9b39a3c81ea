using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// Bitget v2 rate limits (https://www.bitget.com/api-doc/common/rate-limit and each endpoint's page): "6000 requests
/// per minute per IP" over all REST endpoints, with the remaining budget reported in <c>x-mbx-used-remain-limit</c>
/// (R); "market endpoints 20 times/1s (IP)"; "place, cancel and order detail 10 times/1s (UID)"; batch place and cancel
/// "5 times/1s (UID)". Going past a limit is HTTP 429.
/// </summary>
public static class BitgetRateLimits
{
    public const string Ip = "IP";
    public const string Market = "MARKET";
    public const string Trade = "TRADE";
    public const string Batch = "BATCH";
    public const string Private = "PRIVATE";
    public const string RemainHeader = "x-mbx-used-remain-limit";

    public static IReadOnlyList<RateLimitRule> Rules { get; } =
    [
        new(Ip, 6000, TimeSpan.FromMinutes(1)) { RemainingHeader = RemainHeader },
        new(Market, 20, TimeSpan.FromSeconds(1)),
        new(Trade, 10, TimeSpan.FromSeconds(1)),
        new(Batch, 5, TimeSpan.FromSeconds(1)),
        new(Private, 10, TimeSpan.FromSeconds(1)),
    ];

    public static IReadOnlyList<RateLimitCost> MarketCall { get; } = [new(Ip, 1), new(Market, 1)];

    public static IReadOnlyList<RateLimitCost> TradeCall { get; } = [new(Ip, 1), new(Trade, 1)];

    public static IReadOnlyList<RateLimitCost> BatchCall { get; } = [new(Ip, 1), new(Batch, 1)];

    public static IReadOnlyList<RateLimitCost> PrivateCall { get; } = [new(Ip, 1), new(Private, 1)];
}
