using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Gate;

namespace OpenSqt.Exchanges.Tests.Gate;

public sealed class GateRateLimitTests
{
    [Fact]
    public void RemainingCountIsAppliedOnlyToTheBudgetTheRequestWasChargedAgainst()
    {
        var tracker = new RateLimitTracker(GateRateLimits.Rules, () => DateTimeOffset.UtcNow, TimeProvider.System);
        using var answer = new HttpResponseMessage();
        answer.Headers.TryAddWithoutValidation(GateRateLimits.RemainHeader, "40");
        tracker.Observe(answer.Headers, GateRateLimits.OrderCall);
        Assert.Equal(60, tracker.Used(GateRateLimits.Orders));
        Assert.Equal(0, tracker.Used(GateRateLimits.Public));
        Assert.Equal(0, tracker.Used(GateRateLimits.Private));
        tracker.Observe(answer.Headers, GateRateLimits.PublicCall);
        Assert.Equal(160, tracker.Used(GateRateLimits.Public));
    }
}
