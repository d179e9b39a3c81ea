using System.Globalization;
using System.Net.Http.Headers;
using OpenSqt.Exchanges.Common;
using static OpenSqt.Exchanges.Gate.GateEndpoint;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate APIv4 perpetual futures rate limits as Gate counts them
/// (https://www.gate.com/docs/developers/apiv4/en/#frequency-limit-rule): every public endpoint has its own
/// "200r/10s per endpoint" (per IP); for perpetual futures "batch/single order placement and amend an order are total
/// of 100r/s", "order cancellation (bulk/single) is 200r/s", and "the others: 200r/10s per endpoint" (per UID); the
/// budgets are the members of <see cref="GateEndpoint"/>. A batch counts as one request (the doc counts requests).
/// Each answer carries, for the endpoint's own budget,
/// <c>X-Gate-RateLimit-Requests-Remain</c>, <c>X-Gate-RateLimit-Limit</c> and <c>X-Gate-RateLimit-Reset-Timestamp</c>
/// ("when your request limit resets if you have exceeded your rate_limit. Otherwise, this is just the current
/// timestamp"); going past a limit is HTTP 429 <c>TOO_MANY_REQUESTS</c>, with no <c>Retry-After</c>. Every call here
/// is charged against exactly one budget, so the headers always describe that budget.
/// </summary>
internal static class GateRateLimits
{
    public const string RemainHeader = "X-Gate-RateLimit-Requests-Remain";
    public const string LimitHeader = "X-Gate-RateLimit-Limit";
    public const string ResetHeader = "X-Gate-RateLimit-Reset-Timestamp";

    private static readonly EndpointBudgets<GateEndpoint> Budgets = new(null, RemainHeader,
        (100, TimeSpan.FromSeconds(1), [Orders]),
        (200, TimeSpan.FromSeconds(1), [Cancels]),
        (200, TimeSpan.FromSeconds(10), [Time, FuturesContracts, Tickers, Candlesticks, FundingRate, OrderList, OrderLookup, Accounts, Positions, CountdownCancelAll]));

    public static IReadOnlyList<RateLimitRule> Rules => Budgets.Rules;

    /// <summary>One request against one budget.</summary>
    public static IReadOnlyList<RateLimitCost> Call(GateEndpoint endpoint) => Budgets.Call(endpoint);

    /// <summary>The name of the rule of <paramref name="endpoint"/>'s budget.</summary>
    public static string Rule(GateEndpoint endpoint) => Budgets.Name(endpoint);

    /// <summary>The budget a request was charged against (each Gate call is charged against exactly one).</summary>
    public static string? BudgetOf(IReadOnlyList<RateLimitCost> costs) => costs.Count == 1 ? costs[0].Rule : null;

    /// <summary>
    /// The reset time of <c>X-Gate-RateLimit-Reset-Timestamp</c>. Gate does not document its unit: a value above
    /// 10^11 is read as milliseconds, a smaller one as seconds (fractions allowed).
    /// </summary>
    public static DateTimeOffset? ResetAt(HttpResponseHeaders headers)
    {
        if (!headers.TryGetValues(GateRateLimits.ResetHeader, out var values)
            || !decimal.TryParse(values.FirstOrDefault(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || value <= 0)
        {
            return null;
        }

        var ms = value > 100_000_000_000m ? value : value * 1000m;
        return ms > 253_402_300_799_000m ? null : DateTimeOffset.FromUnixTimeMilliseconds(decimal.ToInt64(decimal.Ceiling(ms)));
    }
}

/// <summary>
/// Gate's budgets of the endpoints this client calls (a rule named after the member), one line per limit of
/// https://www.gate.com/docs/developers/apiv4/en/#frequency-limit-rule.
/// </summary>
internal enum GateEndpoint
{
    // "batch/single order placement and amend an order are total of 100r/s": place, batch place and amend together.
    Orders,

    // "order cancellation (bulk/single) is 200r/s": cancel, batch cancel and cancel-all together.
    Cancels,

    // "200r/10s per endpoint": every public endpoint (per IP) and "the others" (per UID), POST /futures/{settle}/countdown_cancel_all among them.
    Time, FuturesContracts, Tickers, Candlesticks, FundingRate, OrderList, OrderLookup, Accounts, Positions, CountdownCancelAll,
}
