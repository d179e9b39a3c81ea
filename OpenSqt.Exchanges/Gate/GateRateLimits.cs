using System.Globalization;
using System.Net.Http.Headers;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate APIv4 perpetual futures rate limits as Gate counts them
/// (https://www.gate.com/docs/developers/apiv4/en/#frequency-limit-rule): every public endpoint has its own
/// "200r/10s per endpoint" (per IP); for perpetual futures "batch/single order placement and amend an order are total
/// of 100r/s", "order cancellation (bulk/single) is 200r/s", and "the others: 200r/10s per endpoint" (per UID). A
/// batch counts as one request (the doc counts requests). Each answer carries, for the endpoint's own budget,
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

    /// <summary>Order placement, batch placement and amend: 100 requests a second together.</summary>
    public const string Orders = "orders";

    /// <summary>Cancel, batch cancel and cancel-all: 200 requests a second together.</summary>
    public const string Cancels = "cancels";

    public const string Time = "public:time";
    public const string Contracts = "public:contracts";
    public const string Tickers = "public:tickers";
    public const string Candlesticks = "public:candlesticks";
    public const string FundingRate = "public:funding_rate";
    public const string OrderList = "private:orders";
    public const string OrderLookup = "private:order";
    public const string Accounts = "private:accounts";
    public const string Positions = "private:positions";

    /// <summary>POST /futures/{settle}/countdown_cancel_all: one of "the others", 200 requests per 10 s per endpoint.</summary>
    public const string CountdownCancelAll = "private:countdown_cancel_all";

    private static readonly EndpointBudgets Budgets = new(null, RemainHeader,
        (100, TimeSpan.FromSeconds(1), [Orders]),
        (200, TimeSpan.FromSeconds(1), [Cancels]),
        (200, TimeSpan.FromSeconds(10), [Time, Contracts, Tickers, Candlesticks, FundingRate, OrderList, OrderLookup, Accounts, Positions, CountdownCancelAll]));

    public static IReadOnlyList<RateLimitRule> Rules => Budgets.Rules;

    /// <summary>One request against one budget.</summary>
    public static IReadOnlyList<RateLimitCost> Call(string budget) => Budgets.Call(budget);

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
