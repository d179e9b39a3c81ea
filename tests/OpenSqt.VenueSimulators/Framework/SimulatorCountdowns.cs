namespace OpenSqt.VenueSimulators.Framework;

/// <summary>
/// A venue's cancel-all countdowns (its dead-man's switch) on the simulator's clock, one per scope (a symbol, or
/// <see cref="Account"/>): setting a scope's countdown replaces the one running, a countdown fires only while it is
/// still its scope's current one (a replacement that raced its timer wins), and disposing stops them all. The venue
/// keeps its wire handling and says what firing does. Thread-safe.
/// </summary>
public sealed class SimulatorCountdowns(TimeProvider clock) : IDisposable
{
    /// <summary>The scope of a venue whose countdown covers the whole account.</summary>
    public const string Account = "";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Countdown> _running = new(StringComparer.Ordinal);
    private bool _disposed;
    private int _sets;
    private int _firings;

    /// <summary>Countdowns set or cleared since start.</summary>
    public int Sets => Volatile.Read(ref _sets);

    /// <summary>Countdowns that ran out since start.</summary>
    public int Firings => Volatile.Read(ref _firings);

    /// <summary>When the countdown of <paramref name="scope"/> runs out, or null when none is running.</summary>
    public DateTimeOffset? FiresAt(string scope = Account)
    {
        lock (_gate)
        {
            return _running.TryGetValue(scope, out var countdown) ? countdown.FiresAt : null;
        }
    }

    /// <summary>
    /// Replaces the countdown of <paramref name="scope"/>: <paramref name="fire"/> runs once <paramref name="due"/> has
    /// passed, unless the scope is set again or stopped first. A due of zero or less only stops the running one.
    /// Returns when the new countdown runs out, or null when none runs.
    /// </summary>
    public DateTimeOffset? Set(string scope, TimeSpan due, Action fire)
    {
        ArgumentNullException.ThrowIfNull(fire);
        lock (_gate)
        {
            Interlocked.Increment(ref _sets);
            StopLocked(scope);
            if (due <= TimeSpan.Zero || _disposed)
            {
                return null;
            }

            var countdown = new Countdown(clock.GetUtcNow() + due);
            _running[scope] = countdown;
            countdown.Timer = clock.CreateTimer(_ => Fire(scope, countdown, fire), null, due, Timeout.InfiniteTimeSpan);
            return countdown.FiresAt;
        }
    }

    /// <summary>Stops the countdown of <paramref name="scope"/>, if one runs; it does not count as set.</summary>
    public void Stop(string scope = Account)
    {
        lock (_gate)
        {
            StopLocked(scope);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var countdown in _running.Values)
            {
                countdown.Timer?.Dispose();
            }

            _running.Clear();
        }
    }

    private void StopLocked(string scope)
    {
        if (_running.Remove(scope, out var previous))
        {
            previous.Timer?.Dispose();
        }
    }

    private void Fire(string scope, Countdown countdown, Action fire)
    {
        lock (_gate)
        {
            if (!_running.TryGetValue(scope, out var current) || !ReferenceEquals(current, countdown))
            {
                return;
            }

            // A machine timer may fire a little before the clock reads its due time (timer granularity, or a clock the
            // tests moved): a venue never cancels before the countdown ran out, so wait for the rest.
            var left = countdown.FiresAt - clock.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                countdown.Timer?.Change(left, Timeout.InfiniteTimeSpan);
                return;
            }

            _running.Remove(scope);
            countdown.Timer?.Dispose();
        }

        fire();
        Interlocked.Increment(ref _firings);
    }

    private sealed class Countdown(DateTimeOffset firesAt)
    {
        public DateTimeOffset FiresAt { get; } = firesAt;

        public ITimer? Timer { get; set; }
    }
}
