using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>
/// Binance futures error codes onto OpenSqt's kinds
/// (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code).
/// </summary>
internal static class BinanceErrors
{
    public const string ClockOutOfWindow = "-1021";
    public const string UnknownOrderOnCancel = "-2011";
    public const string OrderDoesNotExist = "-2013";
    public const string PostOnlyWouldTake = "-5022";
    public const string HedgeModeOrder = "-4061";
    public const string ListenKeyDoesNotExist = "-1125";

    public static VenueErrorTable Table { get; } = new("binance", new Dictionary<string, VenueErrorInfo>
    {
        ["-1000"] = new(ExchangeErrorKind.UnknownOutcome, Explanation: "unknown error while processing; the outcome is unknown"),
        ["-1001"] = new(ExchangeErrorKind.Unavailable),
        ["-1003"] = new(ExchangeErrorKind.RateLimited),
        ["-1006"] = new(ExchangeErrorKind.UnknownOutcome),
        ["-1007"] = new(ExchangeErrorKind.UnknownOutcome, Explanation: "backend timeout; send status unknown"),
        ["-1008"] = new(ExchangeErrorKind.Unavailable, Explanation: "server overloaded"),
        ["-1015"] = new(ExchangeErrorKind.RateLimited, Explanation: "too many new orders"),
        [ClockOutOfWindow] = new(ExchangeErrorKind.Unavailable, IsClockError: true),
        ["-1022"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "signature refused; check API_SECRET"),
        ["-1100"] = new(ExchangeErrorKind.InvalidArgument),
        ["-1102"] = new(ExchangeErrorKind.InvalidArgument),
        ["-1106"] = new(ExchangeErrorKind.InvalidArgument),
        ["-1111"] = new(ExchangeErrorKind.InvalidArgument),
        ["-1115"] = new(ExchangeErrorKind.InvalidArgument),
        ["-1116"] = new(ExchangeErrorKind.InvalidArgument),
        ["-1117"] = new(ExchangeErrorKind.InvalidArgument),
        ["-1121"] = new(ExchangeErrorKind.NotFound, Explanation: "unknown symbol"),
        [ListenKeyDoesNotExist] = new(ExchangeErrorKind.NotFound, Explanation: "listen key expired"),
        ["-1013"] = new(ExchangeErrorKind.InvalidArgument),
        ["-2010"] = new(ExchangeErrorKind.Rejected),
        [UnknownOrderOnCancel] = new(ExchangeErrorKind.NotFound),
        [OrderDoesNotExist] = new(ExchangeErrorKind.NotFound),
        ["-2014"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "API key format invalid; check API_KEY"),
        ["-2015"] = new(ExchangeErrorKind.PermissionDenied, Explanation: "API key, IP or permission refused"),
        ["-2018"] = new(ExchangeErrorKind.InsufficientMargin),
        ["-2019"] = new(ExchangeErrorKind.InsufficientMargin),
        ["-2022"] = new(ExchangeErrorKind.ReduceOnlyRejected),
        ["-4003"] = new(ExchangeErrorKind.InvalidArgument),
        ["-4014"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "price not on the tick size"),
        ["-4015"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "client order id not valid"),
        ["-4023"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "quantity not on the step size"),
        [HedgeModeOrder] = new(ExchangeErrorKind.PositionModeMismatch,
            Explanation: "the Binance account is in hedge mode; OpenSqt trades one-way positions only: switch the account to one-way mode (dualSidePosition=false) and restart"),
        ["-4116"] = new(ExchangeErrorKind.AlreadyExists, Explanation: "client order id already used"),
        ["-4164"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "below the minimum notional"),
        ["-5021"] = new(ExchangeErrorKind.Rejected, Explanation: "fill-or-kill could not fill in full"),
        [PostOnlyWouldTake] = new(ExchangeErrorKind.PostOnlyRejected, Explanation: "post-only order would take liquidity"),
    });
}
