using Microsoft.Extensions.Time.Testing;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.Exchanges.Tests.Common;

/// <summary>The simulators' cancel-all countdown on a fake clock: replace, fire once when current, stop, dispose.</summary>
public sealed class SimulatorCountdownsTests
{
    [Fact]
    public void ASetCountdownFiresOnceWhenItRunsOutAndNotBefore()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));
        using var countdowns = new SimulatorCountdowns(time);
        var fired = 0;
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(5), countdowns.Set("BTCUSDT", TimeSpan.FromSeconds(5), () => fired++));
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(5), countdowns.FiresAt("BTCUSDT"));
        Assert.Null(countdowns.FiresAt());

        time.Advance(TimeSpan.FromSeconds(4.999));
        Assert.Equal(0, fired);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal((1, 1, 1), (fired, countdowns.Firings, countdowns.Sets));
        Assert.Null(countdowns.FiresAt("BTCUSDT"));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void ASetReplacesTheScopesCountdownAndLeavesOtherScopesAlone()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));
        using var countdowns = new SimulatorCountdowns(time);
        var fired = new List<string>();
        countdowns.Set("BTCUSDT", TimeSpan.FromSeconds(5), () => fired.Add("first"));
        countdowns.Set("ETHUSDT", TimeSpan.FromSeconds(5), () => fired.Add("eth"));
        time.Advance(TimeSpan.FromSeconds(4));
        countdowns.Set("BTCUSDT", TimeSpan.FromSeconds(5), () => fired.Add("second"));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["eth"], fired);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(["eth", "second"], fired);
        Assert.Equal((2, 3), (countdowns.Firings, countdowns.Sets));
    }

    [Fact]
    public void ZeroStopAndDisposeEachStopACountdownWithoutFiring()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));
        var countdowns = new SimulatorCountdowns(time);
        var fired = 0;
        countdowns.Set(SimulatorCountdowns.Account, TimeSpan.FromSeconds(5), () => fired++);
        Assert.Null(countdowns.Set(SimulatorCountdowns.Account, TimeSpan.Zero, () => fired++));
        Assert.Null(countdowns.FiresAt());
        countdowns.Set(SimulatorCountdowns.Account, TimeSpan.FromSeconds(5), () => fired++);
        countdowns.Stop();
        countdowns.Set("BTCUSDT", TimeSpan.FromSeconds(5), () => fired++);
        countdowns.Dispose();
        Assert.Null(countdowns.Set("ETHUSDT", TimeSpan.FromSeconds(5), () => fired++));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal((0, 0, 5), (fired, countdowns.Firings, countdowns.Sets));
    }
}
