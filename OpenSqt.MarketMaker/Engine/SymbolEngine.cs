using System.Collections.Concurrent;
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
/// symbol never holds up another (the replay's inline writer queues without the channel and handles its queue on the
/// thread that finds it idle, in the same rounds; see <see cref="Post"/>). Orders are persisted before they are sent;
/// venue calls run off the loop and post their answers back to it. The loop only routes and decides: <see cref="OrderTracker"/> puts venue answers and stream
/// events onto orders, <see cref="Ledger"/> books fills, position and PnL, <see cref="Reconciler"/> compares with the
/// venue, and <see cref="GridStrategy"/> decides.
/// </summary>
public sealed partial class SymbolEngine : IAsyncDisposable
{
    private readonly Channel<EngineMessage> _inbox;
    private readonly bool _inline;

    private readonly SymbolRules _rules;
    private readonly Broadcast<PositionEvent> _positions;
    private readonly EngineStateStore _store;
    private readonly OrderGateway _gateway;
    private readonly RiskState _risk;
    private readonly EngineMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _throttle;
    private readonly CrashPoint _crashAt;
    private readonly string _book;
    private readonly string _tag;
    private readonly Func<string, decimal>? _assetPrice;
    private readonly List<GridAction> _actions = new(64);
    private readonly List<Task> _inFlight = [];
    private readonly CancellationTokenSource _calls = new();
    private GridStrategy _strategy;
    private OrderTracker _tracker;
    private Ledger _ledger;
    private Reconciler _reconciler;
    private bool _restoredFromState;
    private int _reloadAfterStoreFailure;
    private PriceChange? _latestTick;
    private MarkTick? _mark;
    private PriceChange? _decidedTick;
    private long _latestTickTimestamp;
    private long _sequence;
    private DateTimeOffset _lastAdjustment = DateTimeOffset.MinValue;
    private bool _redecide;
    private bool _timerArmed;
    private ITimer? _throttleTimer;
    private bool _stopping;
    private bool _dirty = true;
    private Task? _loop;
    private volatile bool _parked;
    private int _outstanding;

    // The replay's writer (InlineWriter; see Post): its queue, whether a thread is handling it now (1, set and cleared
    // with Interlocked), whether the engine has started (nothing is handled before), whether the stop has handed the queue
    // to the channel (moves into it under _handOffGate, in order), whether it has ended.
    private readonly ConcurrentQueue<EngineMessage> _inlineQueue = new();
    private readonly Lock _handOffGate = new();
    private readonly TaskCompletionSource _inlineDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _draining;
    private int _inlineStarted;
    private volatile bool _handedOff;
    private volatile bool _inlineEnded;
    private CancellationToken _stoppingToken;
    private CancellationTokenRegistration _stoppingRegistration;

