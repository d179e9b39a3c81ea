using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>What comparing the venue's open orders with the tracked ones found.</summary>
/// <param name="Missing">Tracked orders the venue does not list: looked up by client id.</param>
/// <param name="Unknown">Venue orders with the engine's client-id prefix that nobody tracks: cancelled.</param>
/// <param name="Foreign">Venue orders of someone else on the account (a person, another bot): left alone, reported.</param>
/// <param name="Effect">What applying the venue's states to the tracked orders changed.</param>
internal sealed record OrderComparison(IReadOnlyList<TrackedOrder> Missing, IReadOnlyList<Order> Unknown, IReadOnlyList<Order> Foreign, TrackerEffect Effect);

/// <summary>
/// Compares one symbol's orders and position with the venue's and applies the correction rules. Runs on the symbol's
/// writer with the venue's answers the caller fetched off the loop.
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
    private bool _reconciled;

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

    /// <summary>Whether the first reconciliation has passed; nothing is placed before it.</summary>
    public bool Reconciled => Volatile.Read(ref _reconciled);

    /// <summary>
    /// Applies the venue's open orders to the tracked ones. Returns the tracked orders the venue does not list (to be
    /// looked up by client id), the venue orders with this engine's client-id prefix that nobody tracks (to be
    /// cancelled), and the orders of anyone else on the account, which the engine never touches.
    /// </summary>
    public OrderComparison CompareOrders(IReadOnlyList<Order> venueOpen)
    {
        var effect = TrackerEffect.None;
        var listed = new HashSet<string>(StringComparer.Ordinal);
        var unknown = new List<Order>();
        var foreign = new List<Order>();
        foreach (var venueOrder in venueOpen)
        {
            if (venueOrder.Symbol != Symbol)
            {
                continue;
            }

            var tracked = _tracker.Find(venueOrder.ClientOrderId, venueOrder.ExchangeOrderId);
            if (tracked is not null && tracked.Order.IsTerminal && venueOrder.Status.IsOpen())
            {
                // The engine had given this order up (its place looked lost); it works on the venue all the same.
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
                Log.UnknownOrder(_logger, Symbol, venueOrder.ClientOrderId ?? "", venueOrder.ExchangeOrderId);
                unknown.Add(venueOrder);
                continue;
            }

            listed.Add(tracked.Order.ClientOrderId);
            effect |= _tracker.Apply(tracked, venueOrder.Status, venueOrder.FilledQuantity, venueOrder.AveragePrice, venueOrder.Fills, venueOrder.ExchangeOrderId, venueOrder.UpdatedAt, venueOrder.RejectReason);
        }

        var missing = new List<TrackedOrder>();
        foreach (var tracked in _tracker.Orders)
        {
            if (!tracked.Order.IsTerminal && !tracked.PlaceInFlight && !listed.Contains(tracked.Order.ClientOrderId))
            {
                missing.Add(tracked);
            }
        }

        _tracker.ForgetFinishedBefore(_time.GetUtcNow().AddMinutes(-30));
        return new OrderComparison(missing, unknown, foreign, effect);
    }

    /// <summary>Whether a client order id is this engine's for this symbol: its state file's book and the symbol's tag.</summary>
    private bool IsOwn(string? clientOrderId) =>
        ClientOrderId.TryParse(clientOrderId, out var parts) && parts.Value.Book == _book && parts.Value.SymbolTag == _tag;

    /// <summary>
    /// Compares the local net position with the venue's. With <paramref name="apply"/>, a difference below 5 % is
    /// corrected locally, 5 % or more opens the circuit breaker, and a position found at a fresh start is restored
    /// into sell slots.
    /// </summary>
    public ReconciliationResult ComparePosition(decimal venue, decimal venueEntryPrice, bool apply, decimal lastPrice)
    {
        var local = _strategy.NetPosition;
        var difference = venue - local;
        if (difference == 0)
        {
            MarkReconciled();
            return new ReconciliationResult(Symbol, true, local, venue, 0, false, 0, 0, null);
        }

        if (!apply)
        {
            return new ReconciliationResult(Symbol, false, local, venue, difference, false, 0, 0, null);
        }

        var price = lastPrice > 0 ? lastPrice : venueEntryPrice;
        if (!_restoredFromState && !Reconciled && local == 0 && (venue > 0 || _grid.GridMode == GridMode.Neutral) && _strategy.Anchor is not null)
        {
            // Start with a position found on the venue: a long spread over slots above the anchor (their sells one
            // interval up), in neutral mode a short over slots below it (their buys one interval down).
            _strategy.RestorePosition(venue, venueEntryPrice > 0 ? venueEntryPrice : price);
            _ledger.SaveAllSlots();
            Log.Restored(_logger, Symbol, venue, venueEntryPrice);
            MarkReconciled();
            return new ReconciliationResult(Symbol, false, local, venue, difference, true, 0, 0, null);
        }

        var scale = Math.Max(Math.Abs(venue), Math.Abs(local));
        if (Math.Abs(difference) / scale < DivergenceThreshold && price > 0)
        {
            _strategy.CorrectPosition(difference, price);
            _ledger.SaveAllSlots();
            Log.Corrected(_logger, Symbol, local, venue);
            _risk.Alert(Symbol, "position_corrected", "warning", $"local position {local} corrected to the venue's {venue}");
            MarkReconciled();
            return new ReconciliationResult(Symbol, false, local, venue, difference, true, 0, 0, null);
        }

        var reason = $"position divergence on {Symbol}: local {local}, venue {venue} (5 % or more)";
        Log.Diverged(_logger, Symbol, local, venue);
        _risk.Breaker(Symbol)?.Open(BreakerTrigger.Divergence, reason);
        MarkReconciled();
        return new ReconciliationResult(Symbol, false, local, venue, difference, false, 0, 0, null);
    }

    private void MarkReconciled() => Volatile.Write(ref _reconciled, true);

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
    }
}
