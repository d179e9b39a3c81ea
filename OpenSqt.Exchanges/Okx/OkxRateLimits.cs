using OpenSqt.Exchanges.Common;
using static OpenSqt.Exchanges.Okx.OkxEndpoint;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX v5 rate limits, one budget per endpoint as OKX counts them (https://www.okx.com/docs-v5/en/#overview-rate-limits
/// and the "Rate Limit" line of each endpoint; every figure of <see cref="OkxEndpoint"/> checked against the copy of
/// those pages in rosssaunders/coincise <c>docs/okx/{order_book_trading,public_data,trading_account}.md</c> at
/// a00ae58), each in windows of 2 seconds. Beyond a budget OKX answers HTTP 429 with code 50011 and no usage or
/// Retry-After header, so the client counts locally. Order entry is counted by OKX per User ID and Instrument ID; it
/// is counted here per user, which never sends more than OKX allows. The batch endpoints are charged per order ("Unlike other endpoints, the rate limit of this endpoint is determined by the number of
/// orders. If there is only one order in the request, it will consume the rate limit of `Place order`"), with
/// budgets of their own: placing, cancelling and querying never wait behind one another.
/// </summary>
internal static class OkxRateLimits
{
    /// <summary>
    /// The pause of a budget after a 429, which OKX sends with code 50011 but no Retry-After
    /// (https://www.okx.com/docs-v5/en/#error-code-rest-api-public; the rate-limit overview names no header): its
    /// windows are 2 s long, so a refusal clears within one; the pause doubles while 429s keep coming.
    /// </summary>
    public static readonly TimeSpan BackoffInitial = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause after repeated 429s on one budget: four windows.</summary>
    public static readonly TimeSpan BackoffMax = TimeSpan.FromSeconds(8);

    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    private static readonly EndpointBudgets<OkxEndpoint> Budgets = new(null, null,
        (10, Window, [FundingRate, FundingRateHistory, Time, Balance, Positions]),
        (20, Window, [Ticker, Tickers, Instruments, OpenInterest]),
        (40, Window, [Candles]),
        (60, Window, [PlaceOrder, CancelOrder, GetOrder, OrdersPending]),
        (300, Window, [BatchOrders, CancelBatchOrders]),
        (1, TimeSpan.FromSeconds(1), [CancelAllAfter]));

    public static IReadOnlyList<RateLimitRule> Rules => Budgets.Rules;

    /// <summary>The cost of one request of <paramref name="endpoint"/>.</summary>
    public static IReadOnlyList<RateLimitCost> Call(OkxEndpoint endpoint) => Budgets.Call(endpoint);

    /// <summary>The name of the rule of <paramref name="endpoint"/>'s budget.</summary>
    public static string Rule(OkxEndpoint endpoint) => Budgets.Name(endpoint);

    /// <summary>A batch place of <paramref name="orders"/> orders: one order is charged as a single place, more per order.</summary>
    public static IReadOnlyList<RateLimitCost> BatchPlaceCost(int orders) => orders == 1 ? Call(PlaceOrder) : Budgets.Call(BatchOrders, orders);

    /// <summary>A batch cancel of <paramref name="orders"/> orders: one order is charged as a single cancel, more per order.</summary>
    public static IReadOnlyList<RateLimitCost> BatchCancelCost(int orders) => orders == 1 ? Call(CancelOrder) : Budgets.Call(CancelBatchOrders, orders);
}

/// <summary>
/// The OKX v5 endpoints this client calls, each a budget of its own (a rule named after the member), one line per
/// limit: the "Rate Limit" and "Rate limit rule" lines of each endpoint's section of https://www.okx.com/docs-v5/en/.
/// </summary>
internal enum OkxEndpoint
{
    // 10 requests per 2 s: GET /public/funding-rate (IP + Instrument ID; https://www.okx.com/docs-v5/en/#public-data-rest-api-get-funding-rate),
    // GET /public/funding-rate-history (IP + Instrument ID), GET /public/time (IP), GET /account/balance and GET /account/positions (User ID).
    FundingRate, FundingRateHistory, Time, Balance, Positions,

    // 20 requests per 2 s: GET /market/ticker and GET /market/tickers (IP), GET /public/instruments (IP + instType),
    // GET /public/open-interest (IP + Instrument ID).
    Ticker, Tickers, Instruments, OpenInterest,

    // 40 requests per 2 s: GET /market/candles (IP).
    Candles,

    // 60 requests per 2 s: POST /trade/order (User ID + Instrument ID; https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order),
    // POST /trade/cancel-order and GET /trade/order (User ID + Instrument ID), GET /trade/orders-pending (User ID).
    PlaceOrder, CancelOrder, GetOrder, OrdersPending,

    // 300 orders per 2 s (User ID + Instrument ID), at most 20 a request: POST /trade/batch-orders and POST /trade/cancel-batch-orders
    // (https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-cancel-multiple-orders).
    BatchOrders, CancelBatchOrders,

    // POST /trade/cancel-all-after: "Rate Limit: 1 request per second", "Rate limit rule: User ID + tag" (OKX docs, Order book trading >
    // Cancel All After; JKorf OKX.Net OKXRestClientUnifiedApiTrading.cs CancelAllAfterAsync: "SingleLimitGuard(1, TimeSpan.FromSeconds(1) ... PerApiKey)").
    CancelAllAfter,
}