    public SymbolEngine(GridOptions grid, SymbolRules rules, MarketMakerOptions options, EngineStateStore store, OrderGateway gateway,
        RiskState risk, EngineMetrics metrics, Broadcast<PositionEvent> positions, TimeProvider time, ILogger logger, Func<string, decimal>? assetPrice = null)
    {
        Grid = grid;
        _rules = rules;
        _positions = positions;
        _store = store;
        _gateway = gateway;
        _risk = risk;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _throttle = options.Throttle;
        _inbox = Channel.CreateBounded<EngineMessage>(new BoundedChannelOptions(8192)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = options.InlineWriter,
        });
        _inline = options.InlineWriter;
        _crashAt = options.Testing.CrashAt;
        _book = store.Book();
        _tag = ClientOrderId.SymbolTag(grid.Symbol);
        _assetPrice = assetPrice;
        var saved = LoadFromStore();
        risk.Restore(grid.Symbol, saved.Pnl.Realised);
        _ledger.Refresh();
        Log.Loaded(_logger, grid.Symbol, saved.OpenOrders.Count, _strategy.NetPosition, saved.Pnl.Realised);
    }

    /// <summary>Builds the grid, orders and books from the state file (start, and recovery after a store failure).</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_strategy), nameof(_tracker), nameof(_ledger), nameof(_reconciler))]
    private SymbolSnapshot LoadFromStore()
    {
        var saved = _store.Load(Symbol);
        _sequence = Math.Max(_sequence, saved.Sequence);
        var strategy = new GridStrategy(Grid, _rules);
        if (saved.Anchor is { } anchor)
        {
            strategy.SetAnchor(anchor);
        }

        foreach (var s in saved.Slots)
        {
            strategy.LoadSlot(s.Level, s.Sign, s.Quantity, s.OpenNotional, s.OpenFees, s.RoundTripPnl, s.PostOnlyFailures);
        }

        var ledger = new Ledger(Symbol, strategy, _store, saved.Pnl, _risk, _positions, _time, _logger, _assetPrice);
        var tracker = new OrderTracker(Grid, strategy, _store, ledger, _risk, _metrics, _time, _logger, _crashAt);
        foreach (var stored in saved.OpenOrders)
        {
            tracker.Restore(stored);
        }

        _restoredFromState = saved.Anchor is not null;
        _strategy = strategy;
        _ledger = ledger;
        _tracker = tracker;
        _reconciler = new Reconciler(Grid, strategy, tracker, ledger, _risk, _restoredFromState, _book, _time, _logger);
        return saved;
    }

    /// <summary>
    /// The state store works again after a failure: what the writer holds in memory may be ahead of the file (a
    /// transaction whose commit failed), so it reloads from the file before the next message, and the reconciliation
    /// that follows reads back from the venue what could not be written. Called from any thread.
    /// </summary>
    public void ReloadAfterStoreFailure()
    {
        Volatile.Write(ref _reloadAfterStoreFailure, 1);
        Unreconcile();
    }

    public GridOptions Grid { get; }

    public string Symbol => Grid.Symbol;

    public SymbolRules Rules => _rules;

    /// <summary>The latest view for operators; never blocks the writer.</summary>
    public EngineSnapshot Snapshot => _ledger.Snapshot;

    /// <summary>The decisions made in full so far (not answered from a remembered one); read once the writer is idle.</summary>
    internal long FullDecisions => _strategy.FullDecisions;

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

    /// <summary>
    /// True while the writer waits for its next message with none queued and every venue call of its own out waits for
    /// time to pass (a rate-limit token, a backoff, a wake-up; <see cref="OrderGateway.WaitingOnTime"/>): everything it
    /// was told has been decided on, and nothing more happens until a message comes or the clock moves. The in-process
    /// replay waits for this after each event instead of sleeping (a call running on a pool thread it sees by the pool);
    /// it is read-only and changes nothing for live trading.
    /// </summary>
    public bool IsIdle
    {
        get
        {
            if (!(_inline ? InlineIdle() : _parked && _inbox.Reader.Count == 0))
            {
                return false;
            }

            // With no call out, the gateway is not asked (a lookup by symbol, on every replayed event) which of them wait on time.
            var outstanding = Volatile.Read(ref _outstanding);
            return outstanding == 0 || outstanding <= _gateway.WaitingOnTime(Symbol);
        }
    }

    private bool InlineIdle() =>
        Volatile.Read(ref _draining) == 0 && _inlineQueue.IsEmpty && (!_handedOff || _inbox.Reader.Count == 0);

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

        if (!_inline)
        {
            _loop = Task.Run(() => RunAsync(stoppingToken), CancellationToken.None);
            return;
        }

        _stoppingToken = stoppingToken;
        _loop = _inlineDone.Task;
        _stoppingRegistration = stoppingToken.Register(static engine => ((SymbolEngine)engine!).EndInline(), this);

        // What came before the start is handled now, as the channel's loop takes it at its start. (A full fence: a message
        // queued by a thread that saw the writer not started yet is seen here.)
        Interlocked.Exchange(ref _inlineStarted, 1);
        if (!_inlineQueue.IsEmpty && Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            Drain();
        }
    }

    /// <summary>A price tick: kept as the latest and decided on by the writer, never queued behind other symbols.</summary>
    public void OnPrice(PriceChange change)
    {
        Volatile.Write(ref _latestTick, change);
        Volatile.Write(ref _latestTickTimestamp, _time.GetTimestamp());
        Send(PriceSignal.Instance);
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
        SendAsync(new FundingMessage(fee), cancellationToken);

    public ValueTask OnOrderUpdateAsync(OrderUpdate update, CancellationToken cancellationToken) =>
        SendAsync(new UpdateMessage(update), cancellationToken);

    /// <summary>Asks for a decision now (risk or connector state changed).</summary>
    public void Poke() => Send(Redecide.Instance);

    /// <summary>
    /// One reconciliation run: compares working orders and position with the venue and applies the correction rules to
    /// the differences the run before saw too (see <see cref="Reconciler"/>): a local order missing on the venue is
    /// looked up and, if unknown, treated as cancelled; a venue order with the engine's prefix unknown locally is
    /// cancelled; a position difference below 5 % is corrected locally, 5 % or more opens the circuit breaker. A result
    /// with <see cref="ReconciliationResult.Pending"/> asks for a second run; the run with <paramref name="final"/> (or one
    /// that leaves nothing pending) finishes the reconciliation and lets the symbol trade again.
    /// </summary>
    public async Task<ReconciliationResult> ReconcileAsync(bool final, CancellationToken cancellationToken)
    {
        var exchange = _gateway.Exchange;
        var epoch = _reconciler.Epoch;
        var snapshotAt = _time.GetUtcNow();
        var venueOpen = await exchange.GetOpenOrdersAsync(Symbol, cancellationToken).ConfigureAwait(false);
        var ordersDone = new TaskCompletionSource<OrderComparison>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync(new ReconcileOrders(venueOpen, snapshotAt, ordersDone), cancellationToken).ConfigureAwait(false);
        var (missing, unknown, _, _) = await ordersDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var tracked in missing)
        {
            var lookup = await _gateway.LookupAsync(Symbol, tracked.Order.ClientOrderId, cancellationToken).ConfigureAwait(false);
            await SendAsync(new LookupDone(tracked, lookup), cancellationToken).ConfigureAwait(false);
        }

        var positions = await exchange.GetPositionsAsync(Symbol, cancellationToken).ConfigureAwait(false);
        var venue = positions.Where(p => p.Symbol == Symbol).Sum(p => p.Size);
        var entry = positions.FirstOrDefault(p => p.Symbol == Symbol)?.EntryPrice ?? 0m;
        var done = new TaskCompletionSource<ReconciliationResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync(new ReconcilePosition(venue, entry, epoch, final, done), cancellationToken).ConfigureAwait(false);
        var result = await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return result with { MissingOrders = missing.Count, UnknownOrders = unknown.Count };
    }

    /// <summary>
    /// The engine may have missed venue events (a stream reconnected, the connector came back): nothing is placed until
    /// the next reconciliation has finished. Called from any thread.
    /// </summary>
    public void Unreconcile()
    {
        _reconciler.Invalidate();
        Poke();
    }

    /// <summary>Stops the writer; with <paramref name="cancelOrders"/> every working order is cancelled first.</summary>
    public async Task StopAsync(bool cancelOrders, TimeSpan timeout)
    {
        if (_loop is null || _loop.IsCompleted)
        {
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Send(new StopMessage(cancelOrders, done)))
        {
            await done.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var reader = _inbox.Reader;
        try
        {
            while (true)
            {
                _parked = true;
                var more = await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false);
                _parked = false;
                if (!more)
                {
                    break;
                }

                if (HandleRound(inline: false) is { } stop)
                {
                    await StopWriterAsync(stop).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping without a stop message: state is already on disk.
        }
    }

    /// <summary>
    /// One round of the writer: every message queued, in order, then one decision on the latest price and the operators'
    /// snapshot refreshed when anything changed. Returns the stop message when one comes (the round ends there, what
    /// follows it left queued for the stop).
    /// </summary>
    private StopMessage? HandleRound(bool inline)
    {
        while (TryTake(inline, out var message))
        {
            if (message is StopMessage stop)
            {
                return stop;
            }

            try
            {
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

        return null;
    }

    private async Task StopWriterAsync(StopMessage stop)
    {
        try
        {
            await HandleStopAsync(stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.HandlerFailed(_logger, Symbol, nameof(StopMessage), ex);
            HaltOnStoreFailure(ex);
        }
    }

    private bool TryTake(bool inline, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out EngineMessage message)
    {
        if (!inline)
        {
            return _inbox.Reader.TryRead(out message);
        }

        if (_inlineEnded || _handedOff)
        {
            message = null;
            return false;
        }

        return _inlineQueue.TryDequeue(out message);
    }

    /// <summary>Queues a message for the writer; false when it cannot take it (the channel full, the writer ended).</summary>
    private bool Send(EngineMessage message) => _inline ? Post(message) : _inbox.Writer.TryWrite(message);

    /// <summary>Queues a message for the writer, waiting for room in the channel when it is full (live).</summary>
    private ValueTask SendAsync(EngineMessage message, CancellationToken cancellationToken)
    {
        if (!_inline)
        {
            return _inbox.Writer.WriteAsync(message, cancellationToken);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        Post(message);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The replay's writer (<see cref="MarketMakerOptions.InlineWriter"/>): the message is queued and, when no thread is
    /// handling the queue, this thread handles it at once, round after round (<see cref="HandleRound"/>) until the queue is
    /// empty; a message sent meanwhile (from the handling itself, a place's answer, or from another thread) is queued and
    /// taken by the round after. This is what the channel with synchronous continuations did, without the channel's
    /// and the loop's asynchronous machinery on every price (about a quarter of a quiet replayed tick's work). The queue
    /// holds what one round sends, so it is not bounded; no thread ever waits for room. Once a stop is handled, the
    /// channel takes over (<see cref="HandOff"/>): the stop's wait for places still out reads it, as live.
    /// </summary>
    private bool Post(EngineMessage message)
    {
        if (_handedOff)
        {
            return _inbox.Writer.TryWrite(message);
        }

        if (_inlineEnded)
        {
            return false;
        }

        _inlineQueue.Enqueue(message);
        if (_handedOff)
        {
            // The stop took the queue over while this was queued: it follows what was queued before it into the channel.
            MoveQueueToChannel();
            return true;
        }

        if (Volatile.Read(ref _inlineStarted) == 1 && Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            Drain();
        }

        return true;
    }

    /// <summary>Handles the replay writer's queue until it is empty; only the thread that set <see cref="_draining"/> runs it.</summary>
    private void Drain()
    {
        try
        {
            while (true)
            {
                if (_handedOff || _inlineEnded)
                {
                    // Taken after the stop took over (or the end): the channel's reader handles what comes now.
                    Interlocked.Exchange(ref _draining, 0);
                    return;
                }

                if (HandleRound(inline: true) is { } stop)
                {
                    HandOff(stop);
                    return;
                }

                // Let go, then look again (a full fence: a message queued by a thread that found the writer busy is
                // seen here, or that thread finds it free and handles it itself).
                Interlocked.Exchange(ref _draining, 0);
                if (_inlineQueue.IsEmpty || _inlineEnded || _handedOff || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
                {
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            // What ends the channel's loop ends this writer: nothing more is handled, and the loop's task says why.
            _inlineEnded = true;
            _inlineQueue.Clear();
            Interlocked.Exchange(ref _draining, 0);

            if (ex is OperationCanceledException && _stoppingToken.IsCancellationRequested)
            {
                _inlineDone.TrySetResult();
            }
            else
            {
                _inlineDone.TrySetException(ex);
            }
        }
    }

    /// <summary>
    /// The replay writer's stop: what was queued after the stop goes to the channel, in order, and so does everything sent
    /// from now on; the stop then runs as live (<see cref="HandleStopAsync"/>, whose wait for the places still out reads the
    /// channel). Nobody reads the channel before this, so moving the queue into it runs nothing.
    /// </summary>
    private void HandOff(StopMessage stop)
    {
        _handedOff = true;
        Interlocked.Exchange(ref _draining, 0);
        MoveQueueToChannel();
        _ = FinishInlineAsync(stop);
    }

    /// <summary>Moves what the replay writer's queue holds into the channel, in order (two threads moving at once take turns).</summary>
    private void MoveQueueToChannel()
    {
        lock (_handOffGate)
        {
            while (_inlineQueue.TryDequeue(out var next))
            {
                _inbox.Writer.TryWrite(next);
            }
        }
    }

    private async Task FinishInlineAsync(StopMessage stop)
    {
        try
        {
            await StopWriterAsync(stop).ConfigureAwait(false);
        }
        finally
        {
            _inlineDone.TrySetResult();
        }
    }

    /// <summary>The host stops or the engine is disposed: the replay's writer handles nothing more (a stop under way finishes).</summary>
    private void EndInline()
    {
        _inlineEnded = true;
        _inlineQueue.Clear();
        if (!_handedOff)
        {
            _inlineDone.TrySetResult();
        }
    }

    private void Handle(EngineMessage message)
    {
        // Read before it is taken: an exchange on every message would be an atomic operation per price tick for a flag
        // that is nearly never set.
        if (Volatile.Read(ref _reloadAfterStoreFailure) == 1 && Interlocked.Exchange(ref _reloadAfterStoreFailure, 0) == 1)
        {
            var saved = LoadFromStore();
            _reconciler.Invalidate();
            _dirty = true;
            Log.Reloaded(_logger, Symbol, saved.OpenOrders.Count, _strategy.NetPosition);
        }

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
                MeasureSent(place);
                effect = _tracker.OnPlaced(Current(place.Order), place.Outcome);
                break;
            case CancelDone cancel:
                effect = _tracker.OnCancelled(Current(cancel.Order), cancel.Outcome, cancel.Reason);
                break;
            case LookupDone lookup:
                effect = _tracker.OnLookup(Current(lookup.Order), lookup.Outcome);
                break;
            case ReconcileOrders orders:
                var comparison = _reconciler.CompareOrders(orders.VenueOpen, orders.SnapshotAt);
                CancelUnknown(comparison.Unknown);
                effect = comparison.Effect;
                orders.Done.TrySetResult(comparison);
                break;
            case ReconcilePosition position:
                var result = _reconciler.ComparePosition(position.VenuePosition, position.VenueEntryPrice, LastPrice) with { Pending = _reconciler.Pending };
                if (!result.Pending || position.Final)
                {
                    _reconciler.Finish(position.Epoch);
                }

                effect = TrackerEffect.Changed;

                // Whoever waits for the reconciliation reads the books it left: the engine says Ready after the start's
                // reconciliation, and a snapshot read at once showed no anchor until the writer's next refresh.
                _ledger.Refresh();
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

    /// <summary>The tracker's order of that client id: after a reload, an answer to a call made before lands on the reloaded order.</summary>
    private TrackedOrder Current(TrackedOrder tracked) => _tracker.Find(tracked.Order.ClientOrderId, null) ?? tracked;

    /// <summary>The stages after the order was durable (see <see cref="PlaceStage"/>), when anyone listens.</summary>
    private void MeasureSent(PlaceDone place)
    {
        var sent = place.Outcome.SentTimestamp;
        if (sent == 0 || !_metrics.PlaceStagesMeasured)
        {
            return;
        }

        _metrics.PlaceStageLatency(Symbol, PlaceStage.Limiter, _time.GetElapsedTime(place.Order.DurableTimestamp, sent));
        _metrics.PlaceStageLatency(Symbol, PlaceStage.Send, _time.GetElapsedTime(sent, place.AnsweredTimestamp));
        _metrics.PlaceStageLatency(Symbol, PlaceStage.Reply, _time.GetElapsedTime(place.AnsweredTimestamp));
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

        // A failed store halts: nothing new goes out (the gate cannot send), but the working openings are cancelled, as
        // in any Halted state. A cancel needs nothing on disk first: it only lowers the exposure, and whatever its answer
        // and the fills racing it leave unrecorded, reconciliation reads back from the venue once the store works again
        // and an operator has reset.
        var storeFailed = _risk.StoreFailure is not null;
        var now = _time.GetUtcNow();
        // The throttle spaces adjustments (decisions that send or cancel something), as OpenSQT does: at most one per
        // Throttle. A tick that changes nothing does not start the window, so the tick that crosses a level after a
        // stream of quiet ones is acted on at once instead of up to a Throttle later.
        if (now - _lastAdjustment < _throttle && !_redecide)
        {
            if (!_timerArmed)
            {
                _timerArmed = true;

                // One timer for the engine's life, re-armed: a throttled tick allocates nothing. It fires on the time
                // provider's thread (in a replay, the driver's) and only posts to the inbox.
                _throttleTimer ??= _time.CreateTimer(static state => ((SymbolEngine)state!).Poke(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _throttleTimer.Change(_throttle - (now - _lastAdjustment), Timeout.InfiniteTimeSpan);
            }

            return;
        }

        var decisionStarted = _time.GetTimestamp();
        _redecide = false;
        _decidedTick = tick;
        var gate = Gate();
        var hadAnchor = _strategy.Anchor is not null;
        _actions.Clear();
        using var activity = EngineTelemetry.Source.StartActivity("grid.decide");
        _strategy.Decide(tick.Price, gate, now, _actions);
        if (!storeFailed && !hadAnchor && _strategy.Anchor is { } anchor)
        {
            _store.SaveAnchor(Symbol, anchor);
        }

        if (!storeFailed && _strategy.TakeSlotsChanged())
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

        _lastAdjustment = now;
        activity?.SetTag("opensqt.symbol", Symbol);
        activity?.SetTag("opensqt.price", tick.Price.ToString(System.Globalization.CultureInfo.InvariantCulture));
        activity?.SetTag("opensqt.actions", _actions.Count);
        var tickTimestamp = Volatile.Read(ref _latestTickTimestamp);
        var decided = _time.GetTimestamp();
        foreach (var action in _actions)
        {
            if (action.Kind == GridActionKind.Cancel)
            {
                RequestCancel(action.ClientOrderId!, action.CancelReason.ToString());
            }
            else if (!storeFailed)
            {
                Place(action, now, tickTimestamp, decisionStarted, decided);
            }
        }

        _dirty = true;
    }

    /// <summary>
    /// A failed write to the state store: nothing may be sent that is not on disk, so the engine goes Halted (every
    /// symbol: they share the file) and says why. It stays Halted until the store works again and an operator resets.
    /// </summary>
    private bool HaltOnStoreFailure(Exception ex)
    {
        if (ex is not SqliteException)
        {
            return false;
        }

        var reason = $"the state store failed on {Symbol} ({ex.Message}); nothing is sent that is not on disk";
        if (_risk.StoreFailure is null)
        {
            Log.Halted(_logger, Symbol, reason);
        }

        _risk.SetStoreFailure(reason);
        return true;
    }

    private TradingGate Gate() =>
        _risk.GateFor(Symbol, _strategy, _ledger.Pnl.Realised, ValuationPrice, Volatile.Read(ref _latestTickTimestamp), _reconciler.Reconciled && !_stopping);

    private void Place(GridAction action, DateTimeOffset now, long tickTimestamp, long decisionStarted, long decided)
    {
        var sequence = ++_sequence;
        var clientOrderId = ClientOrderId.Create(_book, _tag, action.Role, action.Level, sequence);
        var tracked = _tracker.Begin(action, clientOrderId, sequence, now, tickTimestamp);
        tracked.DecisionTimestamp = decisionStarted;
        tracked.DecidedTimestamp = decided;
        tracked.DurableTimestamp = _time.GetTimestamp();
        if (_metrics.PlaceStagesMeasured)
        {
            _metrics.PlaceStageLatency(Symbol, PlaceStage.Inbox, _time.GetElapsedTime(tickTimestamp, decisionStarted));
            _metrics.PlaceStageLatency(Symbol, PlaceStage.Decide, _time.GetElapsedTime(decisionStarted, decided));
            _metrics.PlaceStageLatency(Symbol, PlaceStage.Persist, _time.GetElapsedTime(decided, tracked.DurableTimestamp));
        }

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
        CrashHook.At(_crashAt, CrashPoint.AfterSaveBeforeSend, clientOrderId);
        StartFromLoop(async token =>
        {
            using var activity = EngineTelemetry.Source.StartActivity("order.place", ActivityKind.Internal);
            activity?.SetTag("opensqt.client_order_id", clientOrderId);
            activity?.SetTag("opensqt.side", request.Side.ToString());
            var outcome = await _gateway.PlaceAsync(request, token).ConfigureAwait(false);
            CrashHook.At(_crashAt, CrashPoint.AfterSendBeforeAck, clientOrderId);
            activity?.SetTag("opensqt.outcome", outcome.Result.ToString());
            if (outcome.Result != PlaceResult.Placed)
            {
                activity?.SetStatus(ActivityStatusCode.Error, outcome.Message);
            }

            await SendAsync(new PlaceDone(tracked, outcome, _time.GetTimestamp()), CancellationToken.None).ConfigureAwait(false);
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
            await SendAsync(new CancelDone(tracked, outcome, reason), CancellationToken.None).ConfigureAwait(false);
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
                    await _gateway.DelayAsync(Symbol, left + TimeSpan.FromMilliseconds(1), token).ConfigureAwait(false);
                }

                Send(Redecide.Instance);
            });
        }

        foreach (var tracked in _tracker.TakeLookups())
        {
            RunOffLoop(async token =>
            {
                var lookup = await _gateway.LookupAsync(Symbol, tracked.Order.ClientOrderId, token).ConfigureAwait(false);
                await SendAsync(new LookupDone(tracked, lookup), CancellationToken.None).ConfigureAwait(false);
            });
        }
    }

    /// <summary>
    /// Runs a venue call on the thread pool; the writer goes on at once. With <see cref="MarketMakerOptions.InlineWriter"/>
    /// (the replay) it starts on the writer's thread instead, like a place: against the in-process venue it completes
    /// there, so the replay's order of events never depends on which thread ran first.
    /// </summary>
    private void RunOffLoop(Func<CancellationToken, Task> call)
    {
        Interlocked.Increment(ref _outstanding);
        Keep(_inline ? GuardedAsync(call) : Task.Run(() => GuardedAsync(call)));
    }

    /// <summary>
    /// Starts a place on the writer's thread: it runs until its first wait (the rate limit tokens, then the gRPC request
    /// written) and goes on off the loop from there. A hand-off to the thread pool first would add a thread wake-up to
    /// every order's tick-to-order latency. Cancels, decided before the places, are handed to the pool instead, so they
    /// leave at once without holding up the places behind them.
    /// </summary>
    private void StartFromLoop(Func<CancellationToken, Task> call)
    {
        Interlocked.Increment(ref _outstanding);
        Keep(GuardedAsync(call));
    }

    private async Task GuardedAsync(Func<CancellationToken, Task> call)
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
        finally
        {
            Interlocked.Decrement(ref _outstanding);
        }
    }

    private void Keep(Task task)
    {
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
        if (_inline)
        {
            EndInline();
            _stoppingRegistration.Dispose();
        }

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

        if (_throttleTimer is not null)
        {
            await _throttleTimer.DisposeAsync().ConfigureAwait(false);
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

        [LoggerMessage(122, LogLevel.Warning, "{Symbol}: the state store works again; reloaded {OpenOrders} open order(s) and position {Position} from it, reconciling with the venue")]
        public static partial void Reloaded(ILogger logger, string symbol, int openOrders, decimal position);

        [LoggerMessage(115, LogLevel.Warning, "{Symbol}: {Count} place(s) still unanswered on exit; reconciliation at the next start looks them up")]
        public static partial void PlacesStillOut(ILogger logger, string symbol, int count);
    }
}
