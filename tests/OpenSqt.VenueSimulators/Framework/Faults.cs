namespace OpenSqt.VenueSimulators.Framework;

/// <summary>
/// The nasty side of a simulator, switched on by tests: each knob changes how the venue answers the next calls.
/// Thread-safe; counters say what was injected.
/// </summary>
public sealed class Faults
{
    private int _failAfterAccept;
    private int _rateLimitStorm;
    private long _ackDelayTicks;

    /// <summary>Order acks (REST answers of place) are held back this long; stream events go out at once.</summary>
    public TimeSpan OrderAckDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _ackDelayTicks));
        set => Interlocked.Exchange(ref _ackDelayTicks, value.Ticks);
    }

    /// <summary>Every user-stream event is sent twice.</summary>
    public bool DuplicateStreamEvents { get; set; }

    /// <summary>The next <paramref name="count"/> order placements are executed and then answered with HTTP 503 (unknown outcome).</summary>
    public void FailAfterAccept(int count) => Interlocked.Exchange(ref _failAfterAccept, count);

    /// <summary>The next <paramref name="count"/> requests are refused with 429 and Retry-After.</summary>
    public void RateLimitStorm(int count, TimeSpan retryAfter)
    {
        StormRetryAfter = retryAfter;
        Interlocked.Exchange(ref _rateLimitStorm, count);
    }

    public TimeSpan StormRetryAfter { get; private set; } = TimeSpan.FromSeconds(1);

    /// <summary>Consumes one "fail after accept" if armed.</summary>
    public bool TakeFailAfterAccept() => TakeOne(ref _failAfterAccept);

    /// <summary>Consumes one storm 429 if armed.</summary>
    public bool TakeStorm() => TakeOne(ref _rateLimitStorm);

    private static bool TakeOne(ref int counter)
    {
        while (true)
        {
            var current = Volatile.Read(ref counter);
            if (current <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref counter, current - 1, current) == current)
            {
                return true;
            }
        }
    }
}
