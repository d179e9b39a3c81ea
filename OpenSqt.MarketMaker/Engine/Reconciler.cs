using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>What comparing the venue's open orders with the tracked ones found.</summary>
/// <param name="Missing">Tracked orders the venue did not list at this run and the one before: looked up by client id.</param>
/// <param name="Unknown">Venue orders with the engine's client-id prefix that nobody tracks, listed at this run and the one before: cancelled.</param>
/// <param name="Foreign">Venue orders of someone else on the account (a person, another bot): left alone, reported.</param>
/// <param name="Effect">What applying the venue's states to the tracked orders changed.</param>
internal sealed record OrderComparison(IReadOnlyList<TrackedOrder> Missing, IReadOnlyList<Order> Unknown, IReadOnlyList<Order> Foreign, TrackerEffect Effect);

/// <summary>
/// Compares one symbol's orders and position with the venue's and applies the correction rules. Runs on the symbol's
/// writer with the venue's answers the caller fetched off the loop.
/// <para>
/// The venue's answers are a snapshot that the order stream may not have caught up with (a fill between the venue's
/// answer and the comparison), or that may be older than the stream (an order placed after it was taken). So a
/// difference is acted on only when it persists across two reconciliations: the first sighting is remembered, and if
/// the stream explains it before the next run (the order finishes, the fill is booked by its trade id) nothing happens.
/// An order created after the venue's snapshot was asked for is never missing from it. Fills are booked by trade id, so
/// a fill the stream and a reconciliation both report is booked once.
/// </para>
/// </summary>
internal sealed partial class Reconciler
{
    private const decimal DivergenceThreshold = 0.05m;

    private readonly GridOptions _grid;
    private readonly GridStrategy _strategy;
    private readonly OrderTracker _tracker;
    private readonly Ledger _ledger;
    private readonly RiskState _risk;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _restoredFromState;
    private readonly string _book;
    private readonly string _tag;
    private readonly HashSet<string> _reportedForeign = new(StringComparer.Ordinal);
    private HashSet<string> _missingSeen = new(StringComparer.Ordinal);
    private HashSet<string> _unknownSeen = new(StringComparer.Ordinal);
    private decimal? _differenceSeen;
    private bool _ordersPending;
    private bool _reconciled;
    private bool _finishedOnce;
    private int _epoch;

    public Reconciler(GridOptions grid, GridStrategy strategy, OrderTracker tracker, Ledger ledger, RiskState risk, bool restoredFromState, string book, TimeProvider time, ILogger logger)
    {
        _book = book;
        _tag = ClientOrderId.SymbolTag(grid.Symbol);
        _grid = grid;
        _strategy = strategy;
        _tracker = tracker;
        _ledger = ledger;
        _risk = risk;
        _restoredFromState = restoredFromState;
        _time = time;
        _logger = logger;
    }

    private string Symbol => _grid.Symbol;

    /// <summary>
    /// Whether the latest reconciliation has finished since the start or the last <see cref="Invalidate"/> (a stream
    /// reconnect, the connector's return); nothing is placed before.
    /// </summary>
    public bool Reconciled => Volatile.Read(ref _reconciled);

    /// <summary>Whether the last run saw a difference it has not acted on yet: a second run confirms or clears it.</summary>
    public bool Pending => _ordersPending || _differenceSeen is not null;

