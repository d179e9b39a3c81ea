using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Okx;

/// <summary>
/// What the OKX simulator knows about the venue, written from OKX's documentation on its own: it never reads the
/// connector's constants, so a misunderstanding in the connector cannot pass through a shared table.
/// </summary>
internal static class OkxWire
{
    // Headers and signing: https://www.okx.com/docs-v5/en/#overview-rest-authentication-making-requests
    // (base64 HMAC-SHA256 of timestamp + METHOD + requestPath (with query) + body).
    public const string KeyHeader = "OK-ACCESS-KEY";
    public const string SignHeader = "OK-ACCESS-SIGN";
    public const string TimestampHeader = "OK-ACCESS-TIMESTAMP";
    public const string PassphraseHeader = "OK-ACCESS-PASSPHRASE";

    // Error codes and their HTTP statuses: https://www.okx.com/docs-v5/en/#error-code-rest-api (General, API and
    // Trade classes): 50001 503; 50004 400; 50011 429 ("Too Many Requests") and 200 ("Rate limit reached", the form an
    // item of a batch takes); 50102/50105/50111/50112/50113 401; 51000 400; 51001/51016/51020/51121 200.
    public const string ServiceUnavailable = "50001";
    public const string JsonError = "50002";
    public const string RateLimited = "50011";
    public const string TimestampExpired = "50102";
    public const string HeadersMissing = "50103";
    public const string BadPassphrase = "50105";
    public const string BadKey = "50111";
    public const string BadTimestamp = "50112";
    public const string BadSign = "50113";
    public const string ParameterError = "51000";
    public const string InstrumentNotExist = "51001";
    public const string DuplicateClOrdId = "51016";

    /// <summary>
    /// Cancel of an order that is filled, canceled or unknown: one code for all three ("Order cancellation failed as
    /// the order has been filled, canceled or does not exist."; 51401/51402 apply to Nitro Spread only), error-code
    /// table at https://www.okx.com/docs-v5/en/#error-code-rest-api-trade.
    /// </summary>
    public const string CancelFailed = "51400";

    /// <summary>Order details of an unknown order: 51603 "Order does not exist".</summary>
    public const string OrderNotExist = "51603";

    /// <summary>cancelSource 31: "The post-only order will take liquidity in maker orders" (Get order details).</summary>
    public const string PostOnlyCancelSource = "31";

    /// <summary>The HTTP status OKX answers a top-level code with (same error-code table).</summary>
    public static int HttpStatusOf(string code) => code switch
    {
        ServiceUnavailable => 503,
        RateLimited => 429,
        JsonError or ParameterError or "50004" => 400,
        TimestampExpired or HeadersMissing or BadPassphrase or BadKey or BadTimestamp or BadSign => 401,
        _ => 200,
    };

    /// <summary>OKX counts every REST budget in windows of 2 seconds (declared before the limits that use it).</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(2);

    /// <summary>
    /// OKX v5 REST rate limits, each "N requests per 2 seconds" as the endpoint's documentation states
    /// (https://www.okx.com/docs-v5/en/#overview-rate-limits and each endpoint's "Rate Limit" line). The first entry
    /// is the ticker, the budget the shared conformance suite drives. Order entry is counted per User ID +
    /// Instrument ID on OKX; the simulator counts per user, which is stricter.
    /// </summary>
    public static IReadOnlyList<SimRateLimit> Limits { get; } =
    [
        new(Limit.Ticker, 20, Window, null), // GET /market/ticker: 20/2 s per IP
        new(Limit.Tickers, 20, Window, null), // GET /market/tickers: 20/2 s per IP
        new(Limit.Candles, 40, Window, null), // GET /market/candles: 40/2 s per IP
        new(Limit.Instruments, 20, Window, null), // GET /public/instruments: 20/2 s per IP + instType
        new(Limit.Funding, 10, Window, null), // GET /public/funding-rate: 10/2 s per IP + instId
        new(Limit.FundingHistory, 10, Window, null), // GET /public/funding-rate-history: 10/2 s per IP + instId
        new(Limit.OpenInterest, 20, Window, null), // GET /public/open-interest: 20/2 s per IP + instId
        new(Limit.Time, 10, Window, null), // GET /public/time: 10/2 s per IP
        new(Limit.Place, 60, Window, null), // POST /trade/order: 60/2 s per User ID + Instrument ID
        new(Limit.Cancel, 60, Window, null), // POST /trade/cancel-order: 60/2 s per User ID + Instrument ID
        new(Limit.GetOrder, 60, Window, null), // GET /trade/order: 60/2 s per User ID + Instrument ID
        new(Limit.Pending, 60, Window, null), // GET /trade/orders-pending: 60/2 s per User ID
        new(Limit.Balance, 10, Window, null), // GET /account/balance: 10/2 s per User ID
        new(Limit.Positions, 10, Window, null), // GET /account/positions: 10/2 s per User ID
        new(Limit.CancelAllAfter, 1, TimeSpan.FromSeconds(1), null), // POST /trade/cancel-all-after: 1/1 s (JKorf OKX.Net CancelAllAfterAsync limit guard)
    ];

