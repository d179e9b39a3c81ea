namespace OpenSqt.Contracts;

/// <summary>Side of an order. Numbers match the v1 wire enum.</summary>
public enum OrderSide
{
    Buy = 1,
    Sell = 2,
}

/// <summary>Kind of an order. Numbers match the v1 wire enum.</summary>
public enum OrderType
{
    Limit = 1,
    Market = 2,
}

/// <summary>Life-cycle state of an order. Numbers match the v1 wire enum and never change.</summary>
public enum OrderStatus
{
    New = 1,
    PartiallyFilled = 2,
    Filled = 3,
    Canceled = 4,
    Rejected = 5,
    Expired = 6,

    /// <summary>
    /// The venue reported a status this connector does not know (a new one): the order exists and may still be
    /// working. Neither open nor terminal; ask again later. Never produced by the sim.
    /// </summary>
    Unknown = 7,
}

/// <summary>Time in force. <see cref="Gtx"/> is post-only (good till crossing).</summary>
public enum TimeInForce
{
    Gtc = 1,
    Ioc = 2,
    Fok = 3,
    Gtx = 4,
}

/// <summary>What kind of market a venue connection trades.</summary>
public enum ExchangeType
{
    Spot = 1,
    Futures = 2,
}

/// <summary>The questions every component asks about an order status, answered in one place.</summary>
public static class OrderStatusExtensions
{
    /// <summary>The order is working on the venue and may still fill.</summary>
    public static bool IsOpen(this OrderStatus status) =>
        status is OrderStatus.New or OrderStatus.PartiallyFilled;

    /// <summary>The order is finished: it can never change again.</summary>
    public static bool IsTerminal(this OrderStatus status) =>
        status is OrderStatus.Filled or OrderStatus.Canceled or OrderStatus.Rejected or OrderStatus.Expired;

    /// <summary>
    /// The status an order has after <paramref name="incoming"/> arrives on top of <paramref name="current"/> (null: not
    /// confirmed yet), whatever order answers and stream events come in: a terminal status stays, a terminal incoming
    /// status wins, otherwise the later stage wins (New, then PartiallyFilled). A New that carries a fill counts as partly
    /// filled.
    /// </summary>
    public static OrderStatus? Advance(this OrderStatus? current, OrderStatus incoming, decimal filled)
    {
        if ((current is { } c && c.IsTerminal()) || incoming == OrderStatus.Unknown)
        {
            return current;
        }

        if (incoming.IsTerminal())
        {
            return incoming;
        }

        var stage = incoming == OrderStatus.New && filled > 0 ? OrderStatus.PartiallyFilled : incoming;
        return current is null || Stage(stage) > Stage(current.Value) ? stage : current;
    }

    private static int Stage(OrderStatus status) => status switch
    {
        OrderStatus.New => 1,
        OrderStatus.PartiallyFilled => 2,
        _ => 3,
    };

    /// <summary>The opposite side.</summary>
    public static OrderSide Opposite(this OrderSide side) => side == OrderSide.Buy ? OrderSide.Sell : OrderSide.Buy;

    /// <summary>+1 for a buy, -1 for a sell: the sign a fill of this side adds to a position.</summary>
    public static int Sign(this OrderSide side) => side == OrderSide.Buy ? 1 : -1;
}
