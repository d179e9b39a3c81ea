using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit v5 rate limits as the venue counts them (https://bybit-exchange.github.io/docs/v5/rate-limit):
/// <list type="bullet">
/// <item>per IP: "600 requests within a 5-second window per IP" (beyond it HTTP 403 for at least 10 minutes);</item>
/// <item>per UID and per endpoint, per second, reported on every signed answer in <c>X-Bapi-Limit</c> (the limit),
/// <c>X-Bapi-Limit-Status</c> (what remains) and <c>X-Bapi-Limit-Reset-Timestamp</c>, exceeded with retCode 10006.
/// The table's UTA2.0 Pro defaults for linear: create, cancel, cancel-all, create-batch and cancel-batch 10/s each;
/// realtime, history, position/list, wallet-balance and account/info 50/s. The limits are "upgradable", so the limit
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
    public const string Create = "UID_ORDER_CREATE_1S";
    public const string Cancel = "UID_ORDER_CANCEL_1S";
    public const string CancelAll = "UID_ORDER_CANCEL_ALL_1S";
    public const string CreateBatch = "UID_ORDER_CREATE_BATCH_1S";
    public const string CancelBatch = "UID_ORDER_CANCEL_BATCH_1S";
    public const string OrderRealtime = "UID_ORDER_REALTIME_1S";
    public const string OrderHistory = "UID_ORDER_HISTORY_1S";
    public const string Positions = "UID_POSITION_LIST_1S";
    public const string Wallet = "UID_WALLET_BALANCE_1S";
    public const string AccountInfo = "UID_ACCOUNT_INFO_1S";

    /// <summary><c>/v5/order/disconnected-cancel-all</c> and <c>/v5/account/query-dcp-info</c>: 5/s each (rate-limit page, Trade and Account tables).</summary>
    public const string DcpSet = "UID_DCP_SET_1S";
    public const string DcpInfo = "UID_DCP_INFO_1S";
    public const string LimitHeader = "X-Bapi-Limit";
    public const string RemainingHeader = "X-Bapi-Limit-Status";
    public const string ResetHeader = "X-Bapi-Limit-Reset-Timestamp";

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Per-UID endpoint budgets: <c>X-Bapi-Limit-Status</c> names what remains of the budget of the endpoint called,
    /// so it corrects only the rules the call was charged against, on every answer (also a 10006 refusal).
    /// </summary>
    private static readonly EndpointBudgets Budgets = new(new(Ip, 600, TimeSpan.FromSeconds(5)) { PausedByRefusal = false }, RemainingHeader,
        (10, Second, [Create, Cancel, CancelAll, CreateBatch, CancelBatch]),
        (50, Second, [OrderRealtime, OrderHistory, Positions, Wallet, AccountInfo]),
        (5, Second, [DcpSet, DcpInfo]));

    public static IReadOnlyList<RateLimitRule> Rules => Budgets.Rules;

    /// <summary>A public call: the IP budget only.</summary>
    public static IReadOnlyList<RateLimitCost> Read { get; } = [new(Ip, 1)];

    /// <summary>A signed call of one endpoint: one IP request and <paramref name="units"/> of the endpoint's own budget (the last cost names it).</summary>
    public static IReadOnlyList<RateLimitCost> Endpoint(string rule, int units = 1) => Budgets.Call(rule, units);

    /// <summary>Whether a rule is a per-UID endpoint budget (reported in the X-Bapi-Limit headers).</summary>
    public static bool IsUidRule(string rule) => rule != Ip;
}
