namespace OpenSqt.Contracts;

/// <summary>
/// The shared error kinds every venue error maps onto. Callers branch on the kind, never on message text.
/// Names are stable: they travel in gRPC trailers.
/// </summary>
public enum ExchangeErrorKind
{
    Unknown = 0,

    /// <summary>The venue or the connector cannot be reached. Transient.</summary>
    Unavailable,

    /// <summary>The request itself is wrong (price off tick, missing field, bad interval).</summary>
    InvalidArgument,

    /// <summary>Unknown symbol or unknown order.</summary>
    NotFound,

    /// <summary>The client order id is already in use.</summary>
    AlreadyExists,

    /// <summary>Too many requests; wait (see <see cref="ExchangeException.RetryAfter"/>). Transient.</summary>
    RateLimited,

    /// <summary>Bad or missing credentials.</summary>
    Unauthenticated,

    /// <summary>The credentials lack the permission for this call.</summary>
    PermissionDenied,

    /// <summary>Not enough margin for the order.</summary>
    InsufficientMargin,

    /// <summary>A post-only order would have taken liquidity.</summary>
    PostOnlyRejected,

    /// <summary>A reduce-only order would have grown the position.</summary>
    ReduceOnlyRejected,

    /// <summary>The venue refused the order for another reason of its own.</summary>
    Rejected,

    /// <summary>The account is in a position mode OpenSqt does not trade (hedge mode). Fatal configuration error.</summary>
    PositionModeMismatch,

    /// <summary>The call may or may not have taken effect (timeout, 5xx after sending). Look the order up by client id.</summary>
    UnknownOutcome,

    /// <summary>A bug or an unexpected venue answer.</summary>
    Internal,
}

/// <summary>A failure of a venue or connector call, classified.</summary>
public class ExchangeException : Exception
{
    public ExchangeException(ExchangeErrorKind kind, string message, Exception? inner = null, TimeSpan? retryAfter = null, string? venueCode = null)
        : base(message, inner)
    {
        Kind = kind;
        RetryAfter = retryAfter;
        VenueCode = venueCode;
    }

    public ExchangeErrorKind Kind { get; }

    /// <summary>How long the venue asked us to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The venue's own error code, for logs.</summary>
    public string? VenueCode { get; }

    /// <summary>Whether the same call may succeed later without any change.</summary>
    public bool IsTransient => Kind.IsTransient();
}

public static class ExchangeErrorKindExtensions
{
    public static bool IsTransient(this ExchangeErrorKind kind) =>
        kind is ExchangeErrorKind.Unavailable or ExchangeErrorKind.RateLimited or ExchangeErrorKind.UnknownOutcome;
}
