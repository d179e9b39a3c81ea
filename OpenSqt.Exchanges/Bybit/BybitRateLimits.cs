using OpenSqt.Exchanges.Common;
using static OpenSqt.Exchanges.Bybit.BybitEndpoint;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit v5 rate limits as the venue counts them (https://bybit-exchange.github.io/docs/v5/rate-limit):
/// <list type="bullet">
/// <item>per IP: "600 requests within a 5-second window per IP" (beyond it HTTP 403 for at least 10 minutes);</item>
/// <item>per UID and per endpoint, per second, reported on every signed answer in <c>X-Bapi-Limit</c> (the limit),
/// <c>X-Bapi-Limit-Status</c> (what remains) and <c>X-Bapi-Limit-Reset-Timestamp</c>, exceeded with retCode 10006.
/// Each endpoint's figure stands with it in <see cref="BybitEndpoint"/>. The limits are "upgradable", so the limit
/// the venue reports replaces the declared one.</item>
/// <item>the batch endpoints have "their own rate limit and do not share it with single requests"; on linear they
/// are charged "according to the actual number of orders" and "the part that exceeds the limit will fail" (section
/// "Instructions for batch endpoints").</item>
/// </list>
/// One rule per endpoint, so a spent order-entry budget never holds back a cancel or a read. Breaking the IP limit is
/// answered with HTTP 403, not 429 or 10006, so a 429 (Bybit's "System level frequency protection",
/// https://bybit-exchange.github.io/docs/v5/error) or a 10006 on one endpoint pauses that endpoint's budget only: the IP
/// budget is not <see cref="RateLimitRule.PausedByRefusal"/>.
/// </summary>
internal static class BybitRateLimits
{
    public const string Ip = "IP_5S";
    public const string LimitHeader = "X-Bapi-Limit";
    public const string RemainingHeader = "X-Bapi-Limit-Status";
    public const string ResetHeader = "X-Bapi-Limit-Reset-Timestamp";

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Per-UID endpoint budgets: <c>X-Bapi-Limit-Status</c> names what remains of the budget of the endpoint called,
    /// so it corrects only the rules the call was charged against, on every answer (also a 10006 refusal).
    /// </summary>
    private static readonly EndpointBudgets<BybitEndpoint> Budgets = new(new(Ip, 600, TimeSpan.FromSeconds(5)) { PausedByRefusal = false }, RemainingHeader,
        (10, Second, [OrderCreate, OrderCancel, OrderCancelAll, OrderCreateBatch, OrderCancelBatch]),
        (50, Second, [OrderRealtime, OrderHistory, PositionList, WalletBalance, AccountInfo]),
        (5, Second, [DisconnectedCancelAll, QueryDcpInfo]));

    public static IReadOnlyList<RateLimitRule> Rules => Budgets.Rules;

    /// <summary>A public call: the IP budget only.</summary>
    public static IReadOnlyList<RateLimitCost> Read { get; } = [new(Ip, 1)];

    /// <summary>A signed call of one endpoint: one IP request and <paramref name="units"/> of the endpoint's own budget (the last cost names it).</summary>
    public static IReadOnlyList<RateLimitCost> Call(BybitEndpoint endpoint, int units = 1) => Budgets.Call(endpoint, units);

    /// <summary>The name of the rule of <paramref name="endpoint"/>'s own budget.</summary>
    public static string Rule(BybitEndpoint endpoint) => Budgets.Name(endpoint);

    /// <summary>Whether a rule is a per-UID endpoint budget (reported in the X-Bapi-Limit headers).</summary>
    public static bool IsUidRule(string rule) => rule != Ip;
}

/// <summary>
/// The Bybit v5 endpoints this client signs, each a per-UID budget of its own (a rule named after the member), one
/// line per limit: the UTA2.0 Pro defaults for linear of the table on https://bybit-exchange.github.io/docs/v5/rate-limit.
/// </summary>
internal enum BybitEndpoint
{
    // 10/s each: /v5/order/create, cancel, cancel-all, create-batch and cancel-batch (Trade table).
    OrderCreate, OrderCancel, OrderCancelAll, OrderCreateBatch, OrderCancelBatch,

    // 50/s each: /v5/order/realtime, /v5/order/history, /v5/position/list, /v5/account/wallet-balance and /v5/account/info.
    OrderRealtime, OrderHistory, PositionList, WalletBalance, AccountInfo,

    // 5/s each: /v5/order/disconnected-cancel-all and /v5/account/query-dcp-info (Trade and Account tables).
    DisconnectedCancelAll, QueryDcpInfo,
}
