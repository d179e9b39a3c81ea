using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Risk;

/// <summary>Operator limits of one symbol; zero means no limit.</summary>
public sealed record PositionLimits(decimal MaxPositionSize, decimal MaxNotionalValue, decimal MaxLeverage, decimal MaxOrderSize, int MaxOpenOrders = 0)
{
    public static PositionLimits None { get; } = new(0, 0, 0, 0);
}

/// <summary>What a symbol may do now and why (the strictest trigger).</summary>
public sealed record SymbolTradingState(string Symbol, TradingState State, RiskTrigger Trigger, string? Reason);

/// <summary>What one symbol keeps across a restart.</summary>
public sealed record SavedSymbolRisk(BreakerRecord? Breaker, PositionLimits? Limits);

[JsonSerializable(typeof(SavedSymbolRisk))]
internal sealed partial class RiskJsonContext : JsonSerializerContext;

/// <summary>
/// Everything that may stop the engine from trading, in one place, mapped onto a <see cref="TradingState"/> per symbol:
/// the operator and the loss trips (the symbol's latched <see cref="CircuitBreaker"/>), the market-anomaly halt, the
/// connector's reachability, stale prices, a fatal error, and the position limits (configuration, overridden by
/// operators). Engines ask it for their gate on every decision and are told when it changes. Operator limits and the
/// breakers (trading state, equity peak) are saved in the engine's state file and restored when the engine restarts.
/// </summary>
public sealed class RiskState : IDisposable
{
    private static readonly TimeSpan PeakSaveInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, SymbolRisk> _symbols = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly MarketMakerOptions _options;
    private readonly Lock _storeGate = new();
    private EngineStateStore? _store;
    private volatile string? _anomaly;
    private volatile string? _connectorProblem = "not connected to the ExchangeConnector yet";
    private volatile string? _fatal;
    private volatile string? _storeFailure;
    private long _freshAfter;
    private AccountFigures? _account;

    public RiskState(IOptions<MarketMakerOptions> options, TimeProvider time)
    {
        _time = time;
        _options = options.Value;
        foreach (var grid in _options.Symbols)
        {
            var breaker = new CircuitBreaker(grid.Symbol, _options.CircuitBreaker, time);
            breaker.Changed += OnBreakerChanged;
            _symbols[grid.Symbol] = new SymbolRisk(breaker, new PositionLimits(grid.MaxPositionSize, grid.MaxNotionalValue, grid.MaxLeverageUsed, 0, grid.MaxOpenOrders));
        }
    }

    /// <summary>Raised whenever what is allowed may have changed; engines re-decide at once.</summary>
    public event Action? Changed;

    public Broadcast<RiskAlertEvent> Alerts { get; } = new();

    public IReadOnlyCollection<CircuitBreaker> Breakers => _symbols.Values.Select(s => s.Breaker).ToArray();

    public string? AnomalyReason => _anomaly;

    public string? ConnectorProblem => _connectorProblem;

    public string? FatalError => _fatal;

    /// <summary>Why the state store failed, while the engine is Halted for it; null when it works.</summary>
    public string? StoreFailure => _storeFailure;

    public CircuitBreaker? Breaker(string symbol) => _symbols.TryGetValue(symbol, out var s) ? s.Breaker : null;

    /// <summary>The limits in force: the operator's when set, else the configured ones.</summary>
    public PositionLimits Limits(string symbol) => _symbols.TryGetValue(symbol, out var s) ? s.Operator ?? s.Configured : PositionLimits.None;

