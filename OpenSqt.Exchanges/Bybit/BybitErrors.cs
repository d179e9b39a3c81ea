using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit v5 retCodes onto OpenSqt's kinds (https://bybit-exchange.github.io/docs/v5/error; every code below is in that
/// page's copy in rosssaunders/coincise docs/bybit/error_codes.md at a00ae58 except 10018 "exceed ip rate limit" and
/// 10020 "not a unified margin account", which are ccxt's, see Vectors/errors/bybit_error_codes_ccxt.json). Success is decided by
/// <c>retCode == 0</c> alone: the success <c>retMsg</c> varies ("OK", "success", "SUCCESS", "").
/// </summary>
internal static class BybitErrors
{
    public const string BadSignature = "10004";
    public const string TooManyVisits = "10006";
    public const string OrderNotExists = "110001";
    public const string OrderFinished = "110008";
    public const string OrderAlreadyCancelled = "110010";
    public const string DuplicateOrderLinkId = "110072";
    public const string BelowMinNotional = "110094";
    /// <summary><c>rejectReason</c> of a post-only order cancelled because it would take (https://bybit-exchange.github.io/docs/v5/enum#rejectreason; response example of https://bybit-exchange.github.io/docs/v5/order/order-list).</summary>
    public const string PostOnlyWillTakeLiquidity = "EC_PostOnlyWillTakeLiquidity";

    public static VenueErrorTable Table { get; } = new("bybit", new Dictionary<string, VenueErrorInfo>
    {
        ["10001"] = new(ExchangeErrorKind.InvalidArgument), // params error
        ["10002"] = new(ExchangeErrorKind.Unavailable, IsClockError: true), // request time outside the recv window
        ["10003"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "API key refused; check API_KEY and the environment (mainnet, testnet, demo)"),
        [BadSignature] = new(ExchangeErrorKind.Unauthenticated, Explanation: "signature refused; check API_SECRET"),
        ["10005"] = new(ExchangeErrorKind.PermissionDenied),
        [TooManyVisits] = new(ExchangeErrorKind.RateLimited),
        ["10007"] = new(ExchangeErrorKind.Unauthenticated),
        ["10009"] = new(ExchangeErrorKind.PermissionDenied, Explanation: "IP banned"),
        ["10010"] = new(ExchangeErrorKind.PermissionDenied, Explanation: "request IP not on the key's whitelist"),
        ["10016"] = new(ExchangeErrorKind.Unavailable, Explanation: "Bybit system error; try again"),
        ["10018"] = new(ExchangeErrorKind.RateLimited, Explanation: "IP rate limit"),
        ["10020"] = new(ExchangeErrorKind.PermissionDenied, Explanation: "not a unified trading account"),
        [OrderNotExists] = new(ExchangeErrorKind.NotFound),
        ["110003"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "price out of the permitted range"),
        ["110004"] = new(ExchangeErrorKind.InsufficientMargin),
        ["110006"] = new(ExchangeErrorKind.InsufficientMargin),
        ["110007"] = new(ExchangeErrorKind.InsufficientMargin),
        [OrderFinished] = new(ExchangeErrorKind.NotFound, Explanation: "order already finished or cancelled"),
        [OrderAlreadyCancelled] = new(ExchangeErrorKind.NotFound, Explanation: "order already cancelled"),
        ["110012"] = new(ExchangeErrorKind.InsufficientMargin),
        ["110017"] = new(ExchangeErrorKind.ReduceOnlyRejected), // reduce-only rule not satisfied
        ["110020"] = new(ExchangeErrorKind.Rejected, Explanation: "more than 500 active orders"),
        ["110044"] = new(ExchangeErrorKind.InsufficientMargin),
        ["110045"] = new(ExchangeErrorKind.InsufficientMargin),
        [DuplicateOrderLinkId] = new(ExchangeErrorKind.AlreadyExists, Explanation: "orderLinkId already used"),
        ["110079"] = new(ExchangeErrorKind.Unavailable, Explanation: "the order is being processed; look it up"),
        [BelowMinNotional] = new(ExchangeErrorKind.InvalidArgument, Explanation: "below the minimum notional"),
        ["170131"] = new(ExchangeErrorKind.InsufficientMargin),
    });
}
