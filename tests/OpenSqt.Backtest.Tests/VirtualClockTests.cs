using OpenSqt.Backtest.Replay;

namespace OpenSqt.Backtest.Tests;

public sealed class VirtualClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Timers fire earliest first, each with the clock at its own due time, and only up to the limit asked for, whatever
    /// order they were set in: the last one set, due after the others, does not hold them back.
    /// </summary>
    [Fact]
    public void TimersFireEarliestFirstAtTheirDueTimeUpToTheLimitWhateverOrderTheyWereSetIn()
    {
        var clock = new VirtualClock(Start);
        var fired = new List<(string Name, DateTimeOffset At)>();
        using var early = clock.CreateTimer(_ => fired.Add(("early", clock.GetUtcNow())), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        using var earliest = clock.CreateTimer(_ => fired.Add(("earliest", clock.GetUtcNow())), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
        using var late = clock.CreateTimer(_ => fired.Add(("late", clock.GetUtcNow())), null, TimeSpan.FromSeconds(20), Timeout.InfiniteTimeSpan);

        Assert.False(clock.FireNext(Start.AddSeconds(4)));
        Assert.True(clock.FireNext(Start.AddSeconds(15)));
        Assert.True(clock.FireNext(Start.AddSeconds(15)));
        Assert.False(clock.FireNext(Start.AddSeconds(15)));
        Assert.True(clock.FireNext(Start.AddSeconds(20)));
        Assert.False(clock.FireNext(DateTimeOffset.MaxValue));

        Assert.Equal([("earliest", Start.AddSeconds(5)), ("early", Start.AddSeconds(10)), ("late", Start.AddSeconds(20))], fired);
    }

    /// <summary>
    /// A timer changed to a later time or disposed before it is due does not fire at its old time, and does not keep a
    /// timer due after it from firing; a periodic timer fires again one period after each due time.
    /// </summary>
    [Fact]
    public void AChangedOrDisposedTimerFiresNotAtItsOldTimeAndHoldsNoOtherBackAndAPeriodicOneRepeats()
    {
        var clock = new VirtualClock(Start);
        var fired = new List<(string Name, DateTimeOffset At)>();
        var disposed = clock.CreateTimer(_ => fired.Add(("disposed", clock.GetUtcNow())), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var moved = clock.CreateTimer(_ => fired.Add(("moved", clock.GetUtcNow())), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        using var periodic = clock.CreateTimer(_ => fired.Add(("periodic", clock.GetUtcNow())), null, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(4));
        disposed.Dispose();
        moved.Change(TimeSpan.FromSeconds(6), Timeout.InfiniteTimeSpan);

        Assert.Equal(Start.AddSeconds(3), clock.NextDue);
        while (clock.FireNext(Start.AddSeconds(11)))
        {
        }

        Assert.Equal([("periodic", Start.AddSeconds(3)), ("moved", Start.AddSeconds(6)), ("periodic", Start.AddSeconds(7)), ("periodic", Start.AddSeconds(11))], fired);
        Assert.Equal(Start.AddSeconds(15), clock.NextDue);
    }
}
