using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit v5 rate limits (https://bybit-exchange.github.io/docs/v5/rate-limit): "600 requests within a 5-second window
/// per IP" (beyond it HTTP 403 for at least 10 minutes), and per-UID per-endpoint limits per second reported in
/// <c>X-Bapi-Limit</c> (the limit) and <c>X-Bapi-Limit-Status</c> (what remains), exceeded with retCode 10006. Order
/// entry on linear is 10/s per UID; the batch endpoints count one request per order.
/// </summary>
public static class BybitRateLimits
{
    public const string Ip = "IP_5S";
    public const string Orders = "UID_ORDERS_1S";
    public const string LimitHeader = "X-Bapi-Limit";
    public const string RemainingHeader = "X-Bapi-Limit-Status";
    public const string ResetHeader = "X-Bapi-Limit-Reset-Timestamp";

    public static IReadOnlyList<RateLimitRule> Rules { get; } =
    [
        new(Ip, 600, TimeSpan.FromSeconds(5)),
        new(Orders, 10, TimeSpan.FromSeconds(1)),
    ];

    /// <summary>A read or housekeeping call.</summary>
    public static IReadOnlyList<RateLimitCost> Read { get; } = [new(Ip, 1)];

    /// <summary>Order entry (single or batch): one request against the per-UID order budget.</summary>
    public static IReadOnlyList<RateLimitCost> Order { get; } = [new(Ip, 1), new(Orders, 1)];
}
