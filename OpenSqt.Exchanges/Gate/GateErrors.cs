using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate error labels (<c>{"label","message"}</c>, HTTP 4xx; batch items carry them with <c>succeeded:false</c>) onto
/// OpenSqt's kinds (https://www.gate.com/docs/developers/apiv4/en/#label-list; copy in rosssaunders/coincise
/// docs/gateio/error_codes.md at a00ae58). AUTHENTICATION_FAILED, TOO_MANY_REQUESTS and CLIENT_ID_NOT_FOUND are not in
/// that list but in ccxt's gate exceptions (tests/OpenSqt.Exchanges.Tests/Vectors/errors/gate_error_codes_ccxt.json).
/// Gate's list words INCREASE_POSITION "POC order will increase position"; it is read here as a reduce-only refusal.
/// </summary>
internal static class GateErrors
{
    public const string OrderFinished = "ORDER_FINISHED";

    public static VenueErrorTable Table { get; } = new("gate", new Dictionary<string, VenueErrorInfo>
    {
        ["REQUEST_EXPIRED"] = new(ExchangeErrorKind.Unavailable, IsClockError: true, Explanation: "the Timestamp header is more than 60 s from Gate's clock"),
        ["INVALID_SIGNATURE"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "signature refused; check API_SECRET"),
        ["INVALID_KEY"] = new(ExchangeErrorKind.Unauthenticated, Explanation: "API key refused; check API_KEY"),
        ["INVALID_CREDENTIALS"] = new(ExchangeErrorKind.Unauthenticated),
        ["AUTHENTICATION_FAILED"] = new(ExchangeErrorKind.Unauthenticated),
        ["MISSING_REQUIRED_HEADER"] = new(ExchangeErrorKind.Unauthenticated),
        ["IP_FORBIDDEN"] = new(ExchangeErrorKind.PermissionDenied, Explanation: "this IP is not on the API key's whitelist"),
        ["READ_ONLY"] = new(ExchangeErrorKind.PermissionDenied, Explanation: "the API key is read-only"),
        ["FORBIDDEN"] = new(ExchangeErrorKind.PermissionDenied),
        ["ACCOUNT_LOCKED"] = new(ExchangeErrorKind.PermissionDenied),
        ["TOO_MANY_REQUESTS"] = new(ExchangeErrorKind.RateLimited),
        ["TOO_FAST"] = new(ExchangeErrorKind.RateLimited),
        ["INVALID_PARAM_VALUE"] = new(ExchangeErrorKind.InvalidArgument),
        ["INVALID_ARGUMENT"] = new(ExchangeErrorKind.InvalidArgument),
        ["INVALID_REQUEST_BODY"] = new(ExchangeErrorKind.InvalidArgument),
        ["MISSING_REQUIRED_PARAM"] = new(ExchangeErrorKind.InvalidArgument),
        ["BAD_REQUEST"] = new(ExchangeErrorKind.InvalidArgument),
        ["INVALID_PRECISION"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "price not on the contract's order_price_round"),
        ["SIZE_TOO_SMALL"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "size below order_size_min"),
        ["SIZE_TOO_LARGE"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "size above order_size_max"),
        ["PRICE_TOO_DEVIATED"] = new(ExchangeErrorKind.InvalidArgument, Explanation: "price too far from the mark price"),
        ["CONTRACT_NOT_FOUND"] = new(ExchangeErrorKind.NotFound, Explanation: "unknown contract"),
        ["CONTRACT_IN_DELISTING"] = new(ExchangeErrorKind.Rejected),
        ["ORDER_NOT_FOUND"] = new(ExchangeErrorKind.NotFound),
        ["CLIENT_ID_NOT_FOUND"] = new(ExchangeErrorKind.NotFound),
        [OrderFinished] = new(ExchangeErrorKind.Rejected, Explanation: "the order is already finished"),
        ["ORDER_CLOSED"] = new(ExchangeErrorKind.Rejected, Explanation: "the order is already finished"),
        ["ORDER_CANCELLED"] = new(ExchangeErrorKind.Rejected, Explanation: "the order is already cancelled"),
        ["REPEATED_CREATION"] = new(ExchangeErrorKind.AlreadyExists, Explanation: "client order id already used"),
        ["BALANCE_NOT_ENOUGH"] = new(ExchangeErrorKind.InsufficientMargin),
        ["INSUFFICIENT_AVAILABLE"] = new(ExchangeErrorKind.InsufficientMargin),
        ["MARGIN_BALANCE_NOT_ENOUGH"] = new(ExchangeErrorKind.InsufficientMargin),
        ["FUTURES_BALANCE_NOT_ENOUGH"] = new(ExchangeErrorKind.InsufficientMargin),
        ["INCREASE_POSITION"] = new(ExchangeErrorKind.ReduceOnlyRejected, Explanation: "a reduce-only order would increase the position"),
        ["POSITION_EMPTY"] = new(ExchangeErrorKind.ReduceOnlyRejected, Explanation: "no position to reduce"),
        ["ORDER_POC_IMMEDIATE"] = new(ExchangeErrorKind.PostOnlyRejected, Explanation: "post-only (poc) order would take liquidity"),
        ["POC_FILL_IMMEDIATELY"] = new(ExchangeErrorKind.PostOnlyRejected, Explanation: "post-only (poc) order would take liquidity"),
        ["POSITION_DUAL_MODE"] = new(ExchangeErrorKind.PositionModeMismatch,
            Explanation: "the Gate account is in dual (hedge) mode; OpenSqt trades single-mode positions only: switch the futures account to single mode and restart"),
        ["INTERNAL"] = new(ExchangeErrorKind.UnknownOutcome, Explanation: "Gate internal error; the outcome is unknown"),
        ["SERVER_ERROR"] = new(ExchangeErrorKind.UnknownOutcome, Explanation: "Gate server error; the outcome is unknown"),
        ["TOO_BUSY"] = new(ExchangeErrorKind.Unavailable, Explanation: "Gate is overloaded"),
    });

