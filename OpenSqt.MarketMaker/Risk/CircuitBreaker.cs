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
}

/// <summary>A breaker's state as reported to operators.</summary>
public sealed record BreakerStatus(string Symbol, bool IsOpen, string Reason, BreakerTrigger Trigger, DateTimeOffset? OpenedAt, DateTimeOffset? ClosesAt, int ConsecutiveLosses, decimal TotalPnl, decimal PeakPnl);

/// <summary>
/// The circuit breaker of one symbol, fed with the realised PnL of every closed round trip and by reconciliation.
/// Losses and drawdown open it for the cooldown period; divergence and operators open it until an operator closes it.
/// Thread-safe: the symbol's writer feeds it, operators and the gate read it.
/// </summary>
public sealed class CircuitBreaker(string symbol, CircuitBreakerOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private bool _open;
    private string _reason = "";
    private BreakerTrigger _trigger;
    private DateTimeOffset? _openedAt;
    private DateTimeOffset? _closesAt;
    private int _consecutiveLosses;
    private decimal _total;
    private decimal _peak;

    public string Symbol { get; } = symbol;

    /// <summary>Raised (outside the lock) when the breaker opens or closes.</summary>
    public event Action<BreakerStatus>? Changed;

    /// <summary>Seeds the PnL totals from saved state (restart).</summary>
    public void Seed(decimal realised)
    {
        lock (_gate)
        {
            _total = realised;
            _peak = Math.Max(0, realised);
        }
    }

    public bool IsOpen
    {
        get
        {
            BreakerStatus? closed = null;
            lock (_gate)
            {
                if (_open && _closesAt is { } at && time.GetUtcNow() >= at)
                {
                    _open = false;
                    _reason = "";
                    _trigger = BreakerTrigger.None;
                    _closesAt = null;
                    _consecutiveLosses = 0;
                    _peak = _total;
                    closed = StatusLocked();
                }

                if (closed is null)
                {
                    return _open;
                }
            }

            Changed?.Invoke(closed);
            return false;
        }
    }

    public BreakerStatus Status
    {
        get
        {
            _ = IsOpen;
            lock (_gate)
            {
                return StatusLocked();
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
            _peak = Math.Max(_peak, _total);
            _consecutiveLosses = pnl < 0 ? _consecutiveLosses + 1 : 0;
            if (!_open)
            {
                if (_consecutiveLosses >= options.MaxConsecutiveLosses)
                {
                    opened = OpenLocked(BreakerTrigger.ConsecutiveLosses, $"{_consecutiveLosses} losing round trips in a row (MarketMaker:CircuitBreaker:MaxConsecutiveLosses={options.MaxConsecutiveLosses})", options.CooldownPeriod);
                }
                else if (_peak - _total >= options.MaxDrawdownAmount)
                {
                    opened = OpenLocked(BreakerTrigger.Drawdown, $"realised PnL fell {_peak - _total} from its peak {_peak} (MarketMaker:CircuitBreaker:MaxDrawdownAmount={options.MaxDrawdownAmount})", options.CooldownPeriod);
                }
            }
        }

        if (opened is not null)
        {
            Changed?.Invoke(opened);
        }
    }

    /// <summary>Opens the breaker until an operator closes it.</summary>
    public void Open(BreakerTrigger trigger, string reason)
    {
        BreakerStatus opened;
        lock (_gate)
        {
            opened = OpenLocked(trigger, reason, null);
        }

        Changed?.Invoke(opened);
    }

    public void Close()
    {
        BreakerStatus closed;
        lock (_gate)
        {
            _open = false;
            _reason = "";
            _trigger = BreakerTrigger.None;
            _closesAt = null;
            _consecutiveLosses = 0;
            _peak = _total;
            closed = StatusLocked();
        }

        Changed?.Invoke(closed);
    }

    private BreakerStatus OpenLocked(BreakerTrigger trigger, string reason, TimeSpan? cooldown)
    {
        var now = time.GetUtcNow();
        _open = true;
        _trigger = trigger;
        _reason = reason;
        _openedAt = now;
        _closesAt = cooldown is { } c ? now + c : null;
        return StatusLocked();
    }

    private BreakerStatus StatusLocked() =>
        new(Symbol, _open, _reason, _trigger, _open ? _openedAt : null, _open ? _closesAt : null, _consecutiveLosses, _total, _peak);
}
