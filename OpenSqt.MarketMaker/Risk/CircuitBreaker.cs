using System.Globalization;
using OpenSqt.MarketMaker.Options;

namespace OpenSqt.MarketMaker.Risk;

/// <summary>Why a breaker is open.</summary>
public enum BreakerTrigger
{
    None = 0,
    ConsecutiveLosses,
    Drawdown,
    Divergence,
    Operator,
    Margin,
}

/// <summary>A breaker's state as reported to operators.</summary>
public sealed record BreakerStatus(
    string Symbol,
    bool IsOpen,
    string Reason,
    BreakerTrigger Trigger,
    TradingState State,
    bool Flatten,
    DateTimeOffset? OpenedAt,
    int ConsecutiveLosses,
    decimal TotalPnl,
    decimal Equity,
    decimal EquityPeak);

/// <summary>What a breaker keeps across a restart.</summary>
public sealed record BreakerRecord(
    bool IsOpen,
    string Reason,
    BreakerTrigger Trigger,
    TradingState State,
    bool Flatten,
    DateTimeOffset? OpenedAt,
    int ConsecutiveLosses,
    decimal? EquityPeak);

/// <summary>
/// The circuit breaker of one symbol: the latch of every loss trip. Fed with the realised PnL of each closed round trip
/// and, on every decision, with the symbol's equity (realised + unrealised at the mark, fees included). Consecutive
/// losses and the drawdown from the equity peak open it Halted; divergence and margin open it, and operators open it
/// Reducing or Halted. Nothing closes it but an operator (<see cref="Close"/>): no loss trip re-opens trading by itself.
/// Thread-safe: the symbol's writer feeds it, operators and the gate read it.
/// </summary>
public sealed class CircuitBreaker(string symbol, CircuitBreakerOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private bool _open;
    private string _reason = "";
    private BreakerTrigger _trigger;
    private TradingState _state;
    private bool _flatten;
    private DateTimeOffset? _openedAt;
    private int _consecutiveLosses;
    private decimal _total;
    private decimal _equity;
    private decimal? _peak;

    public string Symbol { get; } = symbol;

    /// <summary>Raised (outside the lock) when the breaker opens, changes state or closes.</summary>
    public event Action<BreakerStatus>? Changed;

    /// <summary>Seeds the realised PnL and what was saved (restart).</summary>
    public void Restore(BreakerRecord? saved, decimal realised)
    {
        lock (_gate)
        {
            _total = realised;
            _equity = realised;
            if (saved is null)
            {
                return;
            }

            _open = saved.IsOpen;
            _reason = saved.Reason;
            _trigger = saved.Trigger;
            _state = saved.IsOpen ? saved.State : TradingState.Active;
            _flatten = saved.IsOpen && saved.Flatten;
            _openedAt = saved.OpenedAt;
            _consecutiveLosses = saved.ConsecutiveLosses;
            _peak = saved.EquityPeak;
        }
    }

    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return _open;
            }
        }
    }

    /// <summary>The state this breaker imposes: Active while closed.</summary>
    public TradingState State
    {
        get
        {
            lock (_gate)
            {
                return StateLocked();
            }
        }
    }

    /// <summary>Whether an operator asked to close every position (only while Halted).</summary>
    public bool Flatten
    {
        get
        {
            lock (_gate)
            {
                return FlattenLocked();
            }
        }
    }

    public BreakerStatus Status
    {
        get
        {
            lock (_gate)
            {
                return StatusLocked();
            }
        }
    }

    /// <summary>What to save.</summary>
    public BreakerRecord Record
    {
        get
        {
            lock (_gate)
            {
                return new BreakerRecord(_open, _reason, _trigger, _state, _flatten, _openedAt, _consecutiveLosses, _peak);
            }
        }
    }

    /// <summary>Feeds the realised PnL of one closed round trip.</summary>
    public void OnRoundTrip(decimal pnl)
    {
        BreakerStatus? opened = null;
        lock (_gate)
        {
            _total += pnl;
            _consecutiveLosses = pnl < 0 ? _consecutiveLosses + 1 : 0;
            if (!_open && _consecutiveLosses >= options.MaxConsecutiveLosses)
            {
                opened = OpenLocked(BreakerTrigger.ConsecutiveLosses, TradingState.Halted, false,
                    $"{_consecutiveLosses} losing round trips in a row (MarketMaker:CircuitBreaker:MaxConsecutiveLosses={options.MaxConsecutiveLosses})");
            }
        }

        if (opened is not null)
        {
            Changed?.Invoke(opened);
        }
    }

    /// <summary>
    /// Feeds the symbol's equity: realised PnL plus the unrealised PnL of the open position at the mark, fees included.
    /// Opens the breaker Halted when it falls <c>MaxDrawdownAmount</c> below its peak. Returns whether the peak rose.
    /// </summary>
    public bool OnEquity(decimal equity) => Check(equity).PeakRose;

    /// <summary>
    /// What a tick's gate needs, under one lock: feeds <paramref name="equity"/> as <see cref="OnEquity"/> does when there
    /// is one, then reads <see cref="State"/> and <see cref="Flatten"/> as they are after it (a tick took the lock three
    /// times for these).
    /// </summary>
    public BreakerGate Check(decimal? equity)
    {
        BreakerStatus? opened = null;
        var rose = false;
        BreakerGate gate;
        lock (_gate)
        {
            if (equity is { } value)
            {
                _equity = value;
                if (_peak is not { } peak || value > peak)
                {
                    _peak = value;
                    rose = true;
                }
                else if (!_open && peak - value >= options.MaxDrawdownAmount)
                {
                    opened = OpenLocked(BreakerTrigger.Drawdown, TradingState.Halted, false, string.Create(CultureInfo.InvariantCulture,
                        $"equity (realised + unrealised at mark, fees included) fell {peak - value} from its peak {peak} to {value} (MarketMaker:CircuitBreaker:MaxDrawdownAmount={options.MaxDrawdownAmount})"));
                }
            }

            gate = new BreakerGate(rose, StateLocked(), FlattenLocked());
        }

        if (opened is not null)
        {
            Changed?.Invoke(opened);
        }

        return gate;
    }

    /// <summary>Opens the breaker (or makes an open one stricter) until an operator closes it.</summary>
    public void Open(BreakerTrigger trigger, string reason, TradingState state = TradingState.Halted, bool flatten = false)
    {
        BreakerStatus opened;
        lock (_gate)
        {
            if (_open && _state > state)
            {
                // An operator may add a flatten request to a stricter state, never loosen it.
                state = _state;
            }

            opened = OpenLocked(trigger, state, flatten, reason);
        }

        Changed?.Invoke(opened);
    }

    /// <summary>The operator reset: trading resumes and the equity peak starts again from the current equity.</summary>
    public void Close()
    {
        BreakerStatus closed;
        lock (_gate)
        {
            _open = false;
            _reason = "";
            _trigger = BreakerTrigger.None;
            _state = TradingState.Active;
            _flatten = false;
            _openedAt = null;
            _consecutiveLosses = 0;
            _peak = _equity;
            closed = StatusLocked();
        }

        Changed?.Invoke(closed);
    }

    private BreakerStatus OpenLocked(BreakerTrigger trigger, TradingState state, bool flatten, string reason)
    {
        _openedAt = _open ? _openedAt : time.GetUtcNow();
        _open = true;
        _trigger = trigger;
        _state = state;
        _flatten = flatten;
        _reason = reason;
        return StatusLocked();
    }

    private BreakerStatus StatusLocked() =>
        new(Symbol, _open, _reason, _trigger, StateLocked(), _open && _flatten, _open ? _openedAt : null, _consecutiveLosses, _total, _equity, _peak ?? _equity);

    private TradingState StateLocked() => _open ? _state : TradingState.Active;

    private bool FlattenLocked() => _open && _flatten && _state == TradingState.Halted;
}

/// <summary>A breaker's answer to a tick (see <see cref="CircuitBreaker.Check"/>).</summary>
/// <param name="PeakRose">Whether the equity fed made a new peak.</param>
/// <param name="State">The state the breaker imposes (Active while closed).</param>
/// <param name="Flatten">Whether an operator asked to close every position (only while Halted).</param>
public readonly record struct BreakerGate(bool PeakRose, TradingState State, bool Flatten);
