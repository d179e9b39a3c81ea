using OpenSqt.Exchanges.Common;
using static OpenSqt.Exchanges.Bitget.BitgetEndpoint;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// Bitget v2 rate limits, one budget per endpoint as Bitget counts them. Sources: the Bitget API FAQ ("the rate limit
/// of each API interface is calculated independently"; "the overall rate limit is 6000/IP/Min"; "the remaining rate
/// limit per second for the API" is the <c>x-mbx-used-remain-limit</c> response header); each endpoint's limit, from
/// its page, stands with it in <see cref="BitgetEndpoint"/>. A batch is one request of its endpoint (neither source
/// charges per order). Going past a limit is HTTP 429. The remaining-per-second header describes the endpoint that
/// answered, so every endpoint budget declares it and the 6000/min IP budget does not. A 429 pauses the refused
/// endpoint's budget only: the IP budget is not <see cref="RateLimitRule.PausedByRefusal"/>, since each endpoint is
/// counted on its own and a 429 on place-order says nothing about cancel-order (issue 12: cancels are never frozen
/// behind order placement). The IP budget is still counted locally, so the client stays below it.
/// </summary>
internal static class BitgetRateLimits
{
    public const string Ip = "IP";
    public const string RemainHeader = "x-mbx-used-remain-limit";

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static readonly EndpointBudgets<BitgetEndpoint> Budgets = new(new(Ip, 6000, TimeSpan.FromMinutes(1)) { PausedByRefusal = false }, RemainHeader,
        (10, Second, [PlaceOrder, CancelOrder, BatchCancelOrders, OrderDetail, OrdersPending, Accounts, Account, SinglePosition]),
        (5, Second, [BatchPlaceOrder, AllPosition]),
        (20, Second, [Ticker, Tickers, Candles, ContractConfig, FundingTime, HistoryFundRate, Time]));

    public static IReadOnlyList<RateLimitRule> Rules => Budgets.Rules;

    /// <summary>The cost of one call of <paramref name="endpoint"/>: one unit of the IP budget and one of its own.</summary>
    public static IReadOnlyList<RateLimitCost> Call(BitgetEndpoint endpoint) => Budgets.Call(endpoint);
}

/// <summary>
/// The Bitget v2 endpoints this client calls, each a budget of its own (a rule named after the member), one line per
/// limit. Source of each limit: the endpoint's page under https://www.bitget.com/api-doc/contract/, cross-checked
/// against JKorf/Bitget.Net <c>Bitget.Net/Clients/FuturesApiV2/BitgetRestClientFuturesApi*.cs</c> (per-endpoint
/// <c>SingleLimitGuard</c>s).
/// </summary>
internal enum BitgetEndpoint
{
    // "10 req/sec/UID": place-order, cancel-order, batch-cancel-orders, order detail, orders-pending, accounts, account, single-position.
    PlaceOrder, CancelOrder, BatchCancelOrders, OrderDetail, OrdersPending, Accounts, Account, SinglePosition,

    // "5 requests/second/UID": batch-place-order, all-position.
    BatchPlaceOrder, AllPosition,

    // "Frequency limit: 20 times/1s (IP)": market data (ticker, tickers, candles, contracts, funding-time, history-fund-rate) and the server time.
    Ticker, Tickers, Candles, ContractConfig, FundingTime, HistoryFundRate, Time,
}
