using OpenSqt.Contracts;

namespace OpenSqt.MarketMaker.Strategy;

/// <summary>Whether a slot may take a new order.</summary>
public enum SlotStatus
{
    /// <summary>No order in flight or working.</summary>
    Free = 0,

    /// <summary>A place call is in flight.</summary>
    Pending = 1,

    /// <summary>An order works on the venue.</summary>
    Locked = 2,
}

/// <summary>What an order does to its slot. Encoded in the client order id together with the side.</summary>
public enum OrderRole
{
    /// <summary>Buy at the slot price, opening a long (both modes).</summary>
    OpenLong = 1,

    /// <summary>Sell one interval above the slot, closing its long.</summary>
    CloseLong = 2,

    /// <summary>Sell at the slot price, opening a short (neutral mode).</summary>
    OpenShort = 3,

    /// <summary>Buy one interval below the slot, closing its short (neutral mode).</summary>
    CloseShort = 4,
}

public static class OrderRoleExtensions
{
    public static OrderSide Side(this OrderRole role) => role is OrderRole.OpenLong or OrderRole.CloseShort ? OrderSide.Buy : OrderSide.Sell;

    public static bool Opens(this OrderRole role) => role is OrderRole.OpenLong or OrderRole.OpenShort;

    /// <summary>+1 when the position the role opens or closes is long, -1 when short.</summary>
    public static int PositionSign(this OrderRole role) => role is OrderRole.OpenLong or OrderRole.CloseLong ? 1 : -1;
}

/// <summary>The order working on a slot, as the engine last knows it.</summary>
public sealed class SlotOrder
{
    private Order? _shown;
    private string? _exchangeOrderId;
    private OrderStatus? _status;
    private decimal _filledQuantity;
    private decimal _averagePrice;
    private bool _cancelRequested;
    private DateTimeOffset _updatedAt;
    private string? _rejectReason;

    /// <summary>
    /// The counter of the strategy whose slot the order is on (set when attached). It counts what a decision reads of an
    /// order: whether it is finished (<see cref="Status"/>), its cancel request and its filled quantity. The venue's id,
    /// the reject reason, the average price and the time of the last update are not counted (no decision reads them), so
    /// an order's acknowledgement does not make the next tick decide in full.
    /// </summary>
    internal SlotChanges? Changes { get; set; }

    public required string ClientOrderId { get; init; }
    public string? ExchangeOrderId
    {
        get => _exchangeOrderId;
        set => _exchangeOrderId = value;
    }

    public required OrderRole Role { get; init; }
    public OrderSide Side => Role.Side();
    public required decimal Price { get; init; }
    public required decimal Quantity { get; init; }
    public bool PostOnly { get; init; }
    public bool ReduceOnly { get; init; }

    /// <summary>A market order (operator flatten) rather than a limit order at <see cref="Price"/>.</summary>
    public bool Market { get; init; }

    /// <summary>Null until the venue confirmed the order (place answer or stream).</summary>
    public OrderStatus? Status
    {
        get => _status;
        set
        {
            // Counted when it finishes the order (or, by a correction, un-finishes it): a decision reads no more of it.
            var wasTerminal = IsTerminal;
            _status = value;
            if (IsTerminal != wasTerminal)
            {
                Changes?.Note();
            }
        }
    }

    /// <summary>Cumulative filled quantity already booked into the slot.</summary>
    public decimal FilledQuantity
    {
        get => _filledQuantity;
        set => SlotChanges.Set(Changes, ref _filledQuantity, value);
    }

    /// <summary>Volume-weighted price of <see cref="FilledQuantity"/>.</summary>
    public decimal AveragePrice
    {
        get => _averagePrice;
        set => _averagePrice = value;
    }

    public bool CancelRequested
    {
        get => _cancelRequested;
        set => SlotChanges.Set(Changes, ref _cancelRequested, value);
    }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt
    {
        get => _updatedAt;
        set => _updatedAt = value;
    }

    public string? RejectReason
    {
        get => _rejectReason;
        set => _rejectReason = value;
    }

    public bool IsTerminal => Status is { } s && s.IsTerminal();

    /// <summary>
    /// The order as operators and clients see it (snapshots, position events, order history). The same (immutable)
    /// instance while nothing it shows has changed: a snapshot is built after every change on the symbol, and its
    /// unchanged working orders then cost nothing.
    /// </summary>
    public Order ToOrder(string symbol)
    {
        if (_shown is { } shown && shown.Symbol == symbol && shown.ExchangeOrderId == (ExchangeOrderId ?? "") && shown.Status == (Status ?? OrderStatus.New)
            && shown.FilledQuantity == FilledQuantity && shown.AveragePrice == AveragePrice && shown.UpdatedAt == UpdatedAt && shown.RejectReason == RejectReason)
        {
            return shown;
        }

        return _shown = Show(symbol);
    }