    /// <summary>
    /// POST /trade/batch-orders and /trade/cancel-batch-orders: "300 orders per 2 seconds ... Unlike other endpoints,
    /// the rate limit of this endpoint is determined by the number of orders. If there is only one order in the
    /// request, it will consume the rate limit of `Place order`" (`Cancel order` for the cancel batch);
    /// https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-multiple-orders and
    /// #order-book-trading-trade-post-cancel-multiple-orders. At most 20 orders per request.
    /// </summary>
    public const int BatchOrdersPerWindow = 300;

    public static class Limit
    {
        public const string Ticker = "ticker";
        public const string Tickers = "tickers";
        public const string Candles = "candles";
        public const string Instruments = "instruments";
        public const string Funding = "funding-rate";
        public const string FundingHistory = "funding-rate-history";
        public const string OpenInterest = "open-interest";
        public const string Time = "time";
        public const string Place = "order";
        public const string Cancel = "cancel-order";
        public const string GetOrder = "get-order";
        public const string Pending = "orders-pending";
        public const string Balance = "balance";
        public const string Positions = "positions";
        public const string BatchPlace = "batch-orders";
        public const string BatchCancel = "cancel-batch-orders";
        public const string CancelAllAfter = "cancel-all-after";
    }

    /// <summary>OpenSqt symbol <c>BTCUSDT</c> as an OKX USDT swap id <c>BTC-USDT-SWAP</c>.</summary>
    public static string InstId(string symbol) =>
        symbol.EndsWith("USDT", StringComparison.Ordinal) ? symbol[..^4] + "-USDT-SWAP" : symbol + "-SWAP";

    /// <summary>OKX USDT swap id back to the engine symbol, or null when it is not one.</summary>
    public static string? SymbolOf(string instId) =>
        instId.EndsWith("-USDT-SWAP", StringComparison.Ordinal) && instId.Length > "-USDT-SWAP".Length
            ? instId[..^"-USDT-SWAP".Length] + "USDT"
            : null;

    public static string Side(OrderSide side) => side == OrderSide.Buy ? "buy" : "sell";

    /// <summary>ordType values of Place order (https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order).</summary>
    public static string OrdType(OrderType type, TimeInForce tif, bool postOnly) => type == OrderType.Market
        ? "market"
        : postOnly || tif == TimeInForce.Gtx ? "post_only" : tif switch
        {
            TimeInForce.Ioc => "ioc",
            TimeInForce.Fok => "fok",
            _ => "limit",
        };

    /// <summary>Candle bars OKX offers (https://www.okx.com/docs-v5/en/#order-book-trading-market-data-get-candlesticks), UTC-aligned from 6H.</summary>
    public static string? IntervalOfBar(string bar) => bar switch
    {
        "1m" or "3m" or "5m" or "15m" or "30m" => bar,
        "1H" => "1h",
        "2H" => "2h",
        "4H" => "4h",
        "6Hutc" => "6h",
        "12Hutc" => "12h",
        "1Dutc" => "1d",
        _ => null,
    };

    public static string Sign(string secret, string payload)
    {
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload), hash);
        return Convert.ToBase64String(hash);
    }

    public static bool Verify(string secret, string payload, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, payload)), Encoding.ASCII.GetBytes(signature));

    public static string Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The per-order budget of OKX's batch endpoints: orders counted in fixed 2-second windows on the venue clock. The
/// orders of a batch past what is left of the window fail one by one with sCode 50011 inside an HTTP 200 answer (the
/// error-code table lists 50011 with HTTP 200 "Rate limit reached"). Thread-safe.
/// </summary>
internal sealed class OkxOrderBudget(TimeProvider clock, int limit, TimeSpan window)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _start;
    private int _used;

    /// <summary>Orders refused for the budget so far.</summary>
    public int Refused { get; private set; }

    /// <summary>Charges a batch of <paramref name="orders"/>; returns how many of them (the first ones) fit the window.</summary>
    public int Take(int orders)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % window.Ticks), TimeSpan.Zero);
            if (start != _start)
            {
                _start = start;
                _used = 0;
            }

            var granted = Math.Clamp(limit - _used, 0, orders);
            _used += granted;
            Refused += orders - granted;
            return granted;
        }
    }
}
