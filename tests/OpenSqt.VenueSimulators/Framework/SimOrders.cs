using OpenSqt.Contracts;

namespace OpenSqt.VenueSimulators.Framework;

/// <summary>The engine's order events in the shape a simulator writes onto its wire.</summary>
public static class SimOrders
{
    /// <summary>The order an engine update describes, as of the update (created and updated at its time; no reject reason).</summary>
    public static Order OrderOf(OrderUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new Order
        {
            ExchangeOrderId = update.ExchangeOrderId,
            ClientOrderId = update.ClientOrderId,
            Symbol = update.Symbol,
            Side = update.Side,
            Type = update.Type,
            TimeInForce = update.TimeInForce,
            Price = update.Price,
            Quantity = update.Quantity,
            FilledQuantity = update.FilledQuantity,
            AveragePrice = update.AveragePrice,
            Status = update.Status,
            ReduceOnly = update.ReduceOnly,
            PostOnly = update.PostOnly,
            CreatedAt = update.UpdateTime,
            UpdatedAt = update.UpdateTime,
        };
    }
}
