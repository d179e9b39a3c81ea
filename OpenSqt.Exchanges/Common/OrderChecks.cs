using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>The checks every venue makes of an order request before anything is sent.</summary>
internal static class OrderChecks
{
    /// <summary>
    /// Refuses (<see cref="ExchangeErrorKind.InvalidArgument"/>) a non-positive quantity, a post-only market order and a
    /// limit order without a price; answers the limit price, or null for a market order.
    /// </summary>
    public static decimal? Validate(OrderRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Quantity <= 0)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"quantity {VenueJson.Format(request.Quantity)} must be positive");
        }

        if (request.Type == OrderType.Market)
        {
            return request.IsPostOnly
                ? throw new ExchangeException(ExchangeErrorKind.InvalidArgument, "a market order cannot be post-only")
                : null;
        }

        return request.Price ?? throw new ExchangeException(ExchangeErrorKind.InvalidArgument, "price is required for a limit order");
    }

    /// <summary>The time in force a request is sent with: GTX (post-only) when it is post-only.</summary>
    public static TimeInForce SentTimeInForce(OrderRequest request) => request.IsPostOnly ? TimeInForce.Gtx : request.TimeInForce;
}
