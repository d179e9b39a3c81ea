using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate APIv4 futures rate limits (https://www.gate.com/docs/developers/apiv4/en/#frequency-limit-rule): "public
/// endpoints 200 requests per 10 seconds per IP", "private endpoints 200 requests per 10 seconds per user", "futures
/// order placement and cancellation 100 requests per second per user". Each answer carries
/// <c>X-Gate-RateLimit-Requests-Remain</c> and <c>X-Gate-RateLimit-Limit</c> for its endpoint's budget; going past a
/// limit is HTTP 429 with label <c>TOO_MANY_REQUESTS</c>. The remaining count names no budget, so it is applied only to
/// the budget the request was charged against (each call here costs exactly one).
/// </summary>
public static class GateRateLimits
{
    public const string Public = "PUBLIC";
    public const string Private = "PRIVATE";
    public const string Orders = "ORDERS";
    public const string RemainHeader = "X-Gate-RateLimit-Requests-Remain";

    public static IReadOnlyList<RateLimitRule> Rules { get; } =
    [
        new(Public, 200, TimeSpan.FromSeconds(10)) { RemainingHeader = RemainHeader },
        new(Private, 200, TimeSpan.FromSeconds(10)) { RemainingHeader = RemainHeader },
        new(Orders, 100, TimeSpan.FromSeconds(1)) { RemainingHeader = RemainHeader },
    ];

    public static IReadOnlyList<RateLimitCost> PublicCall { get; } = [new(Public, 1)];

    public static IReadOnlyList<RateLimitCost> PrivateCall { get; } = [new(Private, 1)];

    public static IReadOnlyList<RateLimitCost> OrderCall { get; } = [new(Orders, 1)];
}
