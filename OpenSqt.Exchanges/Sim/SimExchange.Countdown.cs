using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Sim;

/// <summary>
/// The sim's dead-man's switch, modelled on Binance USDT-M's per-symbol countdown: arming a symbol starts (or restarts)
/// its countdown; when it runs out the venue cancels every working order of the symbol and the countdown is spent.
/// Arming with a zero timeout, or disarming, stops it. The countdown runs on the venue's <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class SimExchange : IVenueDeadMansSwitch
{
    private readonly Dictionary<string, SimCountdown> _countdowns = new(StringComparer.Ordinal);
    private long _countdownCancellations;
    private int _countdownFirings;

    public DeadMansSwitchScope Scope => DeadMansSwitchScope.Symbol;

    public TimeSpan MinimumTimeout => TimeSpan.FromSeconds(5);

    public TimeSpan MaximumTimeout => TimeSpan.FromHours(1);

    /// <summary>Orders the countdown has cancelled since start.</summary>
    public long CountdownCancellations => Interlocked.Read(ref _countdownCancellations);

    /// <summary>Countdowns that ran out since start.</summary>
    public int CountdownFirings => Volatile.Read(ref _countdownFirings);

    /// <summary>When the countdown of <paramref name="symbol"/> runs out, or null when it is not armed.</summary>
    public DateTimeOffset? CountdownFiresAt(string symbol)
    {
        lock (_gate)
        {
            return _countdowns.TryGetValue(symbol, out var countdown) ? countdown.FiresAt : null;
        }
    }

    public Task ArmAsync(string? symbol, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (symbol is null)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, "sim countdowns are per symbol; a symbol is required");
        }

        if (timeout == TimeSpan.Zero)
        {
            return DisarmAsync(symbol, cancellationToken);
        }

        if (!_options.AllowCountdown)
        {
            throw new ExchangeException(ExchangeErrorKind.PermissionDenied, "this account may not use the cancel-all countdown (Exchanges:Sim:AllowCountdown is false)");
        }

        if (timeout < MinimumTimeout || timeout > MaximumTimeout)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument,
                $"countdown {timeout.TotalSeconds:0.###} s is outside {MinimumTimeout.TotalSeconds:0} to {MaximumTimeout.TotalSeconds:0} s");
        }

        lock (_gate)
        {
            GetSymbolLocked(symbol);
            if (_countdowns.Remove(symbol, out var previous))
            {
                previous.Timer.Dispose();
            }

            var countdown = new SimCountdown(_time.GetUtcNow() + timeout);
            countdown.Timer = _time.CreateTimer(state => Fire(symbol, (SimCountdown)state!), countdown, timeout, Timeout.InfiniteTimeSpan);
            _countdowns[symbol] = countdown;
        }

        return Task.CompletedTask;
    }

    public Task DisarmAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            foreach (var key in symbol is null ? _countdowns.Keys.ToList() : [symbol])
            {
                if (_countdowns.Remove(key, out var countdown))
                {
                    countdown.Timer.Dispose();
                }
            }
        }

        return Task.CompletedTask;
    }

    private void Fire(string symbol, SimCountdown countdown)
    {
        int cancelled;
        lock (_gate)
        {
            // A refresh replaced this countdown after the timer had already fired: the new one counts.
            if (!_countdowns.TryGetValue(symbol, out var current) || !ReferenceEquals(current, countdown))
            {
                return;
            }

            _countdowns.Remove(symbol);
            countdown.Timer.Dispose();
            var s = GetSymbolLocked(symbol);
            var now = _time.GetUtcNow();
            var resting = s.Resting.OrderBy(o => o.Sequence).ToList();
            foreach (var order in resting)
            {
                FinishLocked(s, order, OrderStatus.Canceled, "countdown cancel-all", now);
            }

            cancelled = resting.Count;
        }

        Interlocked.Add(ref _countdownCancellations, cancelled);
        Interlocked.Increment(ref _countdownFirings);
        Log.CountdownFired(_logger, symbol, cancelled);
    }

    private sealed class SimCountdown(DateTimeOffset firesAt)
    {
        public DateTimeOffset FiresAt { get; } = firesAt;

        public ITimer Timer { get; set; } = null!;
    }
}
