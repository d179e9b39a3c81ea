using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>
/// The books of one symbol: fills (each trade id booked once), the slots' positions they make and the realised PnL,
/// and the snapshot operators read. The grid's decisions stay in <see cref="GridStrategy"/>; this class only records
/// what happened. Called by the symbol's writer only.
/// </summary>
internal sealed partial class Ledger
{
    private readonly string _symbol;
    private readonly GridStrategy _strategy;
    private readonly EngineStateStore _store;
    private readonly RiskState _risk;
    private readonly Broadcast<PositionEvent> _positions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private DateTimeOffset? _openedAt;
    private EngineSnapshot _snapshot;

    public Ledger(string symbol, GridStrategy strategy, EngineStateStore store, PnlState pnl, RiskState risk, Broadcast<PositionEvent> positions, TimeProvider time, ILogger logger)
    {
        _symbol = symbol;
        _strategy = strategy;
        _store = store;
        _risk = risk;
        _positions = positions;
        _time = time;
        _logger = logger;
        Pnl = pnl;
        _snapshot = BuildSnapshot();
    }

    public PnlState Pnl { get; private set; }

    /// <summary>The latest view for operators; replaced as a whole, read from any thread.</summary>
    public EngineSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>
    /// Stores the fills of an order state that are not booked yet (by trade id) and prices the quantity the state adds
    /// over <paramref name="previousFilled"/>: from the new fills when they cover it, else from the venue's average
    /// price, else at the order's limit price. Call inside the store transaction that applies the state.
    /// </summary>
    public (decimal Price, decimal Fee) RecordFills(SlotOrder order, IReadOnlyList<Fill> fills, decimal cumulativeFilled, decimal averagePrice,
        decimal previousFilled, decimal previousAverage)
    {
        decimal newQuantity = 0, newNotional = 0, fee = 0;
        foreach (var fill in fills)
        {
            var own = fill with { Symbol = _symbol, ClientOrderId = fill.ClientOrderId ?? order.ClientOrderId };
            if (_store.TryAddFill(own))
            {
                newQuantity += own.Quantity;
                newNotional += own.Price * own.Quantity;
                fee += own.Fee;
            }
        }

        var delta = cumulativeFilled - previousFilled;
        if (delta <= 0)
        {
            return (0m, fee);
        }

        var price = newQuantity == delta ? newNotional / newQuantity
            : averagePrice > 0 ? ((averagePrice * cumulativeFilled) - (previousAverage * previousFilled)) / delta
            : order.Price;
        return (price, fee);
    }

    /// <summary>Saves what a booked fill changed: the slot, the realised PnL and a closed round trip. Inside the transaction.</summary>
    public void Book(GridSlot slot, OrderOutcome outcome, DateTimeOffset time)
    {
        if (outcome.FilledDelta <= 0)
        {
            return;
        }

        _store.SaveSlot(_symbol, slot);
        var pnl = Pnl with { Realised = Pnl.Realised + outcome.RealisedPnl };
        if (outcome.RoundTripClosed)
        {
            pnl = pnl with
            {
                RoundTrips = pnl.RoundTrips + 1,
                Wins = pnl.Wins + (outcome.RoundTripPnl > 0 ? 1 : 0),
                Losses = pnl.Losses + (outcome.RoundTripPnl < 0 ? 1 : 0),
            };
            _store.AddRoundTrip(_symbol, slot.Level, outcome.RoundTripPnl, time);
        }

        Pnl = pnl;
        _store.SavePnl(_symbol, pnl);
    }

    /// <summary>After the booked fill is on disk: publishes the position, keeps its history and feeds the breaker.</summary>
    public void Published(long level, SlotOrder order, OrderOutcome outcome, DateTimeOffset time, decimal lastPrice)
    {
        if (outcome.FilledDelta <= 0)
        {
            return;
        }

        _openedAt ??= time;
        var snapshot = Refresh();
        _store.AddPositionSnapshot(new PositionSnapshotRow(_symbol, snapshot.Position, snapshot.EntryPrice, outcome.FillPrice, snapshot.UnrealisedPnl(lastPrice), time));
        _positions.Publish(new PositionEvent(_symbol, snapshot, lastPrice, "fill", ToOrder(order)));
        Log.Filled(_logger, _symbol, order.ClientOrderId, order.Side, outcome.FilledDelta, outcome.FillPrice, snapshot.Position);
        if (outcome.RoundTripClosed)
        {
            Log.RoundTrip(_logger, _symbol, level, outcome.RoundTripPnl, Pnl.Realised);
            _risk.Breaker(_symbol)?.OnRoundTrip(outcome.RoundTripPnl);
        }
    }

    /// <summary>Saves every slot's position in one transaction (after a correction from the venue).</summary>
    public void SaveAllSlots() =>
        _store.InTransaction(() =>
        {
            foreach (var slot in _strategy.Slots)
            {
                _store.SaveSlot(_symbol, slot);
            }
        });

    /// <summary>Rebuilds the operators' snapshot from the slots and returns it.</summary>
    public EngineSnapshot Refresh()
    {
        var snapshot = BuildSnapshot();
        Volatile.Write(ref _snapshot, snapshot);
        return snapshot;
    }

    private EngineSnapshot BuildSnapshot()
    {
        decimal position = 0, notional = 0;
        var open = new List<Order>();
        foreach (var slot in _strategy.Slots)
        {
            position += slot.PositionSign * slot.PositionQuantity;
            notional += slot.PositionSign * slot.OpenNotional;
            if (slot.Order is { } order && !order.IsTerminal)
            {
                open.Add(ToOrder(order));
            }
        }

        return new EngineSnapshot(_symbol, position, notional, Pnl, open, _strategy.WorkingOrders, _strategy.Anchor, position == 0 ? null : _openedAt, _time.GetUtcNow());
    }

    private Order ToOrder(SlotOrder order) => new()
    {
        ExchangeOrderId = order.ExchangeOrderId ?? "",
        ClientOrderId = order.ClientOrderId,
        Symbol = _symbol,
        Side = order.Side,
        Type = OrderType.Limit,
        TimeInForce = order.PostOnly ? TimeInForce.Gtx : TimeInForce.Gtc,
        Price = order.Price,
        Quantity = order.Quantity,
        FilledQuantity = order.FilledQuantity,
        AveragePrice = order.AveragePrice,
        Status = order.Status ?? OrderStatus.New,
        ReduceOnly = order.ReduceOnly,
        PostOnly = order.PostOnly,
        CreatedAt = order.CreatedAt,
        UpdatedAt = order.UpdatedAt,
        RejectReason = order.RejectReason,
    };

    private static partial class Log
    {
        [LoggerMessage(103, LogLevel.Information, "{Symbol}: {ClientOrderId} {Side} filled {Quantity} at {Price}; position {Position}")]
        public static partial void Filled(ILogger logger, string symbol, string clientOrderId, OrderSide side, decimal quantity, decimal price, decimal position);

        [LoggerMessage(104, LogLevel.Information, "{Symbol}: round trip of level {Level} closed with {Pnl}; realised {Realised}")]
        public static partial void RoundTrip(ILogger logger, string symbol, long level, decimal pnl, decimal realised);
    }
}
