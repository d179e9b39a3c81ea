using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX v5 rate limits, one budget per endpoint as OKX counts them (https://www.okx.com/docs-v5/en/#overview-rate-limits
/// and the "Rate Limit" line of each endpoint; every figure below checked against the copy of those pages in
/// rosssaunders/coincise <c>docs/okx/{order_book_trading,public_data,trading_account}.md</c> at a00ae58), each in windows of 2 seconds. Beyond a budget OKX answers HTTP 429 with
/// code 50011 and no usage or Retry-After header, so the client counts locally. Order entry is counted by OKX per
/// User ID and Instrument ID; it is counted here per user, which never sends more than OKX allows. The batch endpoints
/// are charged per order ("Unlike other endpoints, the rate limit of this endpoint is determined by the number of
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

    /// <summary>GET /market/ticker: 20 requests per 2 s (IP).</summary>
    public const string Ticker = "TICKER_2S";

    /// <summary>GET /market/tickers: 20 requests per 2 s (IP).</summary>
    public const string Tickers = "TICKERS_2S";

    /// <summary>GET /market/candles: 40 requests per 2 s (IP).</summary>
    public const string Candles = "CANDLES_2S";

    /// <summary>GET /public/instruments: 20 requests per 2 s (IP + instType).</summary>
    public const string Instruments = "INSTRUMENTS_2S";

    /// <summary>GET /public/funding-rate: 10 requests per 2 s (IP + Instrument ID); https://www.okx.com/docs-v5/en/#public-data-rest-api-get-funding-rate.</summary>
    public const string Funding = "FUNDING_2S";

    /// <summary>GET /public/funding-rate-history: 10 requests per 2 s (IP + Instrument ID).</summary>
    public const string FundingHistory = "FUNDING_HISTORY_2S";

    /// <summary>GET /public/open-interest: 20 requests per 2 s (IP + Instrument ID).</summary>
    public const string OpenInterest = "OPEN_INTEREST_2S";

    /// <summary>GET /public/time: 10 requests per 2 s (IP).</summary>
    public const string Time = "TIME_2S";

    /// <summary>POST /trade/order: 60 requests per 2 s (User ID + Instrument ID); https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order.</summary>
    public const string Place = "PLACE_2S";

    /// <summary>POST /trade/batch-orders: 300 orders per 2 s (User ID + Instrument ID), at most 20 a request.</summary>
    public const string BatchPlace = "BATCH_PLACE_ORDERS_2S";

    /// <summary>POST /trade/cancel-order: 60 requests per 2 s (User ID + Instrument ID).</summary>
    public const string Cancel = "CANCEL_2S";

    /// <summary>POST /trade/cancel-batch-orders: 300 orders per 2 s (User ID + Instrument ID), at most 20 a request; https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-cancel-multiple-orders.</summary>
    public const string BatchCancel = "BATCH_CANCEL_ORDERS_2S";

    /// <summary>GET /trade/order: 60 requests per 2 s (User ID + Instrument ID).</summary>
    public const string GetOrder = "GET_ORDER_2S";

    /// <summary>GET /trade/orders-pending: 60 requests per 2 s (User ID).</summary>
    public const string Pending = "ORDERS_PENDING_2S";

    /// <summary>GET /account/balance: 10 requests per 2 s (User ID).</summary>
    public const string Balance = "BALANCE_2S";

    /// <summary>GET /account/positions: 10 requests per 2 s (User ID).</summary>
    public const string Positions = "POSITIONS_2S";

    /// <summary>
    /// POST /trade/cancel-all-after: "Rate Limit: 1 request per second", "Rate limit rule: User ID + tag" (OKX docs,
    /// Order book trading > Cancel All After; JKorf OKX.Net OKXRestClientUnifiedApiTrading.cs CancelAllAfterAsync:
    /// "SingleLimitGuard(1, TimeSpan.FromSeconds(1) ... PerApiKey)").
    /// </summary>
    public const string CancelAllAfter = "CANCEL_ALL_AFTER_1S";

    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    private static readonly EndpointBudgets Budgets = new(null, null,
        (10, Window, [Funding, FundingHistory, Time, Balance, Positions]),
        (20, Window, [Ticker, Tickers, Instruments, OpenInterest]),
        (40, Window, [Candles]),
        (60, Window, [Place, Cancel, GetOrder, Pending]),
        (300, Window, [BatchPlace, BatchCancel]),
        (1, TimeSpan.FromSeconds(1), [CancelAllAfter]));

    public static IReadOnlyList<RateLimitRule> Rules => Budgets.Rules;

    /// <summary>The cost of one request against one budget.</summary>
    public static IReadOnlyList<RateLimitCost> One(string rule) => Budgets.Call(rule);

    /// <summary>A batch place of <paramref name="orders"/> orders: one order is charged as a single place, more per order.</summary>
    public static IReadOnlyList<RateLimitCost> BatchPlaceCost(int orders) => orders == 1 ? One(Place) : Budgets.Call(BatchPlace, orders);

    /// <summary>A batch cancel of <paramref name="orders"/> orders: one order is charged as a single cancel, more per order.</summary>
    public static IReadOnlyList<RateLimitCost> BatchCancelCost(int orders) => orders == 1 ? One(Cancel) : Budgets.Call(BatchCancel, orders);
}