    /// <summary>Loads what the symbol had saved (breaker, operator limits) and seeds its realised PnL. Called once per symbol at start.</summary>
    public void Restore(string symbol, decimal realised)
    {
        if (!_symbols.TryGetValue(symbol, out var s))
        {
            return;
        }

        SavedSymbolRisk? saved;
        lock (_storeGate)
        {
            var json = Store().LoadRisk(symbol);
            saved = json is null ? null : JsonSerializer.Deserialize(json, RiskJsonContext.Default.SavedSymbolRisk);
        }

        s.Breaker.Restore(saved?.Breaker, realised);
        s.Operator = saved?.Limits;

        // The risk state is written from a tick (a new equity peak): its serializer's first use builds its metadata and
        // compiles its code, tens of milliseconds measured in the replay's profile, which would otherwise land on the
        // first tick that makes a new peak. Done here, at the start, on the state just restored.
        _ = Serialize(s);
        if (s.Breaker.Status is { IsOpen: true } status)
        {
            Alert(symbol, "trading_state_restored", "critical", $"{symbol} restarts {status.State.ToWire()} as it stopped: {status.Reason}; an operator reset (CloseCircuitBreaker) resumes trading",
                new Dictionary<string, string> { ["trigger"] = status.Trigger.ToString(), ["trading_state"] = status.State.ToWire() });
        }
    }

    public void SetLimits(string symbol, PositionLimits limits)
    {
        if (!_symbols.TryGetValue(symbol, out var s))
        {
            return;
        }

        s.Operator = limits;
        Save(symbol, s);
        Alert(symbol, "position_limits", "info", $"position limits of {symbol} changed to {limits}");
        Changed?.Invoke();
    }

    /// <summary>
    /// The gate of one decision. Feeds the drawdown monitor with the symbol's equity at <paramref name="price"/>, checks the
    /// price is fresh (<paramref name="tickTimestamp"/> from <see cref="TimeProvider.GetTimestamp"/> when it arrived), and
    /// maps every trigger onto the symbol's trading state and per-side limits. Allocation-free unless something changes.
    /// </summary>
    public TradingGate GateFor(string symbol, GridStrategy strategy, decimal realised, decimal price, long tickTimestamp, bool ready)
    {
        if (!_symbols.TryGetValue(symbol, out var s))
        {
            return TradingGate.In(TradingState.Halted, canSend: false);
        }

        var breaker = s.Breaker.Check(price > 0 ? realised + strategy.UnrealisedPnl(price) : null);
        if (breaker.PeakRose && _time.GetElapsedTime(s.PeakSavedAt) >= PeakSaveInterval)
        {
            // A lost peak only makes the stop later; saving every new high on every tick would cost the hot path.
            s.PeakSavedAt = _time.GetTimestamp();
            Save(symbol, s);
        }

        var fresh = IsFresh(tickTimestamp);
        if (s.Stale == fresh)
        {
            s.Stale = !fresh;
            Alert(symbol, fresh ? "price_fresh" : "price_stale", fresh ? "info" : "warning", fresh
                ? $"{symbol} has a fresh price again"
                : $"{symbol}: no price tick since the connector or the price stream came back, or the last one is older than {MarketMakerOptions.SectionName}:Limits:MaxTickAge ({_options.Limits.MaxTickAge}); sending nothing");
        }

        var venueUsable = _fatal is null && _connectorProblem is null && _storeFailure is null;
        var state = breaker.State;
        if (_anomaly is not null)
        {
            state = state.Max(TradingState.Reducing);
        }

        if (_fatal is not null || _storeFailure is not null)
        {
            state = TradingState.Halted;
        }

        // An unreachable connector or a stale price stops everything from being sent (CanSend below) but does not change
        // the trading state: the working orders stay as they are. One place answered "unavailable" must not cancel every
        // opening order of the book, and a cancel sent to a connector that does not answer would not arrive anyway.

        var limits = s.Operator ?? s.Configured;
        var maxQuantity = limits.MaxPositionSize > 0 ? limits.MaxPositionSize : decimal.MaxValue;
        if (limits.MaxNotionalValue > 0 && price > 0)
        {
            maxQuantity = Math.Min(maxQuantity, limits.MaxNotionalValue / price);
        }

        if (limits.MaxLeverage > 0 && price > 0)
        {
            // Until the account has been read the leverage limit allows no opening: it cannot be checked.
            var equity = Volatile.Read(ref _account)?.MarginBalance ?? 0m;
            maxQuantity = Math.Min(maxQuantity, Math.Max(0m, limits.MaxLeverage * equity / price));
        }

        var maxOpen = limits.MaxOpenOrders > 0 ? limits.MaxOpenOrders : int.MaxValue;
        return new TradingGate(state, ready && venueUsable && fresh, maxQuantity, maxQuantity, maxOpen, breaker.Flatten);
    }

