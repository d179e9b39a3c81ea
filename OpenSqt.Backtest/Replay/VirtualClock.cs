namespace OpenSqt.Backtest.Replay;

/// <summary>
/// The replay's clock: time stands still until the driver moves it. Timers (<c>Task.Delay</c>, <c>PeriodicTimer</c>,
/// cancellation after a delay) are kept in due order and fire only from <see cref="FireNext"/>, on the driver's thread,
/// each with the clock set to its own due time, so a timer due before the next market event fires before it.
/// </summary>
public sealed class VirtualClock : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly PriorityQueue<(Timer Timer, long Version), (long Due, long Order)> _queue = new();
    private long _nowTicks;

    // The due time of the queue's first entry (long.MaxValue when empty), kept under the lock as the queue changes: the
    // driver asks for a due timer before every event and nearly always none is, which this answers without the lock. A
    // stale first entry (its timer changed or disposed) only makes it early: FireNext then takes the lock and drops it.
    private long _firstDueTicks = long.MaxValue;
    private long _order;
    private TaskCompletionSource? _scheduled;

    public VirtualClock(DateTimeOffset start)
    {
        _nowTicks = start.UtcTicks;
    }

    public override DateTimeOffset GetUtcNow() => new(NowTicks, TimeSpan.Zero);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => NowTicks;

    // The time as ticks, read on every thread the engine runs on, several times per event (the sim and the engine stamp
    // what they do). In a 64-bit process a 64-bit read is atomic and a volatile read is enough; Interlocked.Read is a
    // locked compare-exchange, needed only where a 64-bit read can tear.
    private long NowTicks => IntPtr.Size == 8 ? Volatile.Read(ref _nowTicks) : Interlocked.Read(ref _nowTicks);

    /// <summary>The due time of the earliest live timer, if any.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_gate)
            {
                while (_queue.TryPeek(out var entry, out var key))
                {
                    if (entry.Timer.Version == entry.Version)
                    {
                        return new DateTimeOffset(key.Due, TimeSpan.Zero);
                    }

                    _queue.Dequeue();
                    Volatile.Write(ref _firstDueTicks, _queue.TryPeek(out _, out var first) ? first.Due : long.MaxValue);
                }

                return null;
            }
        }
    }

    /// <summary>
    /// Completes when a timer is next scheduled: the driver, with nothing due, waits on it rather than polling. Taken before
    /// a <see cref="FireNext"/> that finds nothing, it misses no timer scheduled after.
    /// </summary>
    public Task TimerScheduled
    {
        get
        {
            lock (_gate)
            {
                return (_scheduled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    /// <summary>
    /// Moves the clock forward to <paramref name="time"/> (never back). Timers due by then do not fire here. Only the
    /// replay's driver moves the clock, one thread at a time (its loop, and <see cref="FireNext"/> on the same thread), so
    /// a look and a write keep it from going back, without an atomic compare-and-swap before every event.
    /// </summary>
    public void AdvanceTo(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        if (ticks <= NowTicks)
        {
            return;
        }

        // A 64-bit write is atomic in a 64-bit process; elsewhere it could tear for the threads reading it.
        if (IntPtr.Size == 8)
        {
            Volatile.Write(ref _nowTicks, ticks);
        }
        else
        {
            Interlocked.Exchange(ref _nowTicks, ticks);
        }
    }

    /// <summary>
    /// Fires the earliest timer due at or before <paramref name="limit"/>, with the clock at its due time; false when none
    /// is due by then. The callback runs on the calling thread.
    /// </summary>
    public bool FireNext(DateTimeOffset limit)
    {
        var limitTicks = limit.UtcTicks;
        if (Volatile.Read(ref _firstDueTicks) > limitTicks)
        {
            return false;
        }

        Timer timer;
        lock (_gate)
        {
            while (true)
            {
                if (!_queue.TryPeek(out var entry, out var key) || key.Due > limitTicks)
                {
                    return false;
                }

                _queue.Dequeue();
                Volatile.Write(ref _firstDueTicks, _queue.TryPeek(out _, out var first) ? first.Due : long.MaxValue);
                if (entry.Timer.Version != entry.Version)
                {
                    continue;
                }

                timer = entry.Timer;
                AdvanceTo(new DateTimeOffset(key.Due, TimeSpan.Zero));
                if (timer.Period > TimeSpan.Zero)
                {
                    ScheduleLocked(timer, key.Due + timer.Period.Ticks);
                }
                else
                {
                    timer.Version++;
                }

                break;
            }
        }

        timer.Callback(timer.State);
        return true;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void ScheduleLocked(Timer timer, long due)
    {
        timer.Version++;
        _queue.Enqueue((timer, timer.Version), (due, ++_order));
        Volatile.Write(ref _firstDueTicks, Math.Min(_firstDueTicks, due));
        if (_scheduled is { } scheduled)
        {
            _scheduled = null;
            scheduled.SetResult();
        }
    }

    private sealed class Timer(VirtualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public TimerCallback Callback { get; } = callback;

        public object? State { get; } = state;

        public TimeSpan Period { get; private set; }

        /// <summary>Bumped on every change: queue entries of an older version are stale.</summary>
        public long Version { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
                if (dueTime == Timeout.InfiniteTimeSpan)
                {
                    Version++;
                    return true;
                }

                clock.ScheduleLocked(this, clock.NowTicks + Math.Max(0, dueTime.Ticks));
                return true;
            }
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                Version++;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
