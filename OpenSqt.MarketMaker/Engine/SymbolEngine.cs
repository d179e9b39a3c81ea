using System.Diagnostics;
using System.Threading.Channels;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;
using OpenSqt.MarketMaker.Telemetry;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>
/// One symbol's trading: the only writer of its grid, orders and PnL. Everything reaches it through a bounded channel
/// read by one loop (prices are coalesced: only the latest one is decided on), so updates apply in order and a slow
/// symbol never holds up another. Orders are persisted before they are sent; venue calls run off the loop and post
/// their answers back to it.
/// </summary>
public sealed partial class SymbolEngine : IAsyncDisposable
{
    private const decimal DivergenceThreshold = 0.05m;

    private readonly Channel<EngineMessage> _inbox = Channel.CreateBounded<EngineMessage>(new BoundedChannelOptions(8192)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly GridStrategy _strategy;
    private readonly EngineStateStore _store;
    private readonly OrderGateway _gateway;
    private readonly RiskState _risk;
    private readonly EngineMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Broadcast<PositionEvent> _positions;
    private readonly TimeSpan _throttle;
    private readonly string _book;
    private readonly string _tag;
    private readonly Dictionary<string, TrackedOrder> _byClientId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TrackedOrder> _byExchangeId = new(StringComparer.Ordinal);
    private readonly List<GridAction> _actions = new(64);
    private readonly List<Task> _inFlight = [];
    private readonly CancellationTokenSource _calls = new();
    private readonly bool _restoredFromState;
    private PriceChange? _latestTick;
    private PriceChange? _decidedTick;
    private long _latestTickTimestamp;
    private long _sequence;
    private PnlState _pnl;
    private DateTimeOffset _lastDecision = DateTimeOffset.MinValue;
    private bool _redecide;
    private bool _timerArmed;
    private bool _reconciled;
    private bool _stopping;
    private bool _dirty = true;
    private DateTimeOffset? _openedAt;
    private EngineSnapshot _snapshot;
    private Task? _loop;

    public SymbolEngine(GridOptions grid, SymbolRules rules, MarketMakerOptions options, EngineStateStore store, OrderGateway gateway,
        RiskState risk, EngineMetrics metrics, Broadcast<PositionEvent> positions, TimeProvider time, ILogger logger)
    {
        Grid = grid;
        _strategy = new GridStrategy(grid, rules);
        _store = store;
        _gateway = gateway;
        _risk = risk;
        _metrics = metrics;
        _positions = positions;
        _time = time;
        _logger = logger;
        _throttle = options.Throttle;
        _book = store.Book();
        _tag = ClientOrderId.SymbolTag(grid.Symbol);

        var saved = store.Load(grid.Symbol);
        _sequence = saved.Sequence;
        _pnl = saved.Pnl;
        if (saved.Anchor is { } anchor)
        {
            _strategy.SetAnchor(anchor);
        }

        foreach (var s in saved.Slots)
        {
            _strategy.LoadSlot(s.Level, s.Sign, s.Quantity, s.OpenNotional, s.OpenFees, s.RoundTripPnl, s.PostOnlyFailures);
        }

        foreach (var stored in saved.OpenOrders)
        {
            var tracked = new TrackedOrder(stored.Level, stored.Order, stored.Sequence);
            Track(tracked);
            var slot = _strategy.GetOrCreateSlot(stored.Level);
            if (slot.Order is null)
            {
                _strategy.Attach(slot, stored.Order);
            }
        }

        _restoredFromState = saved.Anchor is not null;
        risk.Restore(grid.Symbol, _pnl.Realised);
        _snapshot = BuildSnapshot();
        Log.Loaded(_logger, grid.Symbol, saved.OpenOrders.Count, _strategy.NetPosition, _pnl.Realised);
    }

    public GridOptions Grid { get; }

    public string Symbol => Grid.Symbol;

    public SymbolRules Rules => _strategy.Rules;

    /// <summary>The latest view for operators; never blocks the writer.</summary>
    public EngineSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>The last traded price seen, 0 before the first.</summary>
    public decimal LastPrice => Volatile.Read(ref _latestTick)?.Price ?? 0m;

    /// <summary>Whether the first reconciliation has passed; nothing is placed before it.</summary>
    public bool Reconciled => Volatile.Read(ref _reconciled);

    /// <summary>Whether the symbol had saved state when the engine started.</summary>
    public bool RestoredFromState => _restoredFromState;

    /// <summary>Starts the writer. A symbol without saved state anchors its grid on <paramref name="price"/>.</summary>
    public void Start(decimal price, CancellationToken stoppingToken)
    {
        if (_strategy.Anchor is null && price > 0)
        {
            _strategy.SetAnchor(price);
            _store.SaveAnchor(Symbol, _strategy.Anchor!.Value);
        }

        if (price > 0)
        {
            Volatile.Write(ref _latestTick, new PriceChange(Symbol, price, _time.GetUtcNow()));
            Volatile.Write(ref _latestTickTimestamp, _time.GetTimestamp());
        }

        _loop = Task.Run(() => RunAsync(stoppingToken), CancellationToken.None);
    }

    /// <summary>A price tick: kept as the latest and decided on by the writer, never queued behind other symbols.</summary>
    public void OnPrice(PriceChange change)
    {
        Volatile.Write(ref _latestTick, change);
        Volatile.Write(ref _latestTickTimestamp, _time.GetTimestamp());
        _inbox.Writer.TryWrite(PriceSignal.Instance);
    }

    public ValueTask OnOrderUpdateAsync(OrderUpdate update, CancellationToken cancellationToken) =>
        _inbox.Writer.WriteAsync(new UpdateMessage(update), cancellationToken);

    /// <summary>Asks for a decision now (risk or connector state changed).</summary>
    public void Poke() => _inbox.Writer.TryWrite(Redecide.Instance);

    /// <summary>
    /// Compares working orders and position with the venue and applies the correction rules: a local order missing on
    /// the venue is looked up and, if unknown, treated as cancelled; a venue order unknown locally is cancelled; a
    /// position difference below 5 % is corrected locally, 5 % or more opens the circuit breaker.
    /// </summary>
    public async Task<ReconciliationResult> ReconcileAsync(CancellationToken cancellationToken)
    {
        var exchange = _gateway.Exchange;
        var venueOpen = await exchange.GetOpenOrdersAsync(Symbol, cancellationToken).ConfigureAwait(false);
        var ordersDone = new TaskCompletionSource<(IReadOnlyList<TrackedOrder> Missing, int Unknown)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _inbox.Writer.WriteAsync(new ReconcileOrders(venueOpen, ordersDone), cancellationToken).ConfigureAwait(false);
        var (missing, unknown) = await ordersDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var tracked in missing)
        {
            var lookup = await _gateway.LookupAsync(Symbol, tracked.Order.ClientOrderId, cancellationToken).ConfigureAwait(false);
            await _inbox.Writer.WriteAsync(new LookupDone(tracked, lookup), cancellationToken).ConfigureAwait(false);
        }

        var result = await ComparePositionAsync(apply: false, cancellationToken).ConfigureAwait(false);
        if (!result.PositionMatch)
        {
            // A fill may be between the venue's answer and its stream update: look again before correcting.
            await Task.Delay(TimeSpan.FromMilliseconds(500), _time, cancellationToken).ConfigureAwait(false);
            result = await ComparePositionAsync(apply: true, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            result = await ComparePositionAsync(apply: true, cancellationToken).ConfigureAwait(false);
        }

        return result with { MissingOrders = missing.Count, UnknownOrders = unknown };
    }

    private async Task<ReconciliationResult> ComparePositionAsync(bool apply, CancellationToken cancellationToken)
    {
        var positions = await _gateway.Exchange.GetPositionsAsync(Symbol, cancellationToken).ConfigureAwait(false);
        var venue = positions.Where(p => p.Symbol == Symbol).Sum(p => p.Size);
        var entry = positions.FirstOrDefault(p => p.Symbol == Symbol)?.EntryPrice ?? 0m;
        var done = new TaskCompletionSource<ReconciliationResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _inbox.Writer.WriteAsync(new ReconcilePosition(venue, entry, apply, done), cancellationToken).ConfigureAwait(false);
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the writer; with <paramref name="cancelOrders"/> every working order is cancelled first.</summary>
    public async Task StopAsync(bool cancelOrders, TimeSpan timeout)
    {
        if (_loop is null || _loop.IsCompleted)
        {
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_inbox.Writer.TryWrite(new StopMessage(cancelOrders, done)))
        {
            await done.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var reader = _inbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var message))
                {
                    try
                    {
                        if (message is StopMessage stop)
                        {
                            await HandleStopAsync(stop).ConfigureAwait(false);
                            return;
                        }

                        Handle(message);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.HandlerFailed(_logger, Symbol, message.GetType().Name, ex);
                        switch (message)
                        {
                            case ReconcileOrders orders:
                                orders.Done.TrySetException(ex);
                                break;
                            case ReconcilePosition position:
                                position.Done.TrySetException(ex);
                                break;
                        }
                    }
                }

                try
                {
                    TryDecide();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.HandlerFailed(_logger, Symbol, "decide", ex);
                }

                if (_dirty)
                {
                    _dirty = false;
                    Volatile.Write(ref _snapshot, BuildSnapshot());
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping without a stop message: state is already on disk.
        }
    }

    private void Handle(EngineMessage message)
    {
        switch (message)
        {
            case PriceSignal:
                break;
            case Redecide:
                _redecide = true;
                _timerArmed = false;
                break;
            case UpdateMessage update:
                HandleUpdate(update.Update);
                break;
            case PlaceDone place:
                HandlePlaceDone(place.Order, place.Outcome);
                break;
            case CancelDone cancel:
                HandleCancelDone(cancel.Order, cancel.Outcome, cancel.Reason);
                break;
            case LookupDone lookup:
                HandleLookupDone(lookup.Order, lookup.Outcome);
                break;
            case ReconcileOrders orders:
                HandleReconcileOrders(orders);
                break;
            case ReconcilePosition position:
                position.Done.TrySetResult(HandleReconcilePosition(position));
                break;
        }
    }

    private void TryDecide()
    {
        var tick = Volatile.Read(ref _latestTick);
        if (tick is null || _stopping || (ReferenceEquals(tick, _decidedTick) && !_redecide))
        {
            return;
        }

        var now = _time.GetUtcNow();
        if (now - _lastDecision < _throttle && !_redecide)
        {
            if (!_timerArmed)
            {
                _timerArmed = true;
                _ = Task.Delay(_throttle - (now - _lastDecision), _time, _calls.Token)
                    .ContinueWith(_ => _inbox.Writer.TryWrite(Redecide.Instance), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }

            return;
        }

        _redecide = false;
        _decidedTick = tick;
        _lastDecision = now;
        var gate = Gate();
        var hadAnchor = _strategy.Anchor is not null;
        _actions.Clear();
        using var activity = EngineTelemetry.Source.StartActivity("grid.decide");
        _strategy.Decide(tick.Price, gate, now, _actions);
        if (!hadAnchor && _strategy.Anchor is { } anchor)
        {
            _store.SaveAnchor(Symbol, anchor);
        }

        if (_actions.Count == 0)
        {
            activity?.SetTag("opensqt.actions", 0);
            return;
        }

        activity?.SetTag("opensqt.symbol", Symbol);
        activity?.SetTag("opensqt.price", tick.Price.ToString(System.Globalization.CultureInfo.InvariantCulture));
        activity?.SetTag("opensqt.actions", _actions.Count);
        var tickTimestamp = Volatile.Read(ref _latestTickTimestamp);
        foreach (var action in _actions)
        {
            if (action.Kind == GridActionKind.Cancel)
            {
                RequestCancel(action.ClientOrderId!, action.CancelReason.ToString());
            }
            else
            {
                Place(action, now, tickTimestamp);
            }
        }

        _dirty = true;
    }

    private TradingGate Gate() =>
        _risk.GateFor(Symbol, _strategy, _pnl.Realised, LastPrice, Volatile.Read(ref _latestTickTimestamp), _reconciled && !_stopping);

    private void Place(GridAction action, DateTimeOffset now, long tickTimestamp)
    {
        var sequence = ++_sequence;
        var clientOrderId = ClientOrderId.Create(_book, _tag, action.Role, action.Level, sequence);
        var order = _strategy.BeginOrder(action, clientOrderId, now);
        var tracked = new TrackedOrder(action.Level, order, sequence) { TickTimestamp = tickTimestamp, PlaceInFlight = true };

        // Persisted before it leaves: after a crash the client id is known and can be looked up.
        _store.SaveOrder(Symbol, action.Level, order, sequence);
        Track(tracked);
        var request = new OrderRequest
        {
            Symbol = Symbol,
            Side = order.Side,
            Type = action.Market ? OrderType.Market : OrderType.Limit,
            TimeInForce = action.Market ? TimeInForce.Ioc : action.PostOnly ? TimeInForce.Gtx : TimeInForce.Gtc,
            Quantity = action.Quantity,
            Price = action.Market ? null : action.Price,
            PostOnly = action.PostOnly,
            ReduceOnly = action.ReduceOnly,
            ClientOrderId = clientOrderId,
        };
        RunOffLoop(async token =>
        {
            using var activity = EngineTelemetry.Source.StartActivity("order.place", ActivityKind.Internal);
            activity?.SetTag("opensqt.client_order_id", clientOrderId);
            activity?.SetTag("opensqt.side", request.Side.ToString());
            var outcome = await _gateway.PlaceAsync(request, token).ConfigureAwait(false);
            activity?.SetTag("opensqt.outcome", outcome.Result.ToString());
            if (outcome.Result != PlaceResult.Placed)
            {
                activity?.SetStatus(ActivityStatusCode.Error, outcome.Message);
            }

            await _inbox.Writer.WriteAsync(new PlaceDone(tracked, outcome), CancellationToken.None).ConfigureAwait(false);
        });
    }

    private void RequestCancel(string clientOrderId, string reason)
    {
        if (!_byClientId.TryGetValue(clientOrderId, out var tracked) || tracked.Order.IsTerminal)
        {
            return;
        }

        tracked.Order.CancelRequested = true;
        var exchangeId = tracked.Order.ExchangeOrderId;
        RunOffLoop(async token =>
        {
            var outcome = await _gateway.CancelAsync(Symbol, exchangeId, clientOrderId, token).ConfigureAwait(false);
            await _inbox.Writer.WriteAsync(new CancelDone(tracked, outcome, reason), CancellationToken.None).ConfigureAwait(false);
        });
    }

    private void RunOffLoop(Func<CancellationToken, Task> call)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await call(_calls.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Shutting down.
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(_logger, Symbol, "venue call", ex);
            }
        });
        _inFlight.RemoveAll(t => t.IsCompleted);
        _inFlight.Add(task);
    }

    private void HandleUpdate(OrderUpdate update)
    {
        if (update.Symbol != Symbol)
        {
            return;
        }

        if (update.Quantity <= 0 || update.FilledQuantity < 0 || update.FilledQuantity > update.Quantity || update.LastFill is { Quantity: <= 0 } || update.LastFill is { Price: <= 0 })
        {
            Log.MalformedUpdate(_logger, Symbol, update.ClientOrderId ?? "", update.ExchangeOrderId, update.Quantity, update.FilledQuantity);
            _metrics.Rejected(Symbol, "malformed_update");
            return;
        }

        var tracked = Find(update.ClientOrderId, update.ExchangeOrderId);
        if (tracked is null)
        {
            return;
        }

        ApplyVenueState(tracked, update.Status, update.FilledQuantity, update.AveragePrice, update.LastFill is null ? [] : [update.LastFill],
            update.ExchangeOrderId, update.UpdateTime, update.RejectReason, "order_update");
    }

    private TrackedOrder? Find(string? clientOrderId, string? exchangeOrderId)
    {
        if (clientOrderId is not null && _byClientId.TryGetValue(clientOrderId, out var byClient))
        {
            return byClient;
        }

        return exchangeOrderId is not null && _byExchangeId.TryGetValue(exchangeOrderId, out var byExchange) ? byExchange : null;
    }

    private void Track(TrackedOrder tracked)
    {
        _byClientId[tracked.Order.ClientOrderId] = tracked;
        if (tracked.Order.ExchangeOrderId is { } id)
        {
            _byExchangeId[id] = tracked;
        }
    }

    private void ApplyVenueState(TrackedOrder tracked, OrderStatus status, decimal cumulativeFilled, decimal averagePrice,
        IReadOnlyList<Fill> fills, string? exchangeOrderId, DateTimeOffset time, string? reason, string updateType)
    {
        var order = tracked.Order;
        var slot = _strategy.GetOrCreateSlot(tracked.Level);
        var wasTerminal = order.IsTerminal;
        var previousFilled = order.FilledQuantity;
        var previousAverage = order.AveragePrice;
        OrderOutcome outcome = default;
        var roundTrip = false;
        _store.InTransaction(() =>
        {
            decimal newQuantity = 0, newNotional = 0, fee = 0;
            foreach (var fill in fills)
            {
                var own = fill with { Symbol = Symbol, ClientOrderId = fill.ClientOrderId ?? order.ClientOrderId };
                if (_store.TryAddFill(own))
                {
                    newQuantity += own.Quantity;
                    newNotional += own.Price * own.Quantity;
                    fee += own.Fee;
                }
            }

            var delta = cumulativeFilled - previousFilled;
            var price = 0m;
            if (delta > 0)
            {
                price = newQuantity == delta ? newNotional / newQuantity
                    : averagePrice > 0 ? ((averagePrice * cumulativeFilled) - (previousAverage * previousFilled)) / delta
                    : order.Price;
            }

            outcome = _strategy.ApplyOrderState(slot, order, status, cumulativeFilled, price, fee, exchangeOrderId, time, reason);
            if (!outcome.Changed)
            {
                return;
            }

            _store.SaveOrder(Symbol, tracked.Level, order, tracked.Sequence);
            if (outcome.FilledDelta > 0)
            {
                _store.SaveSlot(Symbol, slot);
                var pnl = _pnl with { Realised = _pnl.Realised + outcome.RealisedPnl };
                if (outcome.RoundTripClosed)
                {
                    roundTrip = true;
                    pnl = pnl with
                    {
                        RoundTrips = pnl.RoundTrips + 1,
                        Wins = pnl.Wins + (outcome.RoundTripPnl > 0 ? 1 : 0),
                        Losses = pnl.Losses + (outcome.RoundTripPnl < 0 ? 1 : 0),
                    };
                    _store.AddRoundTrip(Symbol, tracked.Level, outcome.RoundTripPnl, time);
                }

                _pnl = pnl;
                _store.SavePnl(Symbol, pnl);
            }
        });

        if (!outcome.Changed)
        {
            return;
        }

        _dirty = true;
        if (order.ExchangeOrderId is { } exchangeId)
        {
            _byExchangeId[exchangeId] = tracked;
        }

        if (outcome.FilledDelta > 0)
        {
            _openedAt ??= time;
            var snapshot = BuildSnapshot();
            Volatile.Write(ref _snapshot, snapshot);
            _store.AddPositionSnapshot(new PositionSnapshotRow(Symbol, snapshot.Position, snapshot.EntryPrice, outcome.FillPrice, snapshot.UnrealisedPnl(LastPrice), time));
            _positions.Publish(new PositionEvent(Symbol, snapshot, LastPrice, "fill", ToOrder(order)));
            Log.Filled(_logger, Symbol, order.ClientOrderId, order.Side, outcome.FilledDelta, outcome.FillPrice, snapshot.Position);
        }

        if (roundTrip)
        {
            Log.RoundTrip(_logger, Symbol, tracked.Level, outcome.RoundTripPnl, _pnl.Realised);
            _risk.Breaker(Symbol)?.OnRoundTrip(outcome.RoundTripPnl);
        }

        if (!wasTerminal && order.IsTerminal)
        {
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

            _redecide = true;
        }
    }

    private void HandlePlaceDone(TrackedOrder tracked, PlaceOutcome outcome)
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
                ApplyVenueState(tracked, placed.Status, placed.FilledQuantity, placed.AveragePrice, placed.Fills, placed.ExchangeOrderId, placed.UpdatedAt, placed.RejectReason, "placed");
                break;
            case PlaceResult.Refused or PlaceResult.NeverArrived or PlaceResult.Fatal:
                if (order.Status is not null)
                {
                    // The stream already told us the order exists: the refusal is stale.
                    break;
                }

                var kind = outcome.Result == PlaceResult.NeverArrived ? ExchangeErrorKind.Unavailable : outcome.ErrorKind;
                _strategy.OnPlaceRefused(slot, order, kind, outcome.Message, _time.GetUtcNow());
                _store.InTransaction(() =>
                {
                    _store.SaveOrder(Symbol, tracked.Level, order, tracked.Sequence);
                    _store.SaveSlot(Symbol, slot);
                });
                _metrics.Rejected(Symbol, kind.ToString());
                Log.Refused(_logger, Symbol, order.ClientOrderId, kind, outcome.Message);
                if (kind == ExchangeErrorKind.InsufficientMargin)
                {
                    _risk.Alert(Symbol, "margin_lock", "warning", $"insufficient margin: new buys of {Symbol} locked for {Grid.MarginLockDurationSeconds} s, working buys cancelled ({outcome.Message})");
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

                _dirty = true;
                _redecide = true;
                break;
            case PlaceResult.Unresolved:
                Log.Unresolved(_logger, Symbol, order.ClientOrderId, outcome.Message);
                _risk.SetConnectorProblem(outcome.Message);
                break;
        }
    }

    private void HandleCancelDone(TrackedOrder tracked, CancelOutcome outcome, string reason)
    {
        var order = tracked.Order;
        if (outcome.Result == CancelResult.Done)
        {
            if (outcome.ErrorKind == ExchangeErrorKind.NotFound && !order.IsTerminal)
            {
                // The venue does not know it: it counts as cancelled.
                ApplyVenueState(tracked, OrderStatus.Canceled, order.FilledQuantity, order.AveragePrice, [], null, _time.GetUtcNow(), $"cancel ({reason}): {outcome.Message}", "cancel");
            }

            return;
        }

        GridStrategy.OnCancelFailed(order);
        Log.CancelFailed(_logger, Symbol, order.ClientOrderId, outcome.ErrorKind, outcome.Message);
        if (outcome.ErrorKind == ExchangeErrorKind.Unavailable)
        {
            _risk.SetConnectorProblem(outcome.Message);
        }
    }

    private void HandleLookupDone(TrackedOrder tracked, LookupOutcome outcome)
    {
        var order = tracked.Order;
        switch (outcome.Result)
        {
            case LookupResult.Found:
                var found = outcome.Order!;
                ApplyVenueState(tracked, found.Status, found.FilledQuantity, found.AveragePrice, found.Fills, found.ExchangeOrderId, found.UpdatedAt, found.RejectReason, "reconcile");
                break;
            case LookupResult.NotFound when !order.IsTerminal && !tracked.PlaceInFlight:
                // Missing on the venue: treated as cancelled (a pending place that never arrived, or an order the venue dropped).
                if (order.Status is null)
                {
                    var slot = _strategy.GetOrCreateSlot(tracked.Level);
                    _strategy.OnPlaceRefused(slot, order, ExchangeErrorKind.NotFound, "never reached the venue (reconciliation)", _time.GetUtcNow());
                    _store.SaveOrder(Symbol, tracked.Level, order, tracked.Sequence);
                    _dirty = true;
                }
                else
                {
                    ApplyVenueState(tracked, OrderStatus.Canceled, order.FilledQuantity, order.AveragePrice, [], null, _time.GetUtcNow(), "missing on the venue (reconciliation)", "reconcile");
                }

                break;
        }
    }

    private void HandleReconcileOrders(ReconcileOrders message)
    {
        var venueByClient = new Dictionary<string, Order>(StringComparer.Ordinal);
        var unknown = 0;
        foreach (var venueOrder in message.VenueOpen)
        {
            if (venueOrder.Symbol != Symbol)
            {
                continue;
            }

            var tracked = Find(venueOrder.ClientOrderId, venueOrder.ExchangeOrderId);
            if (tracked is not null && tracked.Order.IsTerminal && venueOrder.Status.IsOpen())
            {
                // The engine had given this order up (its place looked lost); it works on the venue all the same.
                tracked = null;
            }

            if (tracked is null)
            {
                unknown++;
                Log.UnknownOrder(_logger, Symbol, venueOrder.ClientOrderId ?? "", venueOrder.ExchangeOrderId);
                var exchangeId = venueOrder.ExchangeOrderId;
                var clientId = venueOrder.ClientOrderId ?? exchangeId;
                RunOffLoop(async token =>
                {
                    var outcome = await _gateway.CancelAsync(Symbol, exchangeId, clientId, token).ConfigureAwait(false);
                    if (outcome.Result == CancelResult.Done)
                    {
                        _metrics.Cancelled(Symbol, "unknown_order");
                    }
                });
                continue;
            }

            venueByClient[tracked.Order.ClientOrderId] = venueOrder;
            ApplyVenueState(tracked, venueOrder.Status, venueOrder.FilledQuantity, venueOrder.AveragePrice, venueOrder.Fills, venueOrder.ExchangeOrderId, venueOrder.UpdatedAt, venueOrder.RejectReason, "reconcile");
        }

        var missing = new List<TrackedOrder>();
        foreach (var tracked in _byClientId.Values)
        {
            if (!tracked.Order.IsTerminal && !tracked.PlaceInFlight && !venueByClient.ContainsKey(tracked.Order.ClientOrderId))
            {
                missing.Add(tracked);
            }
        }

        // Forget orders finished long ago; their state is on disk.
        var horizon = _time.GetUtcNow().AddMinutes(-30);
        foreach (var old in _byClientId.Values.Where(t => t.Order.IsTerminal && t.Order.UpdatedAt < horizon).ToList())
        {
            _byClientId.Remove(old.Order.ClientOrderId);
            if (old.Order.ExchangeOrderId is { } id)
            {
                _byExchangeId.Remove(id);
            }
        }

        message.Done.TrySetResult((missing, unknown));
    }

    private ReconciliationResult HandleReconcilePosition(ReconcilePosition message)
    {
        var local = _strategy.NetPosition;
        var venue = message.VenuePosition;
        var difference = venue - local;
        if (difference == 0)
        {
            MarkReconciled();
            return new ReconciliationResult(Symbol, true, local, venue, 0, false, 0, 0, null);
        }

        if (!message.Apply)
        {
            return new ReconciliationResult(Symbol, false, local, venue, difference, false, 0, 0, null);
        }

        var price = LastPrice > 0 ? LastPrice : message.VenueEntryPrice;
        if (!_restoredFromState && !_reconciled && local == 0 && venue > 0 && _strategy.Anchor is not null && Grid.GridMode == GridMode.Long)
        {
            // Start with a position found on the venue: spread it over sell slots above the anchor.
            _strategy.RestoreLongPosition(venue, message.VenueEntryPrice > 0 ? message.VenueEntryPrice : price);
            SaveAllSlots();
            Log.Restored(_logger, Symbol, venue, message.VenueEntryPrice);
            MarkReconciled();
            return new ReconciliationResult(Symbol, false, local, venue, difference, true, 0, 0, null);
        }

        var scale = Math.Max(Math.Abs(venue), Math.Abs(local));
        if (Math.Abs(difference) / scale < DivergenceThreshold && price > 0)
        {
            _strategy.CorrectPosition(difference, price);
            SaveAllSlots();
            Log.Corrected(_logger, Symbol, local, venue);
            _risk.Alert(Symbol, "position_corrected", "warning", $"local position {local} corrected to the venue's {venue}");
            MarkReconciled();
            return new ReconciliationResult(Symbol, false, local, venue, difference, true, 0, 0, null);
        }

        var reason = $"position divergence on {Symbol}: local {local}, venue {venue} (5 % or more)";
        Log.Diverged(_logger, Symbol, local, venue);
        _risk.Breaker(Symbol)?.Open(Risk.BreakerTrigger.Divergence, reason);
        MarkReconciled();
        return new ReconciliationResult(Symbol, false, local, venue, difference, false, 0, 0, null);
    }

    private void MarkReconciled()
    {
        if (!_reconciled)
        {
            Volatile.Write(ref _reconciled, true);
            _redecide = true;
        }

        _dirty = true;
    }

    private void SaveAllSlots()
    {
        _store.InTransaction(() =>
        {
            foreach (var slot in _strategy.Slots)
            {
                _store.SaveSlot(Symbol, slot);
            }
        });
        _dirty = true;
    }

    private async Task HandleStopAsync(StopMessage stop)
    {
        _stopping = true;
        try
        {
            if (stop.CancelOrders)
            {
                _actions.Clear();
                _strategy.CancelAll(_actions);
                var cancels = new List<Task>();
                foreach (var action in _actions)
                {
                    if (_byClientId.TryGetValue(action.ClientOrderId!, out var tracked))
                    {
                        tracked.Order.CancelRequested = true;
                        cancels.Add(_gateway.CancelAsync(Symbol, tracked.Order.ExchangeOrderId, tracked.Order.ClientOrderId, _calls.Token));
                    }
                }

                await Task.WhenAll(cancels).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                Log.CancelledOnExit(_logger, Symbol, cancels.Count);
            }
        }
        catch (Exception ex) when (ex is TimeoutException or ExchangeException or OperationCanceledException)
        {
            Log.HandlerFailed(_logger, Symbol, "cancel on exit", ex);
        }
        finally
        {
            stop.Done.TrySetResult();
        }
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

        return new EngineSnapshot(Symbol, position, notional, _pnl, open, _strategy.WorkingOrders, _strategy.Anchor, position == 0 ? null : _openedAt, _time.GetUtcNow());
    }

    private Order ToOrder(SlotOrder order) => new()
    {
        ExchangeOrderId = order.ExchangeOrderId ?? "",
        ClientOrderId = order.ClientOrderId,
        Symbol = Symbol,
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

    public async ValueTask DisposeAsync()
    {
        await _calls.CancelAsync().ConfigureAwait(false);
        _inbox.Writer.TryComplete();
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        _calls.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "{Symbol}: loaded saved state: {OpenOrders} open order(s), position {Position}, realised PnL {Realised}")]
        public static partial void Loaded(ILogger logger, string symbol, int openOrders, decimal position, decimal realised);

        [LoggerMessage(101, LogLevel.Error, "{Symbol}: handling {What} failed")]
        public static partial void HandlerFailed(ILogger logger, string symbol, string what, Exception exception);

        [LoggerMessage(102, LogLevel.Warning, "{Symbol}: malformed order update ignored (client order {ClientOrderId}, order {ExchangeOrderId}): quantity {Quantity}, filled {Filled}")]
        public static partial void MalformedUpdate(ILogger logger, string symbol, string clientOrderId, string exchangeOrderId, decimal quantity, decimal filled);

        [LoggerMessage(103, LogLevel.Information, "{Symbol}: {ClientOrderId} {Side} filled {Quantity} at {Price}; position {Position}")]
        public static partial void Filled(ILogger logger, string symbol, string clientOrderId, OrderSide side, decimal quantity, decimal price, decimal position);

        [LoggerMessage(104, LogLevel.Information, "{Symbol}: round trip of level {Level} closed with {Pnl}; realised {Realised}")]
        public static partial void RoundTrip(ILogger logger, string symbol, long level, decimal pnl, decimal realised);

        [LoggerMessage(105, LogLevel.Warning, "{Symbol}: venue refused {ClientOrderId} ({Kind}): {Reason}")]
        public static partial void Refused(ILogger logger, string symbol, string clientOrderId, ExchangeErrorKind kind, string reason);

        [LoggerMessage(106, LogLevel.Warning, "{Symbol}: outcome of {ClientOrderId} still unknown, reconciliation will look it up: {Reason}")]
        public static partial void Unresolved(ILogger logger, string symbol, string clientOrderId, string reason);

        [LoggerMessage(107, LogLevel.Warning, "{Symbol}: cancel of {ClientOrderId} failed ({Kind}): {Reason}")]
        public static partial void CancelFailed(ILogger logger, string symbol, string clientOrderId, ExchangeErrorKind kind, string reason);

        [LoggerMessage(108, LogLevel.Warning, "{Symbol}: venue order {ExchangeOrderId} (client id {ClientOrderId}) is unknown to the engine; cancelling it")]
        public static partial void UnknownOrder(ILogger logger, string symbol, string clientOrderId, string exchangeOrderId);

        [LoggerMessage(109, LogLevel.Information, "{Symbol}: restored venue position {Quantity} (entry {Entry}) into sell slots")]
        public static partial void Restored(ILogger logger, string symbol, decimal quantity, decimal entry);

        [LoggerMessage(110, LogLevel.Warning, "{Symbol}: local position {Local} corrected to the venue's {Venue}")]
        public static partial void Corrected(ILogger logger, string symbol, decimal local, decimal venue);

        [LoggerMessage(111, LogLevel.Error, "{Symbol}: position divergence: local {Local}, venue {Venue}; circuit breaker opened")]
        public static partial void Diverged(ILogger logger, string symbol, decimal local, decimal venue);

        [LoggerMessage(112, LogLevel.Information, "{Symbol}: cancelled {Count} working order(s) on exit")]
        public static partial void CancelledOnExit(ILogger logger, string symbol, int count);
    }
}
