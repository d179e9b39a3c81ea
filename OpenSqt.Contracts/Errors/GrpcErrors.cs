using System.Globalization;
using Grpc.Core;

namespace OpenSqt.Contracts;

/// <summary>
/// The one translation between <see cref="ExchangeException"/> and gRPC status, used by the connector (out) and by
/// <see cref="Remote.RemoteExchange"/> (in). The kind travels in a trailer so that refusals sharing a status code
/// (post-only, insufficient margin) stay distinguishable.
/// </summary>
public static class GrpcErrors
{
    public const string KindTrailer = "opensqt-error-kind";
    public const string RetryAfterTrailer = "opensqt-retry-after-ms";

    public static StatusCode ToStatusCode(this ExchangeErrorKind kind) => kind switch
    {
        ExchangeErrorKind.Unavailable => StatusCode.Unavailable,
        ExchangeErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        ExchangeErrorKind.NotFound => StatusCode.NotFound,
        ExchangeErrorKind.AlreadyExists => StatusCode.AlreadyExists,
        ExchangeErrorKind.RateLimited => StatusCode.ResourceExhausted,
        ExchangeErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        ExchangeErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        ExchangeErrorKind.InsufficientMargin => StatusCode.FailedPrecondition,
        ExchangeErrorKind.PostOnlyRejected => StatusCode.FailedPrecondition,
        ExchangeErrorKind.ReduceOnlyRejected => StatusCode.FailedPrecondition,
        ExchangeErrorKind.Rejected => StatusCode.FailedPrecondition,
        ExchangeErrorKind.PositionModeMismatch => StatusCode.FailedPrecondition,
        ExchangeErrorKind.UnknownOutcome => StatusCode.DeadlineExceeded,
        _ => StatusCode.Internal,
    };

    public static ExchangeErrorKind FromStatusCode(StatusCode code) => code switch
    {
        StatusCode.Unavailable => ExchangeErrorKind.Unavailable,
        StatusCode.InvalidArgument or StatusCode.OutOfRange => ExchangeErrorKind.InvalidArgument,
        StatusCode.NotFound => ExchangeErrorKind.NotFound,
        StatusCode.AlreadyExists => ExchangeErrorKind.AlreadyExists,
        StatusCode.ResourceExhausted => ExchangeErrorKind.RateLimited,
        StatusCode.Unauthenticated => ExchangeErrorKind.Unauthenticated,
        StatusCode.PermissionDenied => ExchangeErrorKind.PermissionDenied,
        StatusCode.FailedPrecondition => ExchangeErrorKind.Rejected,
        StatusCode.DeadlineExceeded => ExchangeErrorKind.UnknownOutcome,
        _ => ExchangeErrorKind.Internal,
    };

    /// <summary>The RpcException the connector sends for an exchange failure.</summary>
    public static RpcException ToRpcException(this ExchangeException exception)
    {
        var trailers = new Metadata { { KindTrailer, exception.Kind.ToString() } };
        if (exception.RetryAfter is { } retryAfter)
        {
            trailers.Add(RetryAfterTrailer, ((long)retryAfter.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        }

        return new RpcException(new Status(exception.Kind.ToStatusCode(), exception.Message), trailers, exception.Message);
    }

    /// <summary>The typed error a client raises for a failed call.</summary>
    public static ExchangeException ToExchangeException(this RpcException exception, string? context = null)
    {
        var kind = FromStatusCode(exception.StatusCode);
        if (exception.Status.DebugException is not null && exception.StatusCode is StatusCode.Internal or StatusCode.Unknown)
        {
            // Made by the client from a transport failure, not sent by the connector: Grpc.Net.Client gives INTERNAL for a
            // call whose HTTP/2 stream the server reset (RST_STREAM NO_ERROR or INTERNAL_ERROR, a connector stopping or
            // crashing mid-call), UNAVAILABLE only when it finds a socket or I/O error (grpc/grpc-dotnet,
            // src/Shared/HttpExceptionResolver.cs, ResolveRpcExceptionStatusCode). The call may have reached the connector
            // and the venue: unavailable (a place is then resolved by client id), never an internal error, which the
            // engine takes as the venue's refusal.
            kind = ExchangeErrorKind.Unavailable;
        }
        var kindText = exception.Trailers.GetValue(KindTrailer);
        if (kindText is not null && Enum.TryParse<ExchangeErrorKind>(kindText, out var parsed))
        {
            kind = parsed;
        }

        TimeSpan? retryAfter = null;
        if (long.TryParse(exception.Trailers.GetValue(RetryAfterTrailer), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms))
        {
            retryAfter = TimeSpan.FromMilliseconds(ms);
        }

        var detail = string.IsNullOrEmpty(exception.Status.Detail) ? exception.StatusCode.ToString() : exception.Status.Detail;
        var message = context is null ? detail : $"{context}: {detail}";
        return new ExchangeException(kind, message, exception, retryAfter);
    }

    /// <summary>
    /// A failed request on the order entry stream: the status and trailers the unary call would have failed with, as
    /// the answer's <see cref="Wire.OrderEntryError"/>.
    /// </summary>
    public static Wire.OrderEntryError ToOrderEntryError(this RpcException exception)
    {
        var error = new Wire.OrderEntryError
        {
            StatusCode = (int)exception.StatusCode,
            Message = exception.Status.Detail ?? "",
            ErrorKind = exception.Trailers.GetValue(KindTrailer) ?? "",
        };
        if (long.TryParse(exception.Trailers.GetValue(RetryAfterTrailer), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms))
        {
            error.RetryAfterMs = ms;
        }

        return error;
    }

    /// <summary>The <see cref="RpcException"/> a unary call would have thrown for this order entry error.</summary>
    public static RpcException ToRpcException(this Wire.OrderEntryError error)
    {
        var trailers = new Metadata();
        if (!string.IsNullOrEmpty(error.ErrorKind))
        {
            trailers.Add(KindTrailer, error.ErrorKind);
        }

        if (error.RetryAfterMs > 0)
        {
            trailers.Add(RetryAfterTrailer, error.RetryAfterMs.ToString(CultureInfo.InvariantCulture));
        }

        var code = Enum.IsDefined(typeof(StatusCode), error.StatusCode) ? (StatusCode)error.StatusCode : StatusCode.Unknown;
        return new RpcException(new Status(code, error.Message), trailers, error.Message);
    }
}