    /// <summary>The count of <see cref="Invalidate"/> calls: a run finishes the reconciliation only if none came since it began.</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>
    /// What happened while the engine could not hear the venue (a stream reconnect, the connector's return) is unknown
    /// until the next reconciliation has finished: nothing is placed before. Called from any thread.
    /// </summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _epoch);
        Volatile.Write(ref _reconciled, false);
    }

    /// <summary>Marks the reconciliation finished unless the venue may have been missed since <paramref name="epoch"/>.</summary>
    public void Finish(int epoch)
    {
        _finishedOnce = true;
        if (Epoch == epoch)
        {
            Volatile.Write(ref _reconciled, true);
        }
    }

    /// <summary>
    /// Applies the venue's open orders, asked for at <paramref name="snapshotAt"/>, to the tracked ones. Returns the tracked
    /// orders the venue did not list at this run nor the one before (to be looked up by client id), the venue orders with
    /// this engine's client-id prefix that nobody tracks at this run and the one before (to be cancelled), and the orders
    /// of anyone else on the account, which the engine never touches.
    /// </summary>
    public OrderComparison CompareOrders(IReadOnlyList<Order> venueOpen, DateTimeOffset snapshotAt)
    {
        var effect = TrackerEffect.None;
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var unknown = new List<Order>();
        var foreign = new List<Order>();
        var unknownNow = new HashSet<string>(StringComparer.Ordinal);
        foreach (var venueOrder in venueOpen)
        {
            if (venueOrder.Symbol != Symbol)
            {
                continue;
            }

            var tracked = _tracker.Find(venueOrder.ClientOrderId, venueOrder.ExchangeOrderId);
            if (tracked is not null && tracked.Order.IsTerminal && venueOrder.Status.IsOpen())
            {
                // The engine had given this order up (its place looked lost), or the snapshot is older than the stream's
                // final state: the next run tells which.
                tracked = null;
            }

            if (tracked is null && !IsOwn(venueOrder.ClientOrderId))
            {
                foreign.Add(venueOrder);
                if (_reportedForeign.Add(venueOrder.ExchangeOrderId))
                {
                    Log.ForeignOrder(_logger, Symbol, venueOrder.ClientOrderId ?? "", venueOrder.ExchangeOrderId);
                    _risk.Alert(Symbol, "foreign_order", "info",
                        $"{Symbol}: order {venueOrder.ExchangeOrderId} (client id '{venueOrder.ClientOrderId}', {venueOrder.Side} {venueOrder.Quantity} at {venueOrder.Price}) is not the engine's; left alone");
                }

                continue;
            }

            if (tracked is null)
            {
                if (_unknownSeen.Contains(venueOrder.ExchangeOrderId))
                {
                    Log.UnknownOrder(_logger, Symbol, venueOrder.ClientOrderId ?? "", venueOrder.ExchangeOrderId);
                    unknown.Add(venueOrder);
                }
                else
                {
                    Log.UnknownOnce(_logger, Symbol, venueOrder.ClientOrderId ?? "", venueOrder.ExchangeOrderId);
                    unknownNow.Add(venueOrder.ExchangeOrderId);
                }

                continue;
            }

            listed.Add(tracked.Order.ClientOrderId);
            effect |= _tracker.Apply(tracked, venueOrder.Status, venueOrder.FilledQuantity, venueOrder.AveragePrice, venueOrder.Fills, venueOrder.ExchangeOrderId, venueOrder.UpdatedAt, venueOrder.RejectReason);
        }

        var missing = new List<TrackedOrder>();
        var missingNow = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tracked in _tracker.Orders)
        {
            var order = tracked.Order;

            // An order created after the snapshot was asked for cannot be in it.
            if (order.IsTerminal || tracked.PlaceInFlight || order.CreatedAt >= snapshotAt || listed.Contains(order.ClientOrderId))
            {
                continue;
            }

            if (_missingSeen.Contains(order.ClientOrderId))
            {
                missing.Add(tracked);
            }
            else
            {
                Log.MissingOnce(_logger, Symbol, order.ClientOrderId);
                missingNow.Add(order.ClientOrderId);
            }
        }

        _missingSeen = missingNow;
        _unknownSeen = unknownNow;
        _ordersPending = missingNow.Count > 0 || unknownNow.Count > 0;
        _tracker.ForgetFinishedBefore(_time.GetUtcNow().AddMinutes(-30));
        return new OrderComparison(missing, unknown, foreign, effect);
    }

    /// <summary>Whether a client order id is this engine's for this symbol: its state file's book and the symbol's tag.</summary>
    private bool IsOwn(string? clientOrderId) =>
        ClientOrderId.TryParse(clientOrderId, out var parts) && parts.Value.Book == _book && parts.Value.SymbolTag == _tag;

    /// <summary>
    /// Compares the local net position with the venue's. A difference is acted on only when the run before saw the same
    /// one (a fill racing the comparison is booked from the stream in between and the difference is gone or another):
    /// below 5 % it is corrected locally, 5 % or more opens the circuit breaker. A position found at a fresh start, before
    /// the engine has traded, is restored into sell slots at once.
    /// </summary>
    public ReconciliationResult ComparePosition(decimal venue, decimal venueEntryPrice, decimal lastPrice)
    {
        var local = _strategy.NetPosition;
        var difference = venue - local;
        if (difference == 0)
        {
            _differenceSeen = null;
            return new ReconciliationResult(Symbol, true, local, venue, 0, false, 0, 0, null);
        }

        var price = lastPrice > 0 ? lastPrice : venueEntryPrice;
        if (!_restoredFromState && !_finishedOnce && local == 0 && (venue > 0 || _grid.GridMode == GridMode.Neutral) && _strategy.Anchor is not null)
        {
            // A fresh start (no saved state, nothing traded yet) with a position found on the venue: a long spread over
            // slots above the anchor (their sells one interval up), in neutral mode a short over slots below it (their
            // buys one interval down).
            _differenceSeen = null;
            _strategy.RestorePosition(venue, venueEntryPrice > 0 ? venueEntryPrice : price);
            _ledger.SaveAllSlots();
            Log.Restored(_logger, Symbol, venue, venueEntryPrice);
            return new ReconciliationResult(Symbol, false, local, venue, difference, true, 0, 0, null);
        }

        if (_differenceSeen != difference)
        {
            Log.DifferenceOnce(_logger, Symbol, local, venue);
            _differenceSeen = difference;
            return new ReconciliationResult(Symbol, false, local, venue, difference, false, 0, 0, null) { Pending = true };
        }

        _differenceSeen = null;
        var scale = Math.Max(Math.Abs(venue), Math.Abs(local));
        if (Math.Abs(difference) / scale < DivergenceThreshold && price > 0)
        {
            _strategy.CorrectPosition(difference, price);
            _ledger.SaveAllSlots();
            Log.Corrected(_logger, Symbol, local, venue);
            _risk.Alert(Symbol, "position_corrected", "warning", $"local position {local} corrected to the venue's {venue}");
            return new ReconciliationResult(Symbol, false, local, venue, difference, true, 0, 0, null);
        }

        var reason = $"position divergence on {Symbol}: local {local}, venue {venue} (5 % or more)";
        Log.Diverged(_logger, Symbol, local, venue);
        _risk.Breaker(Symbol)?.Open(BreakerTrigger.Divergence, reason);
        return new ReconciliationResult(Symbol, false, local, venue, difference, false, 0, 0, null);
    }

    private static partial class Log
    {
        [LoggerMessage(108, LogLevel.Warning, "{Symbol}: venue order {ExchangeOrderId} (client id {ClientOrderId}) is unknown to the engine; cancelling it")]
        public static partial void UnknownOrder(ILogger logger, string symbol, string clientOrderId, string exchangeOrderId);

        [LoggerMessage(117, LogLevel.Warning, "{Symbol}: venue order {ExchangeOrderId} (client id {ClientOrderId}) is not the engine's; left alone")]
        public static partial void ForeignOrder(ILogger logger, string symbol, string clientOrderId, string exchangeOrderId);

        [LoggerMessage(109, LogLevel.Information, "{Symbol}: restored venue position {Quantity} (entry {Entry}) into sell slots")]
        public static partial void Restored(ILogger logger, string symbol, decimal quantity, decimal entry);

        [LoggerMessage(110, LogLevel.Warning, "{Symbol}: local position {Local} corrected to the venue's {Venue}")]
        public static partial void Corrected(ILogger logger, string symbol, decimal local, decimal venue);

        [LoggerMessage(111, LogLevel.Error, "{Symbol}: position divergence: local {Local}, venue {Venue}; circuit breaker opened")]
        public static partial void Diverged(ILogger logger, string symbol, decimal local, decimal venue);

        [LoggerMessage(119, LogLevel.Information, "{Symbol}: tracked order {ClientOrderId} is not among the venue's open orders; looked up if the next reconciliation does not list it either")]
        public static partial void MissingOnce(ILogger logger, string symbol, string clientOrderId);

        [LoggerMessage(120, LogLevel.Information, "{Symbol}: venue order {ExchangeOrderId} (client id {ClientOrderId}) is unknown to the engine; cancelled if the next reconciliation still lists it")]
        public static partial void UnknownOnce(ILogger logger, string symbol, string clientOrderId, string exchangeOrderId);

        [LoggerMessage(121, LogLevel.Information, "{Symbol}: local position {Local} differs from the venue's {Venue}; acted on if the next reconciliation sees the same difference")]
        public static partial void DifferenceOnce(ILogger logger, string symbol, decimal local, decimal venue);
    }
}
