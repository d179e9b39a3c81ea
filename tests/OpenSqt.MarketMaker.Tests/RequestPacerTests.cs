using Microsoft.Extensions.Time.Testing;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>The engine's order rate limit, on the engine's clock (a fake one here, the replay's virtual one there).</summary>
public sealed class RequestPacerTests
{
    [Fact]
    public async Task ABurstGoesAtOnceThenOneRequestPerIntervalInTheOrderAsked()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var pacer = new RequestPacer(perSecond: 10, burst: 3, queueLimit: 100, time);
        var first = Enumerable.Range(0, 3).Select(_ => pacer.AcquireAsync(CancellationToken.None)).ToList();
        Assert.All(first, t => Assert.True(t.IsCompletedSuccessfully && t.Result));

        var order = new List<int>();
        var waiting = Enumerable.Range(0, 3).Select(async i =>
        {
            Assert.True(await pacer.AcquireAsync(CancellationToken.None));
            lock (order)
            {
                order.Add(i);
            }
        }).ToList();

        // Nothing more before the first interval of the machine-independent clock has passed, then one per 100 ms.
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Empty(order);
        for (var i = 1; i <= 3; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(i == 1 ? 1 : 100));
            await Eventually.TrueAsync(() => order.Count == i, TimeSpan.FromSeconds(5), $"request {i} of the queue went");
            Assert.Equal(i, order.Count);
        }

        await Task.WhenAll(waiting);
        Assert.Equal([0, 1, 2], order);
    }

    [Fact]
    public async Task BeyondTheQueueLimitARequestIsRefusedAtOnce()
    {
        var time = new FakeTimeProvider();
        var pacer = new RequestPacer(perSecond: 1, burst: 1, queueLimit: 2, time);
        Assert.True(await pacer.AcquireAsync(CancellationToken.None));
        var queued = new[] { pacer.AcquireAsync(CancellationToken.None), pacer.AcquireAsync(CancellationToken.None) };
        Assert.All(queued, t => Assert.False(t.IsCompleted));
        var refused = pacer.AcquireAsync(CancellationToken.None);
        Assert.True(refused.IsCompletedSuccessfully);
        Assert.False(await refused);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await queued[0]);
        Assert.True(await queued[1]);
    }

    [Fact]
    public async Task AfterAQuietSpellTheFullBurstIsAvailableAgainButNeverMore()
    {
        var time = new FakeTimeProvider();
        var pacer = new RequestPacer(perSecond: 5, burst: 4, queueLimit: 10, time);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(await pacer.AcquireAsync(CancellationToken.None));
        }

        time.Advance(TimeSpan.FromMinutes(1));
        var next = Enumerable.Range(0, 5).Select(_ => pacer.AcquireAsync(CancellationToken.None)).ToList();
        Assert.Equal(4, next.Count(t => t.IsCompleted));
        Assert.False(next[4].IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True(await next[4]);
    }

    [Fact]
    public async Task ACallWaitingForItsTokenCountsAsWaitingOnTimeForItsSymbolUntilTheClockGivesIt()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var sim = new OpenSqt.Exchanges.Sim.SimExchange(Microsoft.Extensions.Options.Options.Create(new OpenSqt.Exchanges.Sim.SimVenueOptions { AutoAdvance = false }), time);
        var options = new OpenSqt.MarketMaker.Options.MarketMakerOptions
        {
            RateLimit = new OpenSqt.MarketMaker.Options.RateLimitOptions { OrdersPerSecond = 1, Burst = 1, PerSymbolOrdersPerSecond = 1, PerSymbolBurst = 1 },
        };
        var gateway = new OrderGateway(sim, Microsoft.Extensions.Options.Options.Create(options), time, Microsoft.Extensions.Logging.Abstractions.NullLogger<OrderGateway>.Instance);

        // An order the venue does not know is a cancel done: the first takes the only token, the second waits for one.
        Assert.Equal(CancelResult.Done, (await gateway.CancelAsync("BTCUSDT", null, "a", CancellationToken.None)).Result);
        var second = gateway.CancelAsync("BTCUSDT", null, "b", CancellationToken.None);
        Assert.False(second.IsCompleted);
        Assert.Equal(1, gateway.WaitingOnTime("BTCUSDT"));
        Assert.Equal(0, gateway.WaitingOnTime("ETHUSDT"));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CancelResult.Done, (await second.WaitAsync(TimeSpan.FromSeconds(10))).Result);
        Assert.Equal(0, gateway.WaitingOnTime("BTCUSDT"));
    }
}
