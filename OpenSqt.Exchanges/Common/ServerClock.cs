namespace OpenSqt.Exchanges.Common;

/// <summary>
/// The venue's clock as seen from here: the local <see cref="TimeProvider"/> plus an offset learned from the venue's
/// server-time endpoint. Signed requests carry <see cref="NowMilliseconds"/>, so a local clock that drifts does not
/// turn every order into a clock error. Thread-safe.
/// </summary>
internal sealed class ServerClock(TimeProvider time)
{
    private long _offsetMs;
    private long _syncedAtTicks = -1;

    /// <summary>Server time minus local time, as last measured.</summary>
    public TimeSpan Offset => TimeSpan.FromMilliseconds(Interlocked.Read(ref _offsetMs));

    /// <summary>Whether the offset was measured at least once.</summary>
    public bool IsSynced => Interlocked.Read(ref _syncedAtTicks) >= 0;

    /// <summary>When the offset was last measured (local time), or null.</summary>
    public DateTimeOffset? SyncedAt
    {
        get
        {
            var ticks = Interlocked.Read(ref _syncedAtTicks);
            return ticks < 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>The venue's time now, as far as we know it.</summary>
    public DateTimeOffset Now => time.GetUtcNow() + Offset;

    /// <summary>The venue's time now in Unix milliseconds.</summary>
    public long NowMilliseconds => time.GetUtcNow().ToUnixTimeMilliseconds() + Interlocked.Read(ref _offsetMs);

    /// <summary>
    /// Records one server-time answer. The server read its clock somewhere between <paramref name="sentAt"/> and
    /// <paramref name="receivedAt"/> (local times); the midpoint is the best estimate.
    /// </summary>
    public void Update(long serverTimeMs, DateTimeOffset sentAt, DateTimeOffset receivedAt)
    {
        var midpoint = sentAt.ToUnixTimeMilliseconds() + ((receivedAt - sentAt).Ticks / TimeSpan.TicksPerMillisecond / 2);
        Interlocked.Exchange(ref _offsetMs, serverTimeMs - midpoint);
        Interlocked.Exchange(ref _syncedAtTicks, receivedAt.UtcTicks);
    }
}
