using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate APIv4 REST: parameters in the query string in the order given, JSON bodies for order entry, and for signed
/// calls the <c>KEY</c>, <c>Timestamp</c> (seconds) and <c>SIGN</c> headers over the exact path, query and body sent.
/// Errors are <c>{"label","message"}</c>.
/// </summary>
public sealed class GateRestClient : VenueRestClient
{
    private readonly VenueCredentials _credentials;
    private readonly string _basePath;

    public GateRestClient(HttpClient http, GateOptions options, VenueCredentials credentials, ServerClock clock, TimeProvider time, ILogger logger, VenueMetrics metrics)
        : base(GateParsers.Venue, http, options.RestUri, clock,
            new RateLimitTracker(GateRateLimits.Rules, () => clock.Now, time, options.RateLimitSafetyFraction, options.RateLimitMaxWait),
            time, logger, metrics, options.RequestTimeout)
    {
        _credentials = credentials;
        _basePath = options.RestUri.AbsolutePath.TrimEnd('/');
    }

    /// <summary>
    /// A 429 is paused until its reset timestamp (<see cref="GateRateLimitHandler"/> turns it into a Retry-After): its
    /// "0 remaining" must not also hold the budget spent until the end of our own, longer window.
    /// </summary>
    protected override void OnAnswered(VenueRequest request, VenueResponse response)
    {
        if (response.Status != System.Net.HttpStatusCode.TooManyRequests)
        {
            ApplyLimitHeader(request.Costs, response.Headers);
        }
    }

    /// <summary>
    /// Takes the budget's size from <c>X-Gate-RateLimit-Limit</c> ("your current limit for current endpoint": Gate
    /// lowers it for a low fill ratio and raises it for VIP accounts) and what is left of it from
    /// <c>X-Gate-RateLimit-Requests-Remain</c>, for the one budget the request was charged against.
    /// </summary>
    private void ApplyLimitHeader(IReadOnlyList<RateLimitCost> costs, HttpResponseHeaders headers)
    {
        if (GateRateLimits.BudgetOf(costs) is not { } budget
            || !headers.TryGetValues(GateRateLimits.LimitHeader, out var limits)
            || !int.TryParse(limits.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var limit)
            || limit <= 0)
        {
            return;
        }

        RateLimits.SetLimit(budget, limit);
        if (headers.TryGetValues(GateRateLimits.RemainHeader, out var remains)
            && int.TryParse(remains.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var remain))
        {
            RateLimits.ObserveUsed(budget, Math.Max(0, limit - remain));
        }
    }

    protected override HttpRequestMessage BuildRequest(VenueRequest request, long timestampMs)
    {
        var query = BuildQuery(request.Parameters);
        var path = _basePath + "/" + request.Path.TrimStart('/');
        var uri = new Uri(BaseUrl, query.Length == 0 ? path : path + "?" + query);
        var message = new HttpRequestMessage(request.Method, uri);
        if (GateRateLimits.BudgetOf(request.Costs) is { } budget)
        {
            message.Options.Set(GateRateLimitHandler.BudgetKey, budget);
        }

        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (request.JsonBody is { } body)
        {
            message.Content = new StringContent(body, Encoding.UTF8);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (request.Signed)
        {
            var key = _credentials.ApiKey ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "gate needs API_KEY for signed calls");
            var secret = _credentials.ApiSecret ?? throw new ExchangeException(ExchangeErrorKind.Unauthenticated, "gate needs API_SECRET for signed calls");
            var seconds = timestampMs / 1000;
            var payload = GateSigner.RestPayload(request.Method.Method, path, query, request.JsonBody, seconds);
            message.Headers.TryAddWithoutValidation(GateSigner.KeyHeader, key);
            message.Headers.TryAddWithoutValidation(GateSigner.TimestampHeader, seconds.ToString(CultureInfo.InvariantCulture));
            message.Headers.TryAddWithoutValidation(GateSigner.SignHeader, GateSigner.Sign(secret, payload));
        }

        return message;
    }

    protected override VenueFailure? ParseFailure(VenueResponse response)
    {
        var status = (int)response.Status;
        if (status is >= 200 and < 300)
        {
            return null;
        }

        var label = "HTTP" + status.ToString(CultureInfo.InvariantCulture);
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(response.Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("label", out _))
            {
                label = doc.RootElement.GetRequiredString("label");
                message = doc.RootElement.GetStringOrNull("message") ?? doc.RootElement.GetStringOrNull("detail");
            }
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(response.Body.AsSpan(0, Math.Min(response.Body.Length, 200)));
        }

        if (status >= 500 && GateErrors.Table.Find(label) is null)
        {
            // A 5xx without a known label: the request may have been executed.
            return new VenueFailure(new ExchangeException(ExchangeErrorKind.UnknownOutcome, $"gate HTTP {status}: {message}", venueCode: label), false);
        }

        return GateErrors.Table.ToFailure(label, message ?? $"HTTP {status}", status, response.RetryAfter);
    }

    protected override async Task<long> FetchServerTimeAsync(CancellationToken cancellationToken)
    {
        var response = await SendAsync(new VenueRequest(HttpMethod.Get, "/spot/time") { Costs = GateRateLimits.Call(GateRateLimits.Time), Operation = "time" }, cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(response.Body);
        return GateParsers.ParseServerTime(doc.RootElement);
    }
}
