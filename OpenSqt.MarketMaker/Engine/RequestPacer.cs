namespace OpenSqt.MarketMaker.Engine;

/// <summary>
/// A token bucket on the engine's <see cref="TimeProvider"/>: <c>perSecond</c> requests a second on average, up to
/// <c>burst</c> at once, callers served in the order they asked. It keeps no timer and no queue: each request books
/// the next slot of the generic cell rate algorithm (a "theoretical arrival time" that moves on by one interval per
/// request; a request may go <c>burst - 1</c> intervals ahead of it) and waits, on the TimeProvider, until its slot.
/// Time is the engine's own, so the replay's virtual clock paces requests as the live clock does; the framework's
/// <c>TokenBucketRateLimiter</c> replenishes on the machine's clock only.
/// </summary>
public sealed class RequestPacer
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _interval;
    private readonly long _tolerance;
    private readonly long _maxAhead;
    private long _theoretical;

    /// <param name="perSecond">Average requests per second; at least 1.</param>
    /// <param name="burst">Requests that may go at once from rest; at least 1.</param>
    /// <param name="queueLimit">Requests that may wait for a slot at once; one more is refused.</param>
    /// <param name="time">The clock the rate is measured on.</param>
    public RequestPacer(int perSecond, int burst, int queueLimit, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perSecond, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueLimit, 0);
        _time = time;
        _interval = Math.Max(1, time.TimestampFrequency / perSecond);
        _tolerance = (burst - 1) * _interval;
        _maxAhead = _tolerance + ((long)queueLimit * _interval);
        _theoretical = time.GetTimestamp();
    }

    /// <summary>
    /// Waits for this request's slot; false (at once) when <c>queueLimit</c> requests already wait. A request cancelled
    /// while it waits gives its slot up to nobody: the rate stays below the limit, never above it.
    /// </summary>
    public ValueTask<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        long wait;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var theoretical = Math.Max(_theoretical, now);
            var allowedAt = theoretical - _tolerance;
            if (theoretical - now > _maxAhead)
            {
                return ValueTask.FromResult(false);
            }

            _theoretical = theoretical + _interval;
            wait = allowedAt - now;
        }

        return wait <= 0 ? ValueTask.FromResult(true) : WaitAsync(wait, cancellationToken);
    }

    private async ValueTask<bool> WaitAsync(long ticks, CancellationToken cancellationToken)
    {
        await Task.Delay(_time.GetElapsedTime(0, ticks), _time, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
