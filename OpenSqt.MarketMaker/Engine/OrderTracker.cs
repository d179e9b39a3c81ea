using Microsoft.Data.Sqlite;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;
using OpenSqt.MarketMaker.Telemetry;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>What applying a venue answer or stream event changed, for the writer's loop.</summary>
[Flags]
internal enum TrackerEffect
{
    None = 0,

    /// <summary>Something operators see changed: rebuild the snapshot.</summary>
    Changed = 1,

    /// <summary>A slot was freed or the gate may have changed: decide again now.</summary>
    Redecide = 2,
}

/// <summary>
/// The engine's own orders of one symbol, by client id and by venue id, and the one place where venue answers (place,
/// cancel, lookup) and stream events land on them. Every state goes through <see cref="OrderStatusExtensions.Advance"/>
/// (a finished order stays finished, a stage never goes back) and every fill through the <see cref="Ledger"/>, inside one
/// store transaction. Called by the symbol's writer only.
/// </summary>
internal sealed partial class OrderTracker
{
    private readonly Dictionary<string, TrackedOrder> _byClientId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TrackedOrder> _byExchangeId = new(StringComparer.Ordinal);
    private readonly List<TrackedOrder> _toCancel = [];
    private readonly List<TrackedOrder> _toLookUp = [];
    private readonly List<DateTimeOffset> _wakeAt = [];
    private readonly GridOptions _grid;
    private readonly GridStrategy _strategy;
    private readonly EngineStateStore _store;
    private readonly Ledger _ledger;
    private readonly RiskState _risk;
    private readonly EngineMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CrashPoint _crashAt;

