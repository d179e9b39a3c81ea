using System.Net;
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
        tracker.Observe(answer.Headers, GateRateLimits.Call(GateRateLimits.Orders));
        Assert.Equal(60, tracker.Used(GateRateLimits.Orders));
        Assert.Equal(0, tracker.Used(GateRateLimits.Cancels));
        Assert.Equal(0, tracker.Used(GateRateLimits.Tickers));
        tracker.Observe(answer.Headers, GateRateLimits.Call(GateRateLimits.Tickers));
        Assert.Equal(160, tracker.Used(GateRateLimits.Tickers));
        Assert.Equal(0, tracker.Used(GateRateLimits.Contracts));
    }

    [Fact]
    public void OrderEntryAndCancelsHaveTheirOwnPerSecondBudgetsAndEveryOtherEndpointItsOwn()
    {
        var rules = GateRateLimits.Rules.ToDictionary(r => r.Name);
        Assert.Equal((100, TimeSpan.FromSeconds(1)), (rules[GateRateLimits.Orders].Limit, rules[GateRateLimits.Orders].Window));
        Assert.Equal((200, TimeSpan.FromSeconds(1)), (rules[GateRateLimits.Cancels].Limit, rules[GateRateLimits.Cancels].Window));
        Assert.All(rules.Values.Where(r => r.Name.Contains(':', StringComparison.Ordinal)), r => Assert.Equal((200, TimeSpan.FromSeconds(10)), (r.Limit, r.Window)));
        Assert.Equal(rules.Count, GateRateLimits.Rules.Select(r => r.Name).Distinct().Count());
    }

    [Fact]
    public void ResetTimestampIsReadInSecondsOrMilliseconds()
    {
        using var seconds = new HttpResponseMessage();
        seconds.Headers.TryAddWithoutValidation(GateRateLimits.ResetHeader, "1700000001");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000001), GateRateLimitHandler.ResetAt(seconds.Headers));
        using var millis = new HttpResponseMessage();
        millis.Headers.TryAddWithoutValidation(GateRateLimits.ResetHeader, "1700000001250");
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700000001250), GateRateLimitHandler.ResetAt(millis.Headers));
        using var none = new HttpResponseMessage();
        Assert.Null(GateRateLimitHandler.ResetAt(none.Headers));
    }

    [Fact]
    public async Task A429IsGivenTheResetTimestampAsItsPauseOrABriefDoublingBackoffWhenItHasNone()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var answers = new Queue<Func<HttpResponseMessage>>();
        using var handler = new GateRateLimitHandler(() => now, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2)) { InnerHandler = new Answering(answers) };
        using var client = new HttpClient(handler);

        answers.Enqueue(() => TooMany(reset: "1700000003"));
        Assert.Equal(TimeSpan.FromSeconds(3), (await SendAsync(client, GateRateLimits.Orders)).Headers.RetryAfter!.Delta);

        // "Otherwise, this is just the current timestamp": no information, so a short pause that doubles.
        answers.Enqueue(() => TooMany(reset: "1700000000"));
        answers.Enqueue(() => TooMany(reset: null));
        answers.Enqueue(() => TooMany(reset: null));
        answers.Enqueue(() => TooMany(reset: null));
        Assert.Equal(TimeSpan.FromMilliseconds(500), (await SendAsync(client, GateRateLimits.Orders)).Headers.RetryAfter!.Delta);
        Assert.Equal(TimeSpan.FromSeconds(1), (await SendAsync(client, GateRateLimits.Orders)).Headers.RetryAfter!.Delta);
        Assert.Equal(TimeSpan.FromSeconds(2), (await SendAsync(client, GateRateLimits.Orders)).Headers.RetryAfter!.Delta);
        Assert.Equal(TimeSpan.FromSeconds(2), (await SendAsync(client, GateRateLimits.Orders)).Headers.RetryAfter!.Delta);

        // Another budget starts from the beginning; an answer that is not a 429 resets the count.
        answers.Enqueue(() => TooMany(reset: null));
        Assert.Equal(TimeSpan.FromMilliseconds(250), (await SendAsync(client, GateRateLimits.Cancels)).Headers.RetryAfter!.Delta);
        answers.Enqueue(() => new HttpResponseMessage(HttpStatusCode.OK));
        answers.Enqueue(() => TooMany(reset: null));
        Assert.Null((await SendAsync(client, GateRateLimits.Orders)).Headers.RetryAfter);
        Assert.Equal(TimeSpan.FromMilliseconds(250), (await SendAsync(client, GateRateLimits.Orders)).Headers.RetryAfter!.Delta);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string budget)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1/");
        request.Options.Set(GateRateLimitHandler.BudgetKey, budget);
        return await client.SendAsync(request);
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
