using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Tests.Common;

/// <summary>
/// The shared rate-limit tracker after a 429: only the budgets the refused call was charged against pause, briefly and
/// exponentially without Retry-After, for Retry-After with it; only a ban (418) pauses everything.
/// </summary>
public sealed class RateLimitTrackerTests
{
    private static readonly RateLimitCost[] Orders = [new("ORDERS", 1)];
    private static readonly RateLimitCost[] Weight = [new("WEIGHT", 1)];

    private static (FakeTimeProvider Time, RateLimitTracker Tracker) Create(TimeSpan? maxWait = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 10, TimeSpan.Zero));
        var tracker = new RateLimitTracker(
            [new RateLimitRule("WEIGHT", 1000, TimeSpan.FromMinutes(1)), new RateLimitRule("ORDERS", 1000, TimeSpan.FromMinutes(1))],
            time.GetUtcNow, time, maxWait: maxWait ?? TimeSpan.FromSeconds(1), backoffInitial: TimeSpan.FromSeconds(1), backoffMax: TimeSpan.FromSeconds(8));
        return (time, tracker);
    }

    [Fact]
    public async Task A429WithoutRetryAfterPausesOnlyTheChargedBudgetAndDoublesUntilASuccess()
    {
        var (time, tracker) = Create(maxWait: TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(1), tracker.Block(Orders, null));
        await tracker.AcquireAsync(Weight, CancellationToken.None);
        var refused = await Assert.ThrowsAsync<ExchangeException>(() => tracker.AcquireAsync(Orders, CancellationToken.None).AsTask());
        Assert.Equal((ExchangeErrorKind.RateLimited, TimeSpan.FromSeconds(1)), (refused.Kind, refused.RetryAfter));
        Assert.Null(tracker.BlockedUntil);

        time.Advance(TimeSpan.FromSeconds(1));
        await tracker.AcquireAsync(Orders, CancellationToken.None);
        Assert.Equal(TimeSpan.FromSeconds(2), tracker.Block(Orders, null));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(4), tracker.Block(Orders, null));
        Assert.Equal(TimeSpan.FromSeconds(8), tracker.Block(Orders, null));
        Assert.Equal(TimeSpan.FromSeconds(8), tracker.Block(Orders, null));

        tracker.Succeeded(Orders);
        time.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(TimeSpan.FromSeconds(1), tracker.Block(Orders, null));
    }

    [Fact]
    public async Task A429WithRetryAfterIsHonouredForThatBudgetAndTheWaitEndsWithIt()
    {
        var (time, tracker) = Create(maxWait: TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(3), tracker.Block(Orders, TimeSpan.FromSeconds(3)));
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(3), tracker.RuleBlockedUntil("ORDERS"));
        await tracker.AcquireAsync(Weight, CancellationToken.None);
        var waiting = tracker.AcquireAsync(Orders, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(3) + TimeSpan.FromMilliseconds(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, tracker.Waits);
    }

    [Fact]
    public async Task ABanPausesEveryBudget()
    {
        var (time, tracker) = Create();
        Assert.Equal(TimeSpan.FromSeconds(120), tracker.Block(TimeSpan.FromSeconds(120)));
        Assert.NotNull(tracker.BlockedUntil);
        foreach (var costs in new[] { Orders, Weight, [] })
        {
            var ex = await Assert.ThrowsAsync<ExchangeException>(() => tracker.AcquireAsync(costs, CancellationToken.None).AsTask());
            Assert.Equal(TimeSpan.FromSeconds(120), ex.RetryAfter);
        }

        time.Advance(TimeSpan.FromSeconds(120));
        await tracker.AcquireAsync(Orders, CancellationToken.None);
    }

    [Fact]
    public async Task CallsWithoutDeclaredCostsShareOnePauseApartFromTheBudgets()
    {
        var (_, tracker) = Create(maxWait: TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(1), tracker.Block([], null));
        var refused = await Assert.ThrowsAsync<ExchangeException>(() => tracker.AcquireAsync([], CancellationToken.None).AsTask());
        Assert.Equal(ExchangeErrorKind.RateLimited, refused.Kind);
        await tracker.AcquireAsync(Orders, CancellationToken.None);
        await tracker.AcquireAsync(Weight, CancellationToken.None);
    }

    [Fact]
    public async Task A429PausesNeitherABudgetDeclaredNotPausedByRefusalNorTheCallsSharingIt()
    {
        // Bitget/Bybit: every call is charged to the IP budget and to its endpoint's; a 429 on one endpoint is that endpoint's.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 10, TimeSpan.Zero));
        var tracker = new RateLimitTracker(
            [new RateLimitRule("IP", 1000, TimeSpan.FromMinutes(1)) { PausedByRefusal = false }, new RateLimitRule("PLACE", 10, TimeSpan.FromSeconds(1)), new RateLimitRule("CANCEL", 10, TimeSpan.FromSeconds(1))],
            time.GetUtcNow, time, maxWait: TimeSpan.Zero, backoffInitial: TimeSpan.FromSeconds(1), backoffMax: TimeSpan.FromSeconds(8));
        RateLimitCost[] place = [new("IP", 1), new("PLACE", 1)];
        RateLimitCost[] cancel = [new("IP", 1), new("CANCEL", 1)];
        RateLimitCost[] ipOnly = [new("IP", 1)];

        Assert.Equal(TimeSpan.FromSeconds(1), tracker.Block(place, null));
        Assert.NotNull(tracker.RuleBlockedUntil("PLACE"));
        Assert.Null(tracker.RuleBlockedUntil("IP"));
        await tracker.AcquireAsync(cancel, CancellationToken.None);
        await tracker.AcquireAsync(ipOnly, CancellationToken.None);
        await Assert.ThrowsAsync<ExchangeException>(() => tracker.AcquireAsync(place, CancellationToken.None).AsTask());

        // A call charged only to such budgets pauses the calls like it, not the endpoints.
        Assert.Equal(TimeSpan.FromSeconds(1), tracker.Block(ipOnly, null));
        await Assert.ThrowsAsync<ExchangeException>(() => tracker.AcquireAsync(ipOnly, CancellationToken.None).AsTask());
        await tracker.AcquireAsync(cancel, CancellationToken.None);
        Assert.Equal(0, tracker.Waits);
    }

    [Theory]
    [InlineData("used")]
    [InlineData("remaining")]
    [InlineData("bybit")]
    public async Task AUsageFigureAnsweredInTheWindowItDescribesHoldsTheNextCallBack(string form)
    {
        var (time, tracker) = CreateWithHeaders();
        time.Advance(TimeSpan.FromSeconds(20));
        await tracker.AcquireAsync(Reported, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Report(tracker, form, used: 950);

        Assert.Equal(950, tracker.Used("REPORTED"));
        var held = await Assert.ThrowsAsync<ExchangeException>(() => tracker.AcquireAsync(Reported, CancellationToken.None).AsTask());
        Assert.Equal(ExchangeErrorKind.RateLimited, held.Kind);
        Assert.Equal(TimeSpan.FromSeconds(29.9), held.RetryAfter);
    }

    [Theory]
    [InlineData("used")]
    [InlineData("remaining")]
    [InlineData("bybit")]
    public async Task AUsageFigureAnsweredAfterItsWindowEndedIsNotCarriedIntoTheNextWindow(string form)
    {
        // The call was charged in the minute that ended while it was out: the venue has reset the 950 units since.
        var (time, tracker) = CreateWithHeaders();
        time.Advance(TimeSpan.FromSeconds(49.95));
        await tracker.AcquireAsync(Reported, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Report(tracker, form, used: 950);

        Assert.Equal(0, tracker.Used("REPORTED"));
        await tracker.AcquireAsync(Reported, CancellationToken.None);
        Assert.Equal(0, tracker.Waits);

        // A budget the answered call was not charged against takes the figure as the venue's word on the window of now.
        using var response = new HttpResponseMessage();
        response.Headers.Add("X-OTHER-USED", "950");
        tracker.Observe(response.Headers, Reported);
        Assert.Equal(950, tracker.Used("OTHER"));
    }

    private static readonly RateLimitCost[] Reported = [new("REPORTED", 1)];

    /// <summary>A minute budget of 1000 units whose usage the venue reports, and one the calls here are not charged against; the clock stands at 00:00:10.</summary>
    private static (FakeTimeProvider Time, RateLimitTracker Tracker) CreateWithHeaders()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 10, TimeSpan.Zero));
        var tracker = new RateLimitTracker(
            [
                new RateLimitRule("REPORTED", 1000, TimeSpan.FromMinutes(1), "X-USED") { RemainingHeader = "X-REMAIN" },
                new RateLimitRule("OTHER", 1000, TimeSpan.FromMinutes(1), "X-OTHER-USED"),
            ],
            time.GetUtcNow, time, maxWait: TimeSpan.FromSeconds(1));
        return (time, tracker);
    }

    /// <summary>The venue's answer to a call charged <see cref="Reported"/>, in one of the forms venues report usage in.</summary>
    private static void Report(RateLimitTracker tracker, string form, int used)
    {
        using var response = new HttpResponseMessage();
        switch (form)
        {
            case "used":
                response.Headers.Add("X-USED", used.ToString(System.Globalization.CultureInfo.InvariantCulture));
                tracker.Observe(response.Headers, Reported);
                break;
            case "remaining":
                response.Headers.Add("X-REMAIN", (1000 - used).ToString(System.Globalization.CultureInfo.InvariantCulture));
                tracker.Observe(response.Headers, Reported);
                break;
            default:
                tracker.ObserveUsed("REPORTED", used);
                break;
        }
    }
}