    /// <summary>Whether a tick that arrived at <paramref name="tickTimestamp"/> may be traded on now.</summary>
    public bool IsFresh(long tickTimestamp) =>
        tickTimestamp != 0 && tickTimestamp >= Volatile.Read(ref _freshAfter) && _time.GetElapsedTime(tickTimestamp) <= _options.Limits.MaxTickAge;

    /// <summary>
    /// The account as last read: keeps the margin balance for the leverage limit and applies the margin guard. Maintenance
    /// margin at <c>Limits:MaxMarginUsage</c> of the margin balance puts every symbol Reducing; a position whose mark is
    /// within <c>Limits:MinLiquidationDistance</c> of its liquidation price puts its symbol Reducing. Both latch until an
    /// operator resets them.
    /// </summary>
    public void OnAccount(Account account)
    {
        Volatile.Write(ref _account, new AccountFigures(account.MarginBalance, account.MaintenanceMargin));
        var limits = _options.Limits;
        if (limits.MaxMarginUsage > 0 && account.MarginBalance > 0 && account.MaintenanceMargin / account.MarginBalance >= limits.MaxMarginUsage)
        {
            var usage = account.MaintenanceMargin / account.MarginBalance;
            foreach (var (symbol, s) in _symbols)
            {
                if (!s.Breaker.IsOpen)
                {
                    s.Breaker.Open(BreakerTrigger.Margin, string.Create(CultureInfo.InvariantCulture,
                        $"maintenance margin {account.MaintenanceMargin} is {usage:P2} of the margin balance {account.MarginBalance} ({MarketMakerOptions.SectionName}:Limits:MaxMarginUsage={limits.MaxMarginUsage})"), TradingState.Reducing);
                }
            }
        }

        if (limits.MinLiquidationDistance <= 0)
        {
            return;
        }

        foreach (var position in account.Positions)
        {
            if (position.Size == 0 || position.LiquidationPrice <= 0 || position.MarkPrice <= 0 || !_symbols.TryGetValue(position.Symbol, out var s) || s.Breaker.IsOpen)
            {
                continue;
            }

            var distance = Math.Abs(position.MarkPrice - position.LiquidationPrice) / position.MarkPrice;
            if (distance <= limits.MinLiquidationDistance)
            {
                s.Breaker.Open(BreakerTrigger.Margin, string.Create(CultureInfo.InvariantCulture,
                    $"mark {position.MarkPrice} is {distance:P2} from the liquidation price {position.LiquidationPrice} ({MarketMakerOptions.SectionName}:Limits:MinLiquidationDistance={limits.MinLiquidationDistance})"), TradingState.Reducing);
            }
        }
    }

