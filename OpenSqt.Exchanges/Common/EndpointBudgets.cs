namespace OpenSqt.Exchanges.Common;

/// <summary>
/// A venue's rate limits as data, in the form every venue documents them: one budget per endpoint (or per group of
/// endpoints the venue counts together), grouped by their limit and window, and optionally one budget every call also
/// draws on (an IP budget). A call of an endpoint costs one unit of the shared budget and its units of the endpoint's
/// own. Each venue fills one with its documented figures and quotes its sources next to them.
/// </summary>
internal sealed class EndpointBudgets
{
    private readonly RateLimitRule? _shared;
    private readonly Dictionary<string, IReadOnlyList<RateLimitCost>> _calls = new(StringComparer.Ordinal);

    /// <param name="shared">The budget every call also draws on, or null.</param>
    /// <param name="remainingHeader">The answer header in which the venue reports what is left of the budget of the endpoint called, or null.</param>
    /// <param name="groups">Endpoint budgets of one limit per window each.</param>
    public EndpointBudgets(RateLimitRule? shared, string? remainingHeader, params (int Limit, TimeSpan Window, string[] Endpoints)[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _shared = shared;
        var rules = new List<RateLimitRule>();
        if (shared is not null)
        {
            rules.Add(shared);
        }

        foreach (var (limit, window, endpoints) in groups)
        {
            foreach (var endpoint in endpoints)
            {
                rules.Add(new RateLimitRule(endpoint, limit, window) { RemainingHeader = remainingHeader });
                _calls.Add(endpoint, Cost(endpoint, 1));
            }
        }

        Rules = rules;
    }

    /// <summary>Every budget, the shared one first.</summary>
    public IReadOnlyList<RateLimitRule> Rules { get; }

    /// <summary>One call of <paramref name="endpoint"/> (one unit of its budget and of the shared one); an endpoint not declared is a bug.</summary>
    public IReadOnlyList<RateLimitCost> Call(string endpoint) =>
        _calls.TryGetValue(endpoint, out var cost) ? cost : throw new ArgumentException($"no rate-limit budget named '{endpoint}'", nameof(endpoint));

    /// <summary>One call charged <paramref name="units"/> against the endpoint's budget (a batch the venue counts per order); the endpoint's own cost is the last.</summary>
    public IReadOnlyList<RateLimitCost> Call(string endpoint, int units) => units == 1 ? Call(endpoint) : Cost(endpoint, units);

    private IReadOnlyList<RateLimitCost> Cost(string endpoint, int units) =>
        _shared is null ? [new RateLimitCost(endpoint, units)] : [new RateLimitCost(_shared.Name, 1), new RateLimitCost(endpoint, units)];
}
