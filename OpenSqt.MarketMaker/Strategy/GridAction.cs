namespace OpenSqt.MarketMaker.Strategy;

public enum GridActionKind
{
    Place = 1,
    Cancel = 2,
}

/// <summary>Why the strategy cancels an order (metrics and logs).</summary>
public enum CancelReason
{
    None = 0,
    TrailingBuy,
    TrailingSell,
    BuysHalted,
    Cleanup,
    Exit,
    Unknown,
}

/// <summary>One thing the strategy wants done. A struct, so a tick that decides nothing allocates nothing.</summary>
public readonly record struct GridAction(
    GridActionKind Kind,
    long Level,
    OrderRole Role,
    decimal Price,
    decimal Quantity,
    bool PostOnly,
    bool ReduceOnly,
    string? ClientOrderId,
    string? ExchangeOrderId,
    CancelReason CancelReason)
{
    public static GridAction Place(long level, OrderRole role, decimal price, decimal quantity, bool postOnly, bool reduceOnly) =>
        new(GridActionKind.Place, level, role, price, quantity, postOnly, reduceOnly, null, null, CancelReason.None);

    public static GridAction Cancel(GridSlot slot, CancelReason reason) =>
        new(GridActionKind.Cancel, slot.Level, slot.Order!.Role, slot.Order.Price, slot.Order.Quantity, false, false,
            slot.Order.ClientOrderId, slot.Order.ExchangeOrderId, reason);
}

/// <summary>What the risk layer allows this tick.</summary>
public readonly record struct TradingGate(bool OrdersAllowed, bool BuysAllowed)
{
    public static TradingGate Open { get; } = new(true, true);
}