    /// <summary>What the symbol may do and why: the strictest trigger in force.</summary>
    public SymbolTradingState StateOf(string symbol)
    {
        if (_fatal is { } fatal)
        {
            return new(symbol, TradingState.Halted, RiskTrigger.Fatal, fatal);
        }

        if (_storeFailure is { } store)
        {
            return new(symbol, TradingState.Halted, RiskTrigger.StateStore, $"halted: working openings cancelled, nothing new sent until the state store works and an operator resets (CloseCircuitBreaker): {store}");
        }

        if (_connectorProblem is { } problem)
        {
            return new(symbol, TradingState.Halted, RiskTrigger.Connector, $"connector unreachable, placing nothing: {problem}");
        }

        _symbols.TryGetValue(symbol, out var s);
        if (s?.Breaker.Status is { IsOpen: true } breaker && breaker.State == TradingState.Halted)
        {
            return new(symbol, breaker.State, Map(breaker.Trigger), $"circuit breaker open on {symbol} ({breaker.State.ToWire()}{(breaker.Flatten ? ", flattening" : "")}): {breaker.Reason}");
        }

        if (s is { Stale: true })
        {
            return new(symbol, TradingState.Halted, RiskTrigger.StaleData, $"no fresh price for {symbol} (MarketMaker:Limits:MaxTickAge {_options.Limits.MaxTickAge}); sending nothing");
        }

        if (s?.Breaker.Status is { IsOpen: true } reducing)
        {
            return new(symbol, reducing.State, Map(reducing.Trigger), $"circuit breaker open on {symbol} ({reducing.State.ToWire()}): {reducing.Reason}");
        }

        return _anomaly is { } anomaly
            ? new(symbol, TradingState.Reducing, RiskTrigger.Anomaly, $"reducing, no opening orders: {anomaly}")
            : new(symbol, TradingState.Active, RiskTrigger.None, null);
    }

    /// <summary>The engine as a whole: the strictest state of its symbols, every trigger included.</summary>
    public TradingState EngineState =>
        _symbols.Keys.Select(s => StateOf(s).State).DefaultIfEmpty(TradingState.Halted).Max();

    /// <summary>Why the symbol does not trade normally, or null.</summary>
    public string? HaltReason(string symbol) => StateOf(symbol).Reason;

    public void SetAnomaly(string? reason)
    {
        if (_anomaly == reason)
        {
            return;
        }

        _anomaly = reason;
        Alert("", reason is null ? "anomaly_recovered" : "market_anomaly", reason is null ? "info" : "critical",
            reason ?? "market recovered; opening orders resume");
        Changed?.Invoke();
    }

    public void SetConnectorProblem(string? problem)
    {
        if (_connectorProblem == problem)
        {
            return;
        }

        var was = _connectorProblem;
        _connectorProblem = problem;
        if ((was is null) != (problem is null))
        {
            Alert("", problem is null ? "connector_restored" : "connector_unreachable", problem is null ? "info" : "critical",
                problem ?? "connector reachable again");
        }

        Changed?.Invoke();
    }

    /// <summary>A stream came back by itself: after the price stream's gap only a tick that arrives from now on counts.</summary>
    public void OnStreamReconnected(string stream)
    {
        if (stream == "price")
        {
            OnPriceGap();
        }
    }

    /// <summary>
    /// The price stream has (or may have) a gap: the connector does not answer, or the stream broke or came back. Prices
    /// from before are not traded on; only a tick that arrives from now on counts.
    /// </summary>
    public void OnPriceGap()
    {
        Volatile.Write(ref _freshAfter, _time.GetTimestamp());
        Changed?.Invoke();
    }

    /// <summary>
    /// A write to the state store failed: the engine is Halted and sends nothing until <see cref="TryClearStoreFailure"/>
    /// finds the store working again on an operator's reset. The first failure is kept as the reason.
    /// </summary>
    public void SetStoreFailure(string reason)
    {
        lock (_storeGate)
        {
            if (_storeFailure is not null)
            {
                return;
            }

            _storeFailure = reason;
        }

        Alert("", "state_store_failed", "critical", $"trading halted: {reason}; an operator reset (CloseCircuitBreaker) resumes once the store works again");
        Changed?.Invoke();
    }

    /// <summary>
    /// The operator's reset of a store failure: writes to the store and, if that works, lets the engine trade again
    /// (after a reconciliation). Returns false with the reason while the store still fails.
    /// </summary>
    public bool TryClearStoreFailure(out string? reason)
    {
        lock (_storeGate)
        {
            if (_storeFailure is null)
            {
                reason = null;
                return true;
            }

            try
            {
                Store().InTransaction(() => Store().SaveRisk("store-check", "{}", _time.GetUtcNow()));
            }
            catch (SqliteException ex)
            {
                reason = $"the state store still fails ({ex.Message}); trading stays halted";
                return false;
            }

            _storeFailure = null;
        }

        reason = null;
        Alert("", "state_store_restored", "info", "the state store works again; trading resumes after a reconciliation");
        Changed?.Invoke();
        return true;
    }