    private Order Show(string symbol) => new()
    {
        ExchangeOrderId = ExchangeOrderId ?? "",
        ClientOrderId = ClientOrderId,
        Symbol = symbol,
        Side = Side,
        Type = Market ? OrderType.Market : OrderType.Limit,
        TimeInForce = Market ? TimeInForce.Ioc : PostOnly ? TimeInForce.Gtx : TimeInForce.Gtc,
        Price = Price,
        Quantity = Quantity,
        FilledQuantity = FilledQuantity,
        AveragePrice = AveragePrice,
        Status = Status ?? OrderStatus.New,
        ReduceOnly = ReduceOnly,
        PostOnly = PostOnly,
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        RejectReason = RejectReason,
    };
}

/// <summary>One grid price level: its position and the order working on it.</summary>
public sealed class GridSlot
{
    private decimal _positionQuantity;
    private int _positionSign;
    private bool _empty = true;
    private decimal _openNotional;
    private decimal _openFees;
    private decimal _roundTripPnl;
    private SlotStatus _status;
    private SlotOrder? _order;
    private int _postOnlyFailures;
    private decimal? _postOnlyRefusedAtPrice;
    private int _refusals;
    private DateTimeOffset _parkedUntil = DateTimeOffset.MinValue;
    private bool _idle = true;

    public GridSlot(long level, decimal price, decimal baseQuantity)
    {
        Level = level;
        Price = price;
        BaseQuantity = baseQuantity;
    }

    /// <summary>Levels from the anchor: 0 is the anchor, negative below.</summary>
    public long Level { get; }

    public decimal Price { get; }

    /// <summary>The quote amount of a level converted to base and rounded down to the step; 0 when below the venue minimums.</summary>
    public decimal BaseQuantity { get; }

    /// <summary>Open position quantity of the slot (always positive); its direction is <see cref="PositionSign"/>.</summary>
    public decimal PositionQuantity
    {
        get => _positionQuantity;
        set
        {
            _positionQuantity = value;
            _empty = _positionSign == 0 || value == 0;
            PositionVersion++;
            CheckIdle();
            NotePosition();
        }
    }

    /// <summary>+1 long, -1 short, 0 empty.</summary>
    public int PositionSign
    {
        get => _positionSign;
        set
        {
            _positionSign = value;
            _empty = value == 0 || _positionQuantity == 0;
            PositionVersion++;
            CheckIdle();
            NotePosition();
        }
    }

    /// <summary>Sum of price x quantity of the fills that opened the open position.</summary>
    public decimal OpenNotional
    {
        get => _openNotional;
        set
        {
            _openNotional = value;
            CheckIdle();
            NotePosition();
        }
    }

    /// <summary>Fees paid on the fills that opened the open position.</summary>
    public decimal OpenFees
    {
        get => _openFees;
        set
        {
            _openFees = value;
            NotePosition();
        }
    }

    /// <summary>Realised PnL of the round trip in progress (part-closed positions).</summary>
    public decimal RoundTripPnl
    {
        get => _roundTripPnl;
        set => SlotChanges.Set(Changes, ref _roundTripPnl, value);
    }

    public SlotStatus Status
    {
        get => _status;
        set
        {
            // A decision only asks whether a slot is free: Pending to Locked (the order's acknowledgement) is not counted.
            var wasFree = _status == SlotStatus.Free;
            _status = value;
            if ((value == SlotStatus.Free) != wasFree)
            {
                CheckIdle();
                Changes?.Note();
            }
        }
    }

    public SlotOrder? Order
    {
        get => _order;
        set
        {
            _order = value;
            if (value is not null)
            {
                value.Changes = Changes;
            }

            CheckIdle();
            Changes?.Note();
        }
    }

    public int PostOnlyFailures
    {
        get => _postOnlyFailures;
        set => SlotChanges.Set(Changes, ref _postOnlyFailures, value);
    }

    /// <summary>
    /// The price the engine had decided on when the venue last refused this slot's post-only order (the market had
    /// crossed the order's price), until a decision on another price: on that price the same order would be refused
    /// again. Not persisted: after a restart the first price is a new one.
    /// </summary>
    public decimal? PostOnlyRefusedAtPrice
    {
        get => _postOnlyRefusedAtPrice;
        set => SlotChanges.Set(Changes, ref _postOnlyRefusedAtPrice, value);
    }