    public OrderTracker(GridOptions grid, GridStrategy strategy, EngineStateStore store, Ledger ledger, RiskState risk, EngineMetrics metrics, TimeProvider time, ILogger logger,
        CrashPoint crashAt = CrashPoint.None)
    {
        _crashAt = crashAt;
        _grid = grid;
        _strategy = strategy;
        _store = store;
        _ledger = ledger;
        _risk = risk;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    private string Symbol => _grid.Symbol;

    /// <summary>The orders tracked, working and recently finished.</summary>
    public IReadOnlyCollection<TrackedOrder> Orders => _byClientId.Values;

    /// <summary>The last traded price, for the fill history; set by the writer.</summary>
    public decimal LastPrice { get; set; }

    public TrackedOrder? Find(string? clientOrderId, string? exchangeOrderId)
    {
        if (clientOrderId is not null && _byClientId.TryGetValue(clientOrderId, out var byClient))
        {
            return byClient;
        }

        return exchangeOrderId is not null && _byExchangeId.TryGetValue(exchangeOrderId, out var byExchange) ? byExchange : null;
    }

    public void Track(TrackedOrder tracked)
    {
        _byClientId[tracked.Order.ClientOrderId] = tracked;
        if (tracked.Order.ExchangeOrderId is { } id)
        {
            _byExchangeId[id] = tracked;
        }
    }

    /// <summary>Puts a stored open order back on its slot (restart).</summary>
    public void Restore(StoredOrder stored)
    {
        Track(new TrackedOrder(stored.Level, stored.Order, stored.Sequence));
        var slot = _strategy.GetOrCreateSlot(stored.Level);
        if (slot.Order is null)
        {
            _strategy.Attach(slot, stored.Order);
        }
    }

    /// <summary>
    /// Records an order the strategy decided on its slot and persists it before anything is sent: after a crash its
    /// client id is known and can be looked up.
    /// </summary>
    public TrackedOrder Begin(GridAction action, string clientOrderId, long sequence, DateTimeOffset now, long tickTimestamp)
    {
        var order = _strategy.BeginOrder(action, clientOrderId, now);
        var tracked = new TrackedOrder(action.Level, order, sequence) { TickTimestamp = tickTimestamp, PlaceInFlight = true };
        try
        {
            _store.SaveOrder(Symbol, action.Level, order, sequence);
        }
        catch (SqliteException)
        {
            // Not on disk, so not sent: the slot is free again and the caller halts the engine.
            _strategy.OnPlaceRefused(_strategy.GetOrCreateSlot(action.Level), order, ExchangeErrorKind.Unknown, "not sent: the state store failed", now);
            throw;
        }

        Track(tracked);
        return tracked;
    }

    /// <summary>
    /// Orders the engine wants cancelled that turned up working after their cancel was answered (the cancel overtook
    /// the place): the writer cancels them again. Emptied by the call.
    /// </summary>
    public IReadOnlyList<TrackedOrder> TakeCancels() => Take(_toCancel);

    /// <summary>Orders whose final state must be asked of the venue by client id. Emptied by the call.</summary>
    public IReadOnlyList<TrackedOrder> TakeLookups() => Take(_toLookUp);

    /// <summary>Times a parked level may trade again, at which the writer must decide again. Emptied by the call.</summary>
    public IReadOnlyList<DateTimeOffset> TakeWakeUps()
    {
        var taken = _wakeAt.ToArray();
        _wakeAt.Clear();
        return taken;
    }

    /// <summary>Marks an order for cancel before the writer sends the cancel.</summary>
    public static void CancelSent(TrackedOrder tracked)
    {
        tracked.Order.CancelRequested = true;
        tracked.CancelInFlight = true;
    }

    /// <summary>Forgets orders finished before <paramref name="horizon"/>; their state is on disk.</summary>
    public void ForgetFinishedBefore(DateTimeOffset horizon)
    {
        foreach (var old in _byClientId.Values.Where(t => t.Order.IsTerminal && t.Order.UpdatedAt < horizon).ToList())
        {
            _byClientId.Remove(old.Order.ClientOrderId);
            if (old.Order.ExchangeOrderId is { } id)
            {
                _byExchangeId.Remove(id);
            }
        }
    }

    /// <summary>An event of the order stream; malformed ones and orders that are not the engine's are ignored.</summary>
    public TrackerEffect OnUpdate(OrderUpdate update)
    {
        if (update.Symbol != Symbol)
        {
            return TrackerEffect.None;
        }

        // A fill record of quantity 0 is a fee record (a fee the venue reports after the trade); anything else needs both.
        if (update.Quantity <= 0 || update.FilledQuantity < 0 || update.FilledQuantity > update.Quantity || update.LastFill is { Quantity: < 0 } or { Price: < 0 }
            || update.LastFill is { Quantity: 0, Fee: 0 } || update.LastFill is { Quantity: > 0, Price: 0 })
        {
            Log.MalformedUpdate(_logger, Symbol, update.ClientOrderId ?? "", update.ExchangeOrderId, update.Quantity, update.FilledQuantity);
            _metrics.Rejected(Symbol, "malformed_update");
            return TrackerEffect.None;
        }

        var tracked = Find(update.ClientOrderId, update.ExchangeOrderId);
        if (tracked is null)
        {
            return TrackerEffect.None;
        }

        return Apply(tracked, update.Status, update.FilledQuantity, update.AveragePrice, update.LastFill is null ? [] : [update.LastFill],
            update.ExchangeOrderId, update.UpdateTime, update.RejectReason);
    }

    /// <summary>The answer of a place call.</summary>
    public TrackerEffect OnPlaced(TrackedOrder tracked, PlaceOutcome outcome)
    {
        var order = tracked.Order;
        var slot = _strategy.GetOrCreateSlot(tracked.Level);
        tracked.PlaceInFlight = false;
        switch (outcome.Result)
        {
            case PlaceResult.Placed:
                var placed = outcome.Order!;
                _metrics.Placed(Symbol, order.Side.ToString());
                _metrics.TickToOrderLatency(Symbol, _time.GetElapsedTime(tracked.TickTimestamp));
                return Apply(tracked, placed.Status, placed.FilledQuantity, placed.AveragePrice, placed.Fills, placed.ExchangeOrderId, placed.UpdatedAt, placed.RejectReason);
            case PlaceResult.Refused or PlaceResult.NeverArrived or PlaceResult.Fatal:
                if (order.Status is not null)
                {
                    // The stream already told us the order exists: the refusal is stale.
                    return TrackerEffect.None;
                }

                var kind = outcome.Result == PlaceResult.NeverArrived ? ExchangeErrorKind.Unavailable : outcome.ErrorKind;
                var parkedUntil = _strategy.OnPlaceRefused(slot, order, kind, outcome.Message, _time.GetUtcNow());
                _store.InTransaction(() =>
                {
                    _store.SaveOrder(Symbol, tracked.Level, order, tracked.Sequence);
                    _store.SaveSlot(Symbol, slot);
                });
                _metrics.Rejected(Symbol, kind.ToString());
                Log.Refused(_logger, Symbol, order.ClientOrderId, kind, outcome.Message);
                if (parkedUntil is { } until)
                {
                    _wakeAt.Add(until);
                    Log.Parked(_logger, Symbol, tracked.Level, until, kind);
                    _risk.Alert(Symbol, "order_refused", "warning",
                        $"{Symbol}: the venue refused {order.Side} {order.Quantity} at {order.Price} for good ({kind}: {outcome.Message}); level {tracked.Level} is parked until {until:O}");
                }

                if (kind == ExchangeErrorKind.InsufficientMargin)
                {
                    _risk.Alert(Symbol, "margin_lock", "warning", $"insufficient margin: new buys of {Symbol} locked for {_grid.MarginLockDurationSeconds} s, working buys cancelled ({outcome.Message})");
                }

                if (outcome.Result == PlaceResult.Fatal)
                {
                    var message = outcome.ErrorKind == ExchangeErrorKind.PositionModeMismatch
                        ? $"The account is in hedge (dual-side) position mode; OpenSqt trades one-way mode only. Switch the account to one-way mode and restart. Venue said: {outcome.Message}"
                        : $"The venue refused the engine's credentials ({outcome.ErrorKind}): {outcome.Message}";
                    _risk.SetFatal(message);
                }

                if (kind == ExchangeErrorKind.Unavailable)
                {
                    _risk.SetConnectorProblem(outcome.Message);
                }

                return TrackerEffect.Changed | TrackerEffect.Redecide;
            default:
                Log.Unresolved(_logger, Symbol, order.ClientOrderId, outcome.Message);
                _risk.SetConnectorProblem(outcome.Message);
                return TrackerEffect.None;
        }
    }

    /// <summary>
    /// The answer of a cancel call. The slot is freed only when the venue says the order is final: a cancel the venue
    /// took is finished by the stream's CANCELED; a cancel of an order the venue does not know either overtook its place
    /// (the order stays marked for cancel and is cancelled again once it turns up working) or hit an order already
    /// finished or archived, which is looked up by client id so its fills are not lost.
    /// </summary>
    public TrackerEffect OnCancelled(TrackedOrder tracked, CancelOutcome outcome, string reason)
    {
        var order = tracked.Order;
        tracked.CancelInFlight = false;
        if (outcome.Result == CancelResult.Done)
        {
            if (outcome.ErrorKind == ExchangeErrorKind.NotFound && !order.IsTerminal)
            {
                if (tracked.PlaceInFlight || order.Status is null)
                {
                    Log.CancelOvertookPlace(_logger, Symbol, order.ClientOrderId, reason);
                }
                else
                {
                    _toLookUp.Add(tracked);
                }

                return TrackerEffect.None;
            }

            // The venue took the cancel: the stream's CANCELED (or reconciliation) finishes the order.
            return TrackerEffect.None;
        }

        GridStrategy.OnCancelFailed(order);
        Log.CancelFailed(_logger, Symbol, order.ClientOrderId, outcome.ErrorKind, outcome.Message);
        if (outcome.ErrorKind == ExchangeErrorKind.Unavailable)
        {
            _risk.SetConnectorProblem(outcome.Message);
        }

        return TrackerEffect.None;
    }

    /// <summary>The answer of a lookup by client id (reconciliation of an order missing from the venue's open orders).</summary>
    public TrackerEffect OnLookup(TrackedOrder tracked, LookupOutcome outcome)
    {
        var order = tracked.Order;
        switch (outcome.Result)
        {
            case LookupResult.Found:
                var found = outcome.Order!;
                return Apply(tracked, found.Status, found.FilledQuantity, found.AveragePrice, found.Fills, found.ExchangeOrderId, found.UpdatedAt, found.RejectReason);
            case LookupResult.NotFound when !order.IsTerminal && !tracked.PlaceInFlight:
                // Missing on the venue: treated as cancelled (a pending place that never arrived, or an order the venue dropped).
                if (order.Status is null)
                {
                    var slot = _strategy.GetOrCreateSlot(tracked.Level);
                    _strategy.OnPlaceRefused(slot, order, ExchangeErrorKind.NotFound, "never reached the venue (reconciliation)", _time.GetUtcNow());
                    _store.SaveOrder(Symbol, tracked.Level, order, tracked.Sequence);
                    return TrackerEffect.Changed;
                }

                return Apply(tracked, OrderStatus.Canceled, order.FilledQuantity, order.AveragePrice, [], null, _time.GetUtcNow(), "missing on the venue (reconciliation)");
            default:
                return TrackerEffect.None;
        }
    }

    /// <summary>
    /// Applies one venue state to a tracked order: new fills are booked once, the status advances, and the order, slot
    /// and PnL are saved in one transaction.
    /// </summary>
    public TrackerEffect Apply(TrackedOrder tracked, OrderStatus status, decimal cumulativeFilled, decimal averagePrice,
        IReadOnlyList<Fill> fills, string? exchangeOrderId, DateTimeOffset time, string? reason)
    {
        var order = tracked.Order;
        var slot = _strategy.GetOrCreateSlot(tracked.Level);
        var wasTerminal = order.IsTerminal;
        var previousFilled = order.FilledQuantity;
        var previousAverage = order.AveragePrice;
        // A state without fills and without more filled (an acknowledgement, a cancel) books nothing: the ledger writes no
        // fill, slot or PnL, so the order's own save is the only write (one statement, or a finished order's move, a
        // transaction of its own), and a transaction around it would only add its BEGIN and COMMIT: about two of the
        // three states of every order.
        var state = new VenueState(status, cumulativeFilled, averagePrice, fills, exchangeOrderId, time, reason, previousFilled, previousAverage);
        var (outcome, booked) = fills.Count == 0 && cumulativeFilled <= previousFilled
            ? Record(tracked, slot, state)
            : RecordInTransaction(tracked, slot, state);

        CheckCancel(tracked);
        if (!outcome.Changed)
        {
            // A fee that arrived after its fill changes the books, not the order.
            return booked ? TrackerEffect.Changed : TrackerEffect.None;
        }

        if (order.ExchangeOrderId is { } exchangeId)
        {
            _byExchangeId[exchangeId] = tracked;
        }

        _ledger.Published(tracked.Level, order, outcome, time, LastPrice);
        if (wasTerminal || !order.IsTerminal)
        {
            return TrackerEffect.Changed;
        }

        switch (order.Status)
        {
            case OrderStatus.Filled:
                _metrics.Filled(Symbol, order.Side.ToString());
                break;
            case OrderStatus.Canceled or OrderStatus.Expired:
                _metrics.Cancelled(Symbol, order.Status.Value.ToString());
                break;
            case OrderStatus.Rejected:
                _metrics.Rejected(Symbol, order.RejectReason ?? "rejected");
                break;
        }

        return TrackerEffect.Changed | TrackerEffect.Redecide;
    }

    /// <summary>Books an order state: its fills, the slot's outcome, the order's save and the ledger's booking.</summary>
    private (OrderOutcome Outcome, bool Booked) Record(TrackedOrder tracked, GridSlot slot, VenueState state)
    {
        var order = tracked.Order;
        var booking = _ledger.RecordFills(order, state.Fills, state.CumulativeFilled, state.AveragePrice, state.PreviousFilled, state.PreviousAverage);
        if (state.CumulativeFilled > state.PreviousFilled)
        {
            CrashHook.At(_crashAt, CrashPoint.WhileBookingFill, order.ClientOrderId);
        }

        var outcome = _strategy.ApplyOrderState(slot, order, state.Status, state.CumulativeFilled, booking.Price, booking.Fee, state.ExchangeOrderId, state.Time, state.Reason);
        if (outcome.Changed)
        {
            _store.SaveOrder(Symbol, tracked.Level, order, tracked.Sequence);
        }

        return (outcome, _ledger.Book(slot, outcome, booking, state.Time));
    }

    /// <summary>
    /// <see cref="Record"/> in one store transaction (a state that books fills). A method of its own: the closure the
    /// transaction's callback needs is made only for these states, not for every state applied.
    /// </summary>
    private (OrderOutcome Outcome, bool Booked) RecordInTransaction(TrackedOrder tracked, GridSlot slot, VenueState state)
    {
        (OrderOutcome, bool) result = default;
        _store.InTransaction(() => result = Record(tracked, slot, state));
        return result;
    }

    /// <summary>A venue's state of an order as <see cref="Apply"/> takes it, with the order's filled quantity and average price before it.</summary>
    private readonly record struct VenueState(OrderStatus Status, decimal CumulativeFilled, decimal AveragePrice, IReadOnlyList<Fill> Fills,
        string? ExchangeOrderId, DateTimeOffset Time, string? Reason, decimal PreviousFilled, decimal PreviousAverage);

    /// <summary>An order marked for cancel that works on the venue with no cancel out is cancelled again.</summary>
    private void CheckCancel(TrackedOrder tracked)
    {
        var order = tracked.Order;
        if (order.CancelRequested && !tracked.CancelInFlight && order.Status is { } status && status.IsOpen() && !_toCancel.Contains(tracked))
        {
            Log.CancelAgain(_logger, Symbol, order.ClientOrderId);
            _toCancel.Add(tracked);
        }
    }

    private static TrackedOrder[] Take(List<TrackedOrder> list)
    {
        if (list.Count == 0)
        {
            return [];
        }

        var taken = list.ToArray();
        list.Clear();
        return taken;
    }

    private static partial class Log
    {
        [LoggerMessage(116, LogLevel.Warning, "{Symbol}: level {Level} parked until {Until} after a refusal for good ({Kind})")]
        public static partial void Parked(ILogger logger, string symbol, long level, DateTimeOffset until, ExchangeErrorKind kind);

        [LoggerMessage(113, LogLevel.Warning, "{Symbol}: cancel ({Reason}) of {ClientOrderId} reached the venue before its place; it is cancelled again once it turns up working")]
        public static partial void CancelOvertookPlace(ILogger logger, string symbol, string clientOrderId, string reason);

        [LoggerMessage(114, LogLevel.Warning, "{Symbol}: {ClientOrderId} was to be cancelled but works on the venue; cancelling it again")]
        public static partial void CancelAgain(ILogger logger, string symbol, string clientOrderId);

        [LoggerMessage(102, LogLevel.Warning, "{Symbol}: malformed order update ignored (client order {ClientOrderId}, order {ExchangeOrderId}): quantity {Quantity}, filled {Filled}")]
        public static partial void MalformedUpdate(ILogger logger, string symbol, string clientOrderId, string exchangeOrderId, decimal quantity, decimal filled);

        [LoggerMessage(105, LogLevel.Warning, "{Symbol}: venue refused {ClientOrderId} ({Kind}): {Reason}")]
        public static partial void Refused(ILogger logger, string symbol, string clientOrderId, ExchangeErrorKind kind, string reason);

        [LoggerMessage(106, LogLevel.Warning, "{Symbol}: outcome of {ClientOrderId} still unknown, reconciliation will look it up: {Reason}")]
        public static partial void Unresolved(ILogger logger, string symbol, string clientOrderId, string reason);

        [LoggerMessage(107, LogLevel.Warning, "{Symbol}: cancel of {ClientOrderId} failed ({Kind}): {Reason}")]
        public static partial void CancelFailed(ILogger logger, string symbol, string clientOrderId, ExchangeErrorKind kind, string reason);
    }
}
