using OpenSqt.MarketMaker.Risk;

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
    /// <summary>An opening order while the symbol is Reducing or Halted, its side is at a limit, or margin is locked.</summary>
    OpeningsHalted,
    Cleanup,
    Exit,
    Unknown,

    /// <summary>A limit close replaced by a reduce-only market close (operator flatten).</summary>
    Flatten,
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
    CancelReason CancelReason,
    bool Market = false)
{
    public static GridAction Place(long level, OrderRole role, decimal price, decimal quantity, bool postOnly, bool reduceOnly) =>
        new(GridActionKind.Place, level, role, price, quantity, postOnly, reduceOnly, null, null, CancelReason.None);

    /// <summary>A market order (flatten); <paramref name="price"/> is the price it was decided at, not sent.</summary>
    public static GridAction PlaceMarket(long level, OrderRole role, decimal price, decimal quantity, bool reduceOnly) =>
        new(GridActionKind.Place, level, role, price, quantity, false, reduceOnly, null, null, CancelReason.None, Market: true);

    public static GridAction Cancel(GridSlot slot, CancelReason reason) =>
        new(GridActionKind.Cancel, slot.Level, slot.Order!.Role, slot.Order.Price, slot.Order.Quantity, false, false,
            slot.Order.ClientOrderId, slot.Order.ExchangeOrderId, reason);
}

/// <summary>
/// What the risk layer allows this tick. <see cref="State"/> applies per side: in Reducing and Halted opening orders are
/// cancelled and not placed, closing orders stay working and are placed. <see cref="CanSend"/> is false while nothing may
/// leave the engine at all (connector unreachable, no fresh price, not reconciled, stopping): cancels of openings still go.
/// <see cref="MaxLong"/> and <see cref="MaxShort"/> cap the position each side may reach (quantity, long and short alike).
/// </summary>
public readonly record struct TradingGate(TradingState State, bool CanSend, decimal MaxLong, decimal MaxShort, int MaxOpenOrders, bool Flatten)
{
    public static TradingGate Open { get; } = new(TradingState.Active, true, decimal.MaxValue, decimal.MaxValue, int.MaxValue, false);

    /// <summary>A gate in <paramref name="state"/> with no limits.</summary>
    public static TradingGate In(TradingState state, bool canSend = true, bool flatten = false) =>
        new(state, canSend, decimal.MaxValue, decimal.MaxValue, int.MaxValue, flatten);
}
