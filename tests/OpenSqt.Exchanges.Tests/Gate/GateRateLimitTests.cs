using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Gate;

namespace OpenSqt.Exchanges.Tests.Gate;

/// <summary>Gate's budgets as Gate counts them: one per endpoint, order entry and cancels apart, headers per budget.</summary>
public sealed class GateRateLimitTests
{
    [Fact]
    public void RemainingCountIsAppliedOnlyToTheBudgetTheRequestWasChargedAgainst()
    {
        var tracker = new RateLimitTracker(GateRateLimits.Rules, () => DateTimeOffset.UtcNow, TimeProvider.System);
        using var answer = new HttpResponseMessage();
        answer.Headers.TryAddWithoutValidation(GateRateLimits.RemainHeader, "40");
        tracker.Observe(answer.Headers, GateRateLimits.Call(GateEndpoint.Orders));
        Assert.Equal(60, tracker.Used(GateRateLimits.Rule(GateEndpoint.Orders)));
        Assert.Equal(0, tracker.Used(GateRateLimits.Rule(GateEndpoint.Cancels)));
        Assert.Equal(0, tracker.Used(GateRateLimits.Rule(GateEndpoint.Tickers)));
        tracker.Observe(answer.Headers, GateRateLimits.Call(GateEndpoint.Tickers));
        Assert.Equal(160, tracker.Used(GateRateLimits.Rule(GateEndpoint.Tickers)));
        Assert.Equal(0, tracker.Used(GateRateLimits.Rule(GateEndpoint.FuturesContracts)));
    }

    [Fact]
    public void OrderEntryAndCancelsHaveTheirOwnPerSecondBudgetsAndEveryOtherEndpointItsOwn()
    {
        var rules = GateRateLimits.Rules.ToDictionary(r => r.Name);
        var (orders, cancels) = (GateRateLimits.Rule(GateEndpoint.Orders), GateRateLimits.Rule(GateEndpoint.Cancels));
        Assert.Equal((100, TimeSpan.FromSeconds(1)), (rules[orders].Limit, rules[orders].Window));
        Assert.Equal((200, TimeSpan.FromSeconds(1)), (rules[cancels].Limit, rules[cancels].Window));
        Assert.All(rules.Values.Where(r => r.Name != orders && r.Name != cancels), r => Assert.Equal((200, TimeSpan.FromSeconds(10)), (r.Limit, r.Window)));
        Assert.Equal(Enum.GetValues<GateEndpoint>().Length, rules.Count);
        Assert.Equal(rules.Count, GateRateLimits.Rules.Select(r => r.Name).Distinct().Count());
    }

    [Fact]
    public void ResetTimestampIsReadInSecondsOrMilliseconds()
    {
        using var seconds = new HttpResponseMessage();
        seconds.Headers.TryAddWithoutValidation(GateRateLimits.ResetHeader, "1700000001");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000001), GateRateLimits.ResetAt(seconds.Headers));
        using var millis = new HttpResponseMessage();
        millis.Headers.TryAddWithoutValidation(GateRateLimits.ResetHeader, "1700000001250");
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000001250), GateRateLimits.ResetAt(millis.Headers));
        using var none = new HttpResponseMessage();
        Assert.Null(GateRateLimits.ResetAt(none.Headers));
    }

    [Fact]
    public async Task A429IsPausedUntilTheResetTimestampOrForABriefDoublingBackoffWhenItHasNone()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var answers = new Queue<Func<HttpResponseMessage>>();
        using var http = new HttpClient(new Answering(answers));
        var options = new GateOptions { RestBaseUrl = "http://127.0.0.1:1/api/v4", RateLimitBackoffInitial = TimeSpan.FromMilliseconds(250), RateLimitBackoffMax = TimeSpan.FromSeconds(2) };
        var rest = new GateRestClient(http, options, new VenueCredentials(null, null, null), new ServerClock(time), time, NullLogger.Instance, new VenueMetrics());

        answers.Enqueue(() => TooMany(reset: "1700000003"));
        Assert.Equal(TimeSpan.FromSeconds(3), await PauseAsync(rest, time, GateEndpoint.Orders));

        // "Otherwise, this is just the current timestamp": no information, so a short pause that doubles.
        answers.Enqueue(() => TooMany(reset: "1700000003"));
        answers.Enqueue(() => TooMany(reset: null));
        answers.Enqueue(() => TooMany(reset: null));
        Assert.Equal(TimeSpan.FromMilliseconds(500), await PauseAsync(rest, time, GateEndpoint.Orders));
        Assert.Equal(TimeSpan.FromSeconds(1), await PauseAsync(rest, time, GateEndpoint.Orders));
        Assert.Equal(TimeSpan.FromSeconds(2), await PauseAsync(rest, time, GateEndpoint.Orders));

        // Another budget starts from the beginning; an answer that is not a 429 resets the count.
        answers.Enqueue(() => TooMany(reset: null));
        Assert.Equal(TimeSpan.FromMilliseconds(250), await PauseAsync(rest, time, GateEndpoint.Cancels));
        answers.Enqueue(() => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("[]") });
        answers.Enqueue(() => TooMany(reset: null));
        using (await rest.GetJsonAsync(VenueRequest.Get("/futures/usdt/orders", "list", GateRateLimits.Call(GateEndpoint.Orders)), CancellationToken.None))
        {
        }

        Assert.Equal(TimeSpan.FromMilliseconds(250), await PauseAsync(rest, time, GateEndpoint.Orders));
    }

    /// <summary>Sends one call charged to <paramref name="budget"/> that Gate refuses; answers the pause it set, once that has passed.</summary>
    private static async Task<TimeSpan> PauseAsync(GateRestClient rest, FakeTimeProvider time, GateEndpoint budget)
    {
        var refused = await Assert.ThrowsAsync<ExchangeException>(() => rest.GetJsonAsync(VenueRequest.Get("/futures/usdt/orders", "list", GateRateLimits.Call(budget)), CancellationToken.None));
        Assert.Equal(ExchangeErrorKind.RateLimited, refused.Kind);
        var pause = refused.RetryAfter!.Value;
        time.Advance(pause);
        return pause;
    }

    private static HttpResponseMessage TooMany(string? reset)
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        if (reset is not null)
        {
            response.Headers.TryAddWithoutValidation(GateRateLimits.ResetHeader, reset);
        }

        return response;
    }

    private sealed class Answering(Queue<Func<HttpResponseMessage>> answers) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answers.Dequeue()());
    }
}
