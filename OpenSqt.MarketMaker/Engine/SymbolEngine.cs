using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
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
/// their answers back to it. The loop only routes and decides: <see cref="OrderTracker"/> puts venue answers and stream
/// events onto orders, <see cref="Ledger"/> books fills, position and PnL, <see cref="Reconciler"/> compares with the
/// venue, and <see cref="GridStrategy"/> decides.
/// </summary>
public sealed partial class SymbolEngine : IAsyncDisposable
{
    private readonly Channel<EngineMessage> _inbox = Channel.CreateBounded<EngineMessage>(new BoundedChannelOptions(8192)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly GridStrategy _strategy;
    private readonly OrderTracker _tracker;
    private readonly Ledger _ledger;
    private readonly Reconciler _reconciler;
    private readonly EngineStateStore _store;
    private readonly OrderGateway _gateway;
    private readonly RiskState _risk;
    private readonly EngineMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _throttle;
    private readonly string _book;
    private readonly string _tag;
    private readonly List<GridAction> _actions = new(64);
    private readonly List<Task> _inFlight = [];
    private readonly CancellationTokenSource _calls = new();
    private readonly bool _restoredFromState;
    private PriceChange? _latestTick;
    private MarkTick? _mark;
    private PriceChange? _decidedTick;
    private long _latestTickTimestamp;
    private long _sequence;
    private DateTimeOffset _lastDecision = DateTimeOffset.MinValue;
    private bool _redecide;
    private bool _timerArmed;
    private bool _stopping;
    private bool _halted;
    private bool _dirty = true;
    private Task? _loop;

    public SymbolEngine(GridOptions grid, SymbolRules rules, MarketMakerOptions options, EngineStateStore store, OrderGateway gateway,
        RiskState risk, EngineMetrics metrics, Broadcast<PositionEvent> positions, TimeProvider time, ILogger logger, Func<string, decimal>? assetPrice = null)
    {
        Grid = grid;
        _strategy = new GridStrategy(grid, rules);
        _store = store;
        _gateway = gateway;
        _risk = risk;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _throttle = options.Throttle;
        _book = store.Book();
        _tag = ClientOrderId.SymbolTag(grid.Symbol);

        var saved = store.Load(grid.Symbol);
        _sequence = saved.Sequence;
        if (saved.Anchor is { } anchor)
        {
            _strategy.SetAnchor(anchor);
        }

        foreach (var s in saved.Slots)
        {
            _strategy.LoadSlot(s.Level, s.Sign, s.Quantity, s.OpenNotional, s.OpenFees, s.RoundTripPnl, s.PostOnlyFailures);
        }

        _ledger = new Ledger(grid.Symbol, _strategy, store, saved.Pnl, risk, positions, time, logger, assetPrice);
        _tracker = new OrderTracker(grid, _strategy, store, _ledger, risk, metrics, time, logger);
        foreach (var stored in saved.OpenOrders)
        {
            _tracker.Restore(stored);
        }

        _restoredFromState = saved.Anchor is not null;
        _reconciler = new Reconciler(grid, _strategy, _tracker, _ledger, risk, _restoredFromState, _book, time, logger);
        risk.Restore(grid.Symbol, saved.Pnl.Realised);
        _ledger.Refresh();
        Log.Loaded(_logger, grid.Symbol, saved.OpenOrders.Count, _strategy.NetPosition, saved.Pnl.Realised);
    }

    public GridOptions Grid { get; }

    public string Symbol => Grid.Symbol;

    public SymbolRules Rules => _strategy.Rules;

    /// <summary>The latest view for operators; never blocks the writer.</summary>
    public EngineSnapshot Snapshot => _ledger.Snapshot;

    /// <summary>The last traded price seen, 0 before the first.</summary>
    public decimal LastPrice => Volatile.Read(ref _latestTick)?.Price ?? 0m;

    /// <summary>
    /// The price positions are valued at (unrealised PnL, drawdown equity, notional limits): the venue's mark price, as
    /// venues measure PnL and liquidation on it. The last trade price is the fallback while no mark younger than
    /// <see cref="MarkMaxAge"/> has arrived: some venues' funding feeds carry no mark, and a mark stream can be down.
    /// </summary>
    public decimal ValuationPrice => Volatile.Read(ref _mark) is { } mark && _time.GetElapsedTime(mark.Timestamp) <= MarkMaxAge ? mark.Price : LastPrice;

    /// <summary>How old a mark price may be before the last trade price is used instead (venues push the mark every 1-3 s).</summary>
    public static TimeSpan MarkMaxAge { get; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether the first reconciliation has passed; nothing is placed before it.</summary>
    public bool Reconciled => _reconciler.Reconciled;

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

    /// <summary>A mark price from the venue's funding / mark-price feed; updates without one are ignored.</summary>
    public void OnMark(FundingRate rate)
    {
        if (rate.Symbol != Symbol || rate.MarkPrice <= 0)
        {
            return;
        }

        var previous = Volatile.Read(ref _mark);
        Volatile.Write(ref _mark, new MarkTick(rate.MarkPrice, _time.GetTimestamp()));
        if (previous?.Price != rate.MarkPrice)
        {
            // The drawdown equity and the limits are measured at the mark: decide again even when nothing traded.
            Poke();
        }
    }

    /// <summary>A funding payment the venue settled on this symbol's position; booked once by the writer.</summary>
    public ValueTask OnFundingAsync(FundingFee fee, CancellationToken cancellationToken) =>
        _inbox.Writer.WriteAsync(new FundingMessage(fee), cancellationToken);

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
        var ordersDone = new TaskCompletionSource<OrderComparison>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _inbox.Writer.WriteAsync(new ReconcileOrders(venueOpen, ordersDone), cancellationToken).ConfigureAwait(false);
        var (missing, unknown, _, _) = await ordersDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
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

        return result with { MissingOrders = missing.Count, UnknownOrders = unknown.Count };
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
                        HaltOnStoreFailure(ex);
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
                    HaltOnStoreFailure(ex);
                }

                if (_dirty)
                {
                    _dirty = false;
                    _ledger.Refresh();
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
        var effect = TrackerEffect.None;
        _tracker.LastPrice = ValuationPrice;
        var wasReconciled = _reconciler.Reconciled;
        switch (message)
        {
            case PriceSignal:
                break;
            case Redecide:
                _redecide = true;
                _timerArmed = false;
                break;
            case UpdateMessage update:
                effect = _tracker.OnUpdate(update.Update);
                break;
            case FundingMessage funding:
                effect = _ledger.BookFunding(funding.Fee, ValuationPrice) ? TrackerEffect.Changed | TrackerEffect.Redecide : TrackerEffect.None;
                break;
            case PlaceDone place:
                effect = _tracker.OnPlaced(place.Order, place.Outcome);
                break;
            case CancelDone cancel:
                effect = _tracker.OnCancelled(cancel.Order, cancel.Outcome, cancel.Reason);
                break;
            case LookupDone lookup:
                effect = _tracker.OnLookup(lookup.Order, lookup.Outcome);
                break;
            case ReconcileOrders orders:
                var comparison = _reconciler.CompareOrders(orders.VenueOpen);
                CancelUnknown(comparison.Unknown);
                effect = comparison.Effect;
                orders.Done.TrySetResult(comparison);
                break;
            case ReconcilePosition position:
                var result = _reconciler.ComparePosition(position.VenuePosition, position.VenueEntryPrice, position.Apply, LastPrice);
                effect = result.PositionMatch || position.Apply ? TrackerEffect.Changed : TrackerEffect.None;
                position.Done.TrySetResult(result);
                break;
        }

        if (!wasReconciled && _reconciler.Reconciled)
        {
            effect |= TrackerEffect.Redecide;
        }

        _dirty |= (effect & TrackerEffect.Changed) != 0;
        _redecide |= (effect & TrackerEffect.Redecide) != 0;
        FollowUp();
    }

    /// <summary>Venue orders nobody tracks are cancelled.</summary>
    private void CancelUnknown(IReadOnlyList<Order> unknown)
    {
        foreach (var venueOrder in unknown)
        {
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

        if (_strategy.TakeSlotsChanged())
        {
            // Dust merged into another slot: on disk before the close that carries it is sent.
            _ledger.SaveAllSlots();
            _dirty = true;
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
            else if (!_halted)
            {
                Place(action, now, tickTimestamp);
            }
        }

        _dirty = true;
    }

    /// <summary>
    /// The one way this symbol's writer stops trading on its own, with the reason operators see. Today it raises the
    /// engine's fatal error (nothing new is placed anywhere, the host stops and cancels where CancelOnExit is set).
    /// </summary>
    private void Halt(string reason)
    {
        _halted = true;
        Log.Halted(_logger, Symbol, reason);
        _risk.SetFatal(reason);
    }

    /// <summary>A failed write to the state store: nothing may be sent that is not on disk, so trading stops.</summary>
    private bool HaltOnStoreFailure(Exception ex)
    {
        if (ex is not SqliteException)
        {
            return false;
        }

        Halt($"the state store of {Symbol} failed ({ex.Message}); nothing is sent that is not on disk, so the engine stopped trading");
        return true;
    }

    private TradingGate Gate() =>
        _risk.GateFor(Symbol, _strategy, _ledger.Pnl.Realised, ValuationPrice, Volatile.Read(ref _latestTickTimestamp), _reconciler.Reconciled && !_stopping);

    private void Place(GridAction action, DateTimeOffset now, long tickTimestamp)
    {
        var sequence = ++_sequence;
        var clientOrderId = ClientOrderId.Create(_book, _tag, action.Role, action.Level, sequence);
        var tracked = _tracker.Begin(action, clientOrderId, sequence, now, tickTimestamp);
        var order = tracked.Order;
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
        if (_tracker.Find(clientOrderId, null) is not { } tracked || tracked.Order.IsTerminal)
        {
            return;
        }

        SendCancel(tracked, reason);
    }

    private void SendCancel(TrackedOrder tracked, string reason)
    {
        OrderTracker.CancelSent(tracked);
        var clientOrderId = tracked.Order.ClientOrderId;
        var exchangeId = tracked.Order.ExchangeOrderId;
        RunOffLoop(async token =>
        {
            var outcome = await _gateway.CancelAsync(Symbol, exchangeId, clientOrderId, token).ConfigureAwait(false);
            await _inbox.Writer.WriteAsync(new CancelDone(tracked, outcome, reason), CancellationToken.None).ConfigureAwait(false);
        });
    }

    /// <summary>Sends what the tracker asked for: cancels of orders that turned up working, lookups of final states.</summary>
    private void FollowUp()
    {
        foreach (var tracked in _tracker.TakeCancels())
        {
            SendCancel(tracked, "working after its cancel");
        }

        foreach (var until in _tracker.TakeWakeUps())
        {
            // A timer may fire a little before the clock reads its time: wait until it does, then decide again.
            RunOffLoop(async token =>
            {
                for (var left = until - _time.GetUtcNow(); left >= TimeSpan.Zero; left = until - _time.GetUtcNow())
                {
                    await Task.Delay(left + TimeSpan.FromMilliseconds(1), _time, token).ConfigureAwait(false);
                }

                _inbox.Writer.TryWrite(Redecide.Instance);
            });
        }

        foreach (var tracked in _tracker.TakeLookups())
        {
            RunOffLoop(async token =>
            {
                var lookup = await _gateway.LookupAsync(Symbol, tracked.Order.ClientOrderId, token).ConfigureAwait(false);
                await _inbox.Writer.WriteAsync(new LookupDone(tracked, lookup), CancellationToken.None).ConfigureAwait(false);
            });
        }
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

    private async Task HandleStopAsync(StopMessage stop)
    {
        _stopping = true;
        try
        {
            await AwaitPlacesAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            if (stop.CancelOrders)
            {
                var cancels = new List<Task>();
                foreach (var tracked in _tracker.Orders.Where(t => !t.Order.IsTerminal).ToArray())
                {
                    tracked.Order.CancelRequested = true;
                    cancels.Add(_gateway.CancelAsync(Symbol, tracked.Order.ExchangeOrderId, tracked.Order.ClientOrderId, _calls.Token));
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

    /// <summary>
    /// Applies the answers of places still out before the exit cancels go, so an order that lands late is known (and
    /// cancelled) instead of working on after the engine stopped.
    /// </summary>
    private async Task AwaitPlacesAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit, _time);
        try
        {
            while (_tracker.Orders.Any(t => t.PlaceInFlight) && await _inbox.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
            {
                while (_inbox.Reader.TryRead(out var message))
                {
                    if (message is StopMessage other)
                    {
                        other.Done.TrySetResult();
                        continue;
                    }

                    try
                    {
                        Handle(message);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.HandlerFailed(_logger, Symbol, message.GetType().Name, ex);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Log.PlacesStillOut(_logger, Symbol, _tracker.Orders.Count(t => t.PlaceInFlight));
        }
    }

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

        [LoggerMessage(112, LogLevel.Information, "{Symbol}: cancelled {Count} working order(s) on exit")]
        public static partial void CancelledOnExit(ILogger logger, string symbol, int count);

        [LoggerMessage(118, LogLevel.Critical, "{Symbol}: trading halted: {Reason}")]
        public static partial void Halted(ILogger logger, string symbol, string reason);

        [LoggerMessage(115, LogLevel.Warning, "{Symbol}: {Count} place(s) still unanswered on exit; reconciliation at the next start looks them up")]
        public static partial void PlacesStillOut(ILogger logger, string symbol, int count);
    }
}
