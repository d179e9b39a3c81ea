namespace OpenSqt.VenueSimulators.Framework;

/// <summary>The simulator's clock: the system clock plus an adjustable skew, to exercise a client's time sync.</summary>
public sealed class SimulatorClock(TimeProvider? inner = null) : TimeProvider
{
    private readonly TimeProvider _inner = inner ?? System;
    private long _skewTicks;

    /// <summary>How far the venue's clock is ahead of the client's (negative: behind).</summary>
    public TimeSpan Skew
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _skewTicks));
        set => Interlocked.Exchange(ref _skewTicks, value.Ticks);
    }

    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow() + Skew;

    public override long GetTimestamp() => _inner.GetTimestamp();

    public override long TimestampFrequency => _inner.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _inner.CreateTimer(callback, state, dueTime, period);

    public long NowMilliseconds => GetUtcNow().ToUnixTimeMilliseconds();
}
