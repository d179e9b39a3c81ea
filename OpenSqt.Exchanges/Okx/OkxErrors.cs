using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX v5 codes onto OpenSqt's kinds (https://www.okx.com/docs-v5/en/#error-code-rest-api, which also gives each
/// code's HTTP status: 50102/50105/50111/50112/50113 are 401, 50011 is 429 or, inside a batch answer, 200). Order
/// operations answer per item with <c>sCode</c>/<c>sMsg</c>; those codes use this table too. Every code below is in the
/// copy of that page in rosssaunders/coincise docs/okx/error_codes.md (a00ae58) except 51119 "insufficient balance"
/// and 60009 "Login failed", which are ccxt's (Vectors/errors/okx_error_codes_ccxt.json), and 64008 (WebSocket table).
/// </summary>
internal static class OkxErrors
{
    public const string TimestampExpired = "50102";
    public const string ParameterError = "51000";
    /// <summary>"Order cancellation failed as the order has been filled, canceled or does not exist": ambiguous, settled with a query.</summary>
    public const string CancelFailed = "51400";

    /// <summary>51401/51402 (already canceled / completed) are documented for Nitro Spread only; taken as finished.</summary>
    public const string CancelAlreadyCanceled = "51401";
    public const string CancelAlreadyFilled = "51402";
    public const string OrderNotExist = "51603";
    public const string DuplicateClOrdId = "51016";
    public const string PostOnlyCancelSource = "31";
    /// <summary>WebSocket notice 64008 "The connection will soon be closed for a service upgrade. Please reconnect." (OKX docs, error codes, WebSocket; copy in rosssaunders/coincise docs/okx/error_code.md).</summary>
    public const string ServiceUpgrade = "64008";

    public static VenueErrorTable Table { get; } = new("okx", new Dictionary<string, VenueErrorInfo>
    {
        ["50001"] = new(ExchangeErrorKind.Unavailable, Explanation: "service temporarily unavailable"),
        ["50004"] = new(ExchangeErrorKind.UnknownOutcome, Explanation: "endpoint timeout; the outcome is unknown, look the order up by clOrdId"),
        ["50011"] = new(ExchangeErrorKind.RateLimited), // rate limit reached

        // "You've reached the maximum order rate limit for this account": the sub-account limit of 1000 order requests
        // per 2 s (OKX docs, Rate limits > Sub-account rate limit; error codes, HTTP 200).
        ["50061"] = new(ExchangeErrorKind.RateLimited, Explanation: "the account's order rate limit (1000 order requests per 2 s)"),
        ["50013"] = new(ExchangeErrorKind.Unavailable, Explanation: "system busy"),
        ["50026"] = new(ExchangeErrorKind.Unavailable),
        ["50061"] = new(ExchangeErrorKind.RateLimited),
        [TimestampExpired] = new(ExchangeErrorKind.Unavailable, IsClockError: true),
        ["50105"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "passphrase refused; check PASSPHRASE"),
        ["50107"] = new(ExchangeErrorKind.Unauthenticated),
        ["50111"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "API key refused; check API_KEY"),
        ["50112"] = new(ExchangeErrorKind.Unavailable, IsClockError: true, Explanation: "invalid OK-ACCESS-TIMESTAMP"),
        ["50113"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "signature refused; check API_SECRET"),
        [ParameterError] = new(ExchangeErrorKind.InvalidArgument),
        ["51001"] = new(ExchangeErrorKind.NotFound, Explanation: "instrument does not exist"),
        ["51006"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "price out of the allowed range"),
        ["51008"] = new(ExchangeErrorKind.InsufficientMargin),
        [DuplicateClOrdId] = new(ExchangeErrorKind.AlreadyExists, Explanation: "clOrdId already used"),
        ["51020"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "order size below the minimum"),
        ["51119"] = new(ExchangeErrorKind.InsufficientMargin),
        ["51121"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "size not a multiple of the lot size"),
        ["51127"] = new(ExchangeErrorKind.InsufficientMargin),
        ["51131"] = new(ExchangeErrorKind.InsufficientMargin),
        ["51169"] = new(ExchangeErrorKind.ReduceOnlyRejected, Explanation: "no position to reduce"),
        [CancelFailed] = new(ExchangeErrorKind.NotFound, Explanation: "the order is filled, canceled or unknown"),
        [CancelAlreadyCanceled] = new(ExchangeErrorKind.NotFound, Explanation: "already cancelled"),
        [CancelAlreadyFilled] = new(ExchangeErrorKind.NotFound, Explanation: "already filled"),
        [OrderNotExist] = new(ExchangeErrorKind.NotFound),
        ["60009"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "WebSocket login failed"),
    });
}
