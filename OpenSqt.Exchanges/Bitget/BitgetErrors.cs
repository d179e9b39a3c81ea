using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// Bitget error codes (<c>{"code","msg"}</c>; success is <c>"00000"</c>) onto OpenSqt's kinds. Sources: Bitget's table
/// https://www.bitget.com/api-doc/contract/error-code/restapi (copy in sebastianganser/Bitget_API
/// <c>contract/error-code/restapi.md</c> at ad3c6d9), and ccxt's <c>bitget</c> <c>exceptions.exact</c> (copied in
/// <c>tests/OpenSqt.Exchanges.Tests/Vectors/errors/bitget_error_codes_ccxt.json</c>), which keeps codes of the older
/// mix API that Bitget's current table no longer lists (40004, 40500, 40604, 40711, 40712, 40768, 40774). Where the two
/// disagree the comment says so. 40786 is in neither; it is what live clients see for a duplicate clientOid.
/// </summary>
internal static class BitgetErrors
{
    public const string Success = "00000";
    public const string OrderDoesNotExist = "40768";
    public const string OrderNotFound = "43001";

    public static VenueErrorTable Table { get; } = new("bitget", new Dictionary<string, VenueErrorInfo>
    {
        ["40004"] = new(ExchangeErrorKind.Unavailable, IsClockError: true),
        ["40005"] = new(ExchangeErrorKind.Unavailable, IsClockError: true, Explanation: "invalid ACCESS-TIMESTAMP"),
        ["40008"] = new(ExchangeErrorKind.Unavailable, IsClockError: true, Explanation: "the timestamp is too far from Bitget's clock"),
        ["40001"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "ACCESS-KEY missing; check API_KEY"),
        ["40003"] = new(ExchangeErrorKind.Unauthenticated),
        ["40006"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "invalid ACCESS-KEY; check API_KEY"),
        ["40009"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "signature refused; check API_SECRET"),
        // Bitget's table: 40010 "Request timed out" (ccxt's older table says "sign signature error"). Clients quote it
        // as an answer to a place-order: {"code":"40010","msg":"Request timed out","requestTime":1695806875837} (REST)
        // and {"event":"error","topic":"place-order","code":"40010","msg":"Request timed out"} (WebSocket trading), and
        // treat it as ambiguous: whether the order was taken is unknown, so it is resolved by client id.
        ["40010"] = new(ExchangeErrorKind.UnknownOutcome, Explanation: "Bitget timed out processing the request; the outcome is unknown"),
        ["40011"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "ACCESS-PASSPHRASE missing; set PASSPHRASE"),
        ["40012"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "API key or passphrase refused; check API_KEY and PASSPHRASE"),
        ["40037"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "the API key does not exist"),
        ["40014"] = new(ExchangeErrorKind.PermissionDenied, Explanation: "the API key lacks the permission"),
        ["40018"] = new(ExchangeErrorKind.PermissionDenied, Explanation: "this IP is not on the API key's whitelist"),
        ["429"] = new(ExchangeErrorKind.RateLimited),
        ["40015"] = new(ExchangeErrorKind.UnknownOutcome, Explanation: "Bitget system error; the outcome is unknown"),
        ["40604"] = new(ExchangeErrorKind.Unavailable, Explanation: "Bitget is busy"),
        ["40200"] = new(ExchangeErrorKind.Unavailable, Explanation: "Bitget maintenance"),
        ["40017"] = new(ExchangeErrorKind.InvalidArgument),
        ["400172"] = new(ExchangeErrorKind.InvalidArgument),
        ["40019"] = new(ExchangeErrorKind.InvalidArgument),
        ["40020"] = new(ExchangeErrorKind.InvalidArgument),
        // Bitget's table: 40304 "clientOid or clientOrderId length cannot greater than 50", 40305 "... greater than 64,
        // and cannot be Martian characters"; ccxt (older mix API): 40305 "Client_oid length is not greater than 50".
        ["40304"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "clientOid longer than 50"),
        ["40305"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "clientOid too long or not ASCII"),
        ["40306"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "at most 20 orders per batch"),
        ["40500"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "clientOid check failed"),
        ["40706"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "wrong order price"),
        // ccxt: "Wrong order quantity" (older mix API); Bitget's current table: "The subaccountName has been used".
        ["40108"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "wrong order quantity"),
        ["40102"] = new(ExchangeErrorKind.NotFound, Explanation: "unknown contract"),
        ["40309"] = new(ExchangeErrorKind.NotFound, Explanation: "the contract was removed"),
        ["40808"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "price or size not on the contract's precision"),
        ["41103"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "price not on the contract's precision"),
        ["45110"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "below the minimum order value"),
        ["43012"] = new(ExchangeErrorKind.InsufficientMargin),
        ["40762"] = new(ExchangeErrorKind.InsufficientMargin),
        ["40711"] = new(ExchangeErrorKind.InsufficientMargin),
        ["40712"] = new(ExchangeErrorKind.InsufficientMargin),
        [OrderDoesNotExist] = new(ExchangeErrorKind.NotFound),
        [OrderNotFound] = new(ExchangeErrorKind.NotFound),
        ["40109"] = new(ExchangeErrorKind.NotFound),
        // Bitget's table: 22002 "No position to close".
        ["22002"] = new(ExchangeErrorKind.ReduceOnlyRejected, Explanation: "no position to reduce"),

        // Duplicate client ids: 45034 "clientOid duplicate" and 43118 "clientOrderId duplicate" are in Bitget's table;
        // 40786 "Duplicate clientOid" is in neither table but is what clients see (a pyget test case answers
        // {"msg":"Duplicate clientOid","code":"40786"}; a Bitget client retries on e.body.code === '40786').
        ["40786"] = new(ExchangeErrorKind.AlreadyExists, Explanation: "clientOid already used"),
        ["45034"] = new(ExchangeErrorKind.AlreadyExists, Explanation: "clientOid already used"),
        ["43118"] = new(ExchangeErrorKind.AlreadyExists, Explanation: "clientOid already used"),

        // Bitget's table (and CryptoRobotFr/Live-Tools-V2#2): "Currently holding positions or orders, the margin mode cannot be adjusted".
        ["45117"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "the contract holds a position or orders under the other margin mode"),
        ["40774"] = new(ExchangeErrorKind.PositionModeMismatch,
            Explanation: "the Bitget account is in hedge mode; OpenSqt trades one-way positions only: switch the USDT-FUTURES position mode to one-way and restart"),
    });
}