    /// <summary>Refusals for good in a row (reset by a fill); each doubles how long the level is parked.</summary>
    public int Refusals
    {
        get => _refusals;
        set => SlotChanges.Set(Changes, ref _refusals, value);
    }

    /// <summary>No new order goes out on this level before this time (a permanent refusal's backoff).</summary>
    public DateTimeOffset ParkedUntil
    {
        get => _parkedUntil;
        set
        {
            _parkedUntil = value;
            CheckIdle();
            Changes?.Note();
        }
    }

    /// <summary>
    /// Holds nothing any walk over the slots reads: no order, free, no position, and a position quantity and entry notional
    /// that are a plain 0 (a 0.000 left by a closed position carries its decimals into the snapshot's sums), never parked.
    /// Most slots of a trailing grid are idle; the strategy's walks (decisions, sums, the snapshot) take only the others
    /// (<c>GridStrategy.ActiveSlots</c>), in the order the slots are kept. Whether it is idle is kept as these change, and
    /// every change of it is counted (<see cref="SlotChanges.Membership"/>).
    /// </summary>
    public bool IsIdle => _idle;

    private void CheckIdle()
    {
        var idle = _order is null && _status == SlotStatus.Free && _positionSign == 0 && IsPlainZero(_positionQuantity) && IsPlainZero(_openNotional)
            && _parkedUntil == DateTimeOffset.MinValue;
        if (idle != _idle)
        {
            _idle = idle;
            if (Changes is { } changes)
            {
                changes.Membership++;
            }
        }
    }

    private static bool IsPlainZero(decimal value) => value == 0m && value.Scale == 0;

    /// <summary>A change of the open position (side, quantity, entry notional, opening fees): counted as any change, and as one of the positions'.</summary>
    private void NotePosition()
    {
        if (Changes is { } changes)
        {
            changes.Positions++;
            changes.Note();
        }
    }

    public bool IsParked(DateTimeOffset now) => now < ParkedUntil;

    /// <summary>
    /// Counts the sets of <see cref="PositionQuantity"/> and <see cref="PositionSign"/>: a verdict on the position made at
    /// one count holds while it has not moved (comparing the two decimals costs more than the verdict saves).
    /// </summary>
    internal int PositionVersion { get; private set; }

    /// <summary>No open position: kept as the position changes (a decision asks every slot, often several times).</summary>
    public bool IsEmpty => _empty;

    /// <summary>
    /// The last dust verdict on this slot's position and what it was computed from (see <c>GridStrategy.IsDust</c>): a
    /// position waiting out of the window is checked on every decision, and its minimum-notional and step checks are the
    /// costliest decimal work of a tick.
    /// </summary>
    internal DustVerdict? LastDustVerdict { get; set; }

    public bool IsFilled => !IsEmpty;

    /// <summary>
    /// The counter of the strategy the slot belongs to: every change a decision or the open position's totals can read is
    /// counted (of <see cref="Status"/>, only whether the slot is free; of its order, see <see cref="SlotOrder"/>).
    /// </summary>
    internal SlotChanges? Changes { get; init; }
}

/// <summary>
/// Counts the changes to one strategy's slots, their orders and its own state that its decisions and the open position's
/// totals read: what the strategy worked out from them at one count (a decision that changed nothing, the totals) holds
/// while the count has not moved. A field no decision reads (an order's venue id, its time of update) is not counted; a
/// new read of a field in the decision code must make that field's setter count. Only the strategy's single writer
/// thread changes it.
/// </summary>
internal sealed class SlotChanges
{
    public long Count;

    /// <summary>Counts the changes to which slots are kept and which are idle (<see cref="GridSlot.IsIdle"/>).</summary>
    public long Membership;

    /// <summary>
    /// Counts the changes to the slots' open positions (side, quantity, entry notional, opening fees): sums over the
    /// positions hold while it has not moved, however many orders came and went.
    /// </summary>
    public long Positions;

    public void Note() => Count++;

    /// <summary>Sets <paramref name="field"/> and counts the change (a slot or order outside any strategy counts nowhere).</summary>
    public static void Set<T>(SlotChanges? changes, ref T field, T value)
    {
        field = value;
        changes?.Note();
    }
}

/// <summary>
/// Whether a slot's position as it was at <see cref="GridSlot.PositionVersion"/> <see cref="Version"/>, closed on the grid
/// of the anchor (set once: <see cref="Anchored"/> tells the only two grids a verdict can have been made on), was dust.
/// </summary>
internal readonly record struct DustVerdict(int Version, bool Anchored, bool IsDust);
