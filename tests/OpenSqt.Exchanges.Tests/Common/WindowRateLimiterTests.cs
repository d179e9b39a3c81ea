using Microsoft.Extensions.Time.Testing;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.Exchanges.Tests.Common;

/// <summary>The simulators' venue-side rate limiter on a fake clock.</summary>
public sealed class WindowRateLimiterTests
{
    private static readonly Dictionary<string, int> One = new(StringComparer.Ordinal) { ["W"] = 1 };

    [Fact]
    public void UnitsSpentElsewhereCountInTheWindowOfNowEvenWhenTheLastRequestWasInAnEarlierOne()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 10, TimeSpan.Zero));
        var limiter = new WindowRateLimiter([new SimRateLimit("W", 100, TimeSpan.FromMinutes(1), "X-USED")], time);
        Assert.Equal(1, limiter.Charge(One).Usage["W"]);

        // The next minute: others spend 95 before this client's next request, which the venue reports and then refuses.
        time.Advance(TimeSpan.FromMinutes(1));
        limiter.SpendElsewhere(95);
        var next = limiter.Charge(One);
        Assert.Equal((0, 96), (next.Status, next.Usage["W"]));
        Assert.Equal(429, limiter.Charge(new Dictionary<string, int>(StringComparer.Ordinal) { ["W"] = 5 }).Status);

        // They count until that window ends.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, limiter.Charge(One).Usage["W"]);
    }
}