    /// <summary>Labels Gate gives a cancel of an order that has already ended (ccxt ts/src/gate.ts exceptions).</summary>
    public static bool IsFinished(string? label) => label is OrderFinished or "ORDER_CLOSED" or "ORDER_CANCELLED";

    /// <summary>
    /// The error of one failed batch-cancel item, or null when the order turns out to be finished. Gate's item
    /// <c>message</c> is "Error description when cancellation fails" (gateapi-python docs/FutureCancelOrderResult.md),
    /// not a label: a message that is a known label is taken at its word, any other is settled by <paramref name="read"/>
    /// of the order (finished: done; unknown to Gate: NOT_FOUND; still open: refused with Gate's message).
    /// </summary>
    public static async Task<ExchangeException?> SettleBatchCancelItemAsync(string id, ExchangeException refusal, Func<CancellationToken, Task<Order>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        ArgumentNullException.ThrowIfNull(read);
        if (refusal.Kind == ExchangeErrorKind.UnknownOutcome)
        {
            return refusal;
        }

        var message = refusal.Message;
        if (Table.Find(message) is not null)
        {
            return IsFinished(message) ? null : Table.ToFailure(message, message, 400).Exception;
        }

        try
        {
            var order = await read(cancellationToken).ConfigureAwait(false);
            return order.Status.IsTerminal()
                ? null
                : new ExchangeException(ExchangeErrorKind.Rejected, $"gate did not cancel order {id}: {message}");
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
        {
            return new ExchangeException(ExchangeErrorKind.NotFound, $"gate does not know order {id}: {message}");
        }
        catch (ExchangeException ex)
        {
            return new ExchangeException(ExchangeErrorKind.UnknownOutcome, $"gate did not cancel order {id} ({message}) and it could not be read back: {ex.Message}");
        }
    }
}
