using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Turns Gate's 429 into a pause of the length Gate means. Gate sends no <c>Retry-After</c>; it says when the refused
/// endpoint's budget resets in <c>X-Gate-RateLimit-Reset-Timestamp</c>
/// (https://www.gate.com/docs/developers/apiv4/en/#frequency-limit-rule). This handler writes that wait as the
/// answer's <c>Retry-After</c>, which the shared REST client honours, so a 429 pauses for the budget's reset (a
/// second for order entry) instead of the shared client's 60 s default. When the reset is absent or not in the future
/// (Gate: "otherwise, this is just the current timestamp"), the pause is short and doubles with each further 429 on the
/// same budget, until an answer on that budget is not a 429.
/// </summary>
public sealed class GateRateLimitHandler(Func<DateTimeOffset> venueNow, TimeSpan initialBackoff, TimeSpan maxBackoff) : DelegatingHandler
{
    /// <summary>The budget a request is charged against, set by <see cref="GateRestClient"/>.</summary>
    public static readonly HttpRequestOptionsKey<string> BudgetKey = new("gate.budget");

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _consecutive = new(StringComparer.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var budget = request.Options.TryGetValue(BudgetKey, out var b) ? b : "";
        if (response.StatusCode != HttpStatusCode.TooManyRequests)
        {
            lock (_gate)
            {
                _consecutive.Remove(budget);
            }

            return response;
        }

        int attempt;
        lock (_gate)
        {
            attempt = _consecutive.GetValueOrDefault(budget) + 1;
            _consecutive[budget] = attempt;
        }

        if (response.Headers.RetryAfter is null)
        {
            var untilReset = ResetAt(response.Headers) is { } reset ? reset - venueNow() : TimeSpan.Zero;
            var pause = untilReset > TimeSpan.Zero ? untilReset : Backoff(attempt, initialBackoff, maxBackoff);
            response.Headers.RetryAfter = new RetryConditionHeaderValue(pause);
        }

        return response;
    }

    /// <summary>The pause after the <paramref name="attempt"/>-th 429 in a row: doubling from the initial value, capped.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan initial, TimeSpan max)
    {
        var ticks = initial.Ticks * Math.Pow(2, Math.Min(attempt - 1, 30));
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>
    /// The reset time of <c>X-Gate-RateLimit-Reset-Timestamp</c>. Gate does not document its unit: a value above
    /// 10^11 is read as milliseconds, a smaller one as seconds (fractions allowed).
    /// </summary>
    public static DateTimeOffset? ResetAt(HttpResponseHeaders headers)
    {
        if (!headers.TryGetValues(GateRateLimits.ResetHeader, out var values)
            || !decimal.TryParse(values.FirstOrDefault(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || value <= 0)
        {
            return null;
        }

        var ms = value > 100_000_000_000m ? value : value * 1000m;
        return ms > 253_402_300_799_000m ? null : DateTimeOffset.FromUnixTimeMilliseconds(decimal.ToInt64(decimal.Ceiling(ms)));
    }
}
