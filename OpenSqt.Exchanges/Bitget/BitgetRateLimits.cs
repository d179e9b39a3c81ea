using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// Bitget v2 rate limits, one budget per endpoint as Bitget counts them. Sources: the Bitget API FAQ ("the rate limit
/// of each API interface is calculated independently"; "the overall rate limit is 6000/IP/Min"; "the remaining rate
/// limit per second for the API" is the <c>x-mbx-used-remain-limit</c> response header); each endpoint's page under
/// https://www.bitget.com/api-doc/contract/ ("Frequency limit: 20 times/1s (IP)" for market data, "10 req/sec/UID" for
/// place, cancel, order detail, orders-pending, accounts and single-position, "5 requests/second/UID" for
/// batch-place-order and all-position); cross-checked against JKorf/Bitget.Net
/// <c>Bitget.Net/Clients/FuturesApiV2/BitgetRestClientFuturesApi*.cs</c> (per-endpoint <c>SingleLimitGuard</c>s).
/// A batch is one request of its endpoint (neither source charges per order). Going past a limit is HTTP 429. The
/// remaining-per-second header describes the endpoint that answered, so every endpoint budget declares it and the
/// 6000/min IP budget does not. A 429 pauses the refused endpoint's budget only: the IP budget is not
/// <see cref="RateLimitRule.PausedByRefusal"/>, since each endpoint is counted on its own and a 429 on place-order says
/// nothing about cancel-order (issue 12: cancels are never frozen behind order placement). The IP budget is still
/// counted locally, so the client stays below it.
/// </summary>
internal static class BitgetRateLimits
{
    public const string Ip = "IP";
    public const string RemainHeader = "x-mbx-used-remain-limit";

    public const string Place = "place-order";
    public const string BatchPlace = "batch-place-order";
    public const string Cancel = "cancel-order";
    public const string BatchCancel = "batch-cancel-orders";
    public const string Detail = "order-detail";
    public const string OpenOrders = "orders-pending";
    public const string Accounts = "accounts";
    public const string Account = "account";
    public const string AllPositions = "all-position";
    public const string SinglePosition = "single-position";
    public const string Ticker = "ticker";
    public const string Tickers = "tickers";
    public const string Candles = "candles";
    public const string Contracts = "contracts";
    public const string FundingTime = "funding-time";
    public const string FundingHistory = "history-fund-rate";
    public const string Time = "time";

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static readonly EndpointBudgets Budgets = new(new(Ip, 6000, TimeSpan.FromMinutes(1)) { PausedByRefusal = false }, RemainHeader,
        (10, Second, [Place, Cancel, BatchCancel, Detail, OpenOrders, Accounts, Account, SinglePosition]),
        (5, Second, [BatchPlace, AllPositions]),
        (20, Second, [Ticker, Tickers, Candles, Contracts, FundingTime, FundingHistory, Time]));

    public static IReadOnlyList<RateLimitRule> Rules => Budgets.Rules;

    /// <summary>The cost of one call of <paramref name="endpoint"/>: one unit of the IP budget and one of its own.</summary>
    public static IReadOnlyList<RateLimitCost> Call(string endpoint) => Budgets.Call(endpoint);
}