    public void SetFatal(string reason)
    {
        _fatal = reason;
        Alert("", "fatal", "critical", reason);
        Changed?.Invoke();
    }

    public void Alert(string symbol, string type, string severity, string message, IReadOnlyDictionary<string, string>? metadata = null) =>
        Alerts.Publish(new RiskAlertEvent(symbol, type, severity, message, _time.GetUtcNow(), metadata ?? new Dictionary<string, string>()));

    public void Dispose()
    {
        lock (_storeGate)
        {
            _store?.Dispose();
            _store = null;
        }
    }

    private static RiskTrigger Map(BreakerTrigger trigger) => trigger switch
    {
        BreakerTrigger.ConsecutiveLosses => RiskTrigger.ConsecutiveLosses,
        BreakerTrigger.Drawdown => RiskTrigger.Drawdown,
        BreakerTrigger.Divergence => RiskTrigger.Divergence,
        BreakerTrigger.Margin => RiskTrigger.Margin,
        BreakerTrigger.Operator => RiskTrigger.Operator,
        _ => RiskTrigger.None,
    };

    // The risk state has its own connection to the state file: it is written from the gRPC threads and every writer.
    private EngineStateStore Store() => _store ??= EngineStateStore.Open(_options);

    private void Save(string symbol, SymbolRisk s)
    {
        var json = Serialize(s);
        try
        {
            lock (_storeGate)
            {
                Store().SaveRisk(symbol, json, _time.GetUtcNow());
            }
        }
        catch (SqliteException ex)
        {
            // The change holds in memory; the engine stops sending until the store works again.
            SetStoreFailure($"saving the risk state of {symbol} failed ({ex.Message})");
        }
    }

    private static string Serialize(SymbolRisk s) =>
        JsonSerializer.Serialize(new SavedSymbolRisk(s.Breaker.Record, s.Operator), RiskJsonContext.Default.SavedSymbolRisk);

    private void OnBreakerChanged(BreakerStatus status)
    {
        if (_symbols.TryGetValue(status.Symbol, out var s))
        {
            // Saved before anyone is told: a restart from here comes back in this state.
            Save(status.Symbol, s);
        }

        Alert(status.Symbol, status.IsOpen ? "circuit_breaker_open" : "circuit_breaker_closed", status.IsOpen ? "critical" : "info",
            status.IsOpen ? $"{status.Symbol} {status.State.ToWire()}{(status.Flatten ? " and flattening" : "")}: {status.Reason}" : $"circuit breaker of {status.Symbol} closed by an operator; trading resumes",
            new Dictionary<string, string>
            {
                ["trigger"] = status.Trigger.ToString(),
                ["trading_state"] = status.State.ToWire(),
                ["consecutive_losses"] = status.ConsecutiveLosses.ToString(CultureInfo.InvariantCulture),
                ["equity"] = status.Equity.ToString(CultureInfo.InvariantCulture),
                ["equity_peak"] = status.EquityPeak.ToString(CultureInfo.InvariantCulture),
            });
        Changed?.Invoke();
    }

    private sealed record AccountFigures(decimal MarginBalance, decimal MaintenanceMargin);

    private sealed class SymbolRisk(CircuitBreaker breaker, PositionLimits configured)
    {
        private PositionLimits? _operator;

        public CircuitBreaker Breaker { get; } = breaker;

        public PositionLimits Configured { get; } = configured;

        public PositionLimits? Operator
        {
            get => Volatile.Read(ref _operator);
            set => Volatile.Write(ref _operator, value);
        }

        /// <summary>Whether the last decision found no fresh price (for operators; written by the symbol's writer).</summary>
        public bool Stale { get; set; }

        public long PeakSavedAt { get; set; }
    }
}
