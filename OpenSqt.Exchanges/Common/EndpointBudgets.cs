namespace OpenSqt.Exchanges.Common;

/// <summary>
/// A venue's rate limits as data, in the form every venue documents them: one budget per endpoint (or per group of
/// endpoints the venue counts together), named by a member of the venue's endpoint enum, grouped in tiers of one limit
/// and window, and optionally one budget every call also draws on (an IP budget). A call of an endpoint costs one unit
/// of the shared budget and its units of the endpoint's own. Each venue fills one with its documented figures and
/// quotes its sources next to them. Every member of <typeparamref name="TEndpoint"/> stands in exactly one tier, or
/// the constructor throws naming it (so a venue's static table fails its type initialisation, in any test that
/// touches it, rather than a call failing later).
/// </summary>
/// <typeparam name="TEndpoint">The venue's endpoint budgets; a budget's rule is named after its member.</typeparam>
internal sealed class EndpointBudgets<TEndpoint>
    where TEndpoint : struct, Enum
{
    private readonly RateLimitRule? _shared;
    private readonly Dictionary<TEndpoint, (RateLimitRule Rule, IReadOnlyList<RateLimitCost> One)> _endpoints = [];

    /// <param name="shared">The budget every call also draws on, or null.</param>
    /// <param name="remainingHeader">The answer header in which the venue reports what is left of the budget of the endpoint called, or null.</param>
    /// <param name="tiers">The endpoint budgets of one limit per window each; together they name every member of <typeparamref name="TEndpoint"/> once.</param>
    public EndpointBudgets(RateLimitRule? shared, string? remainingHeader, params (int Limit, TimeSpan Window, TEndpoint[] Endpoints)[] tiers)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        _shared = shared;
        var rules = new List<RateLimitRule>();
        if (shared is not null)
        {
            rules.Add(shared);
        }

        foreach (var (limit, window, endpoints) in tiers)
        {
            foreach (var endpoint in endpoints)
            {
                var rule = new RateLimitRule(endpoint.ToString(), limit, window) { RemainingHeader = remainingHeader };
                if (!_endpoints.TryAdd(endpoint, (rule, Cost(rule.Name, 1))))
                {
                    throw new InvalidOperationException($"{typeof(TEndpoint).Name}.{endpoint} stands in two rate-limit tiers");
                }

                rules.Add(rule);
            }
        }

        foreach (var endpoint in Enum.GetValues<TEndpoint>())
        {
            if (!_endpoints.ContainsKey(endpoint))
            {
                throw new InvalidOperationException($"{typeof(TEndpoint).Name}.{endpoint} has no rate-limit tier");
            }
        }

        Rules = rules;
    }

    /// <summary>Every budget, the shared one first.</summary>
    public IReadOnlyList<RateLimitRule> Rules { get; }

    /// <summary>The name of the rule of <paramref name="endpoint"/>'s own budget (the member's name).</summary>
    public string Name(TEndpoint endpoint) => Entry(endpoint).Rule.Name;

    /// <summary>
    /// One call of <paramref name="endpoint"/> charged <paramref name="units"/> against its own budget (a batch the
    /// venue counts per order) and one unit of the shared one; the endpoint's own cost is the last. One unit is a
    /// cost list built once.
    /// </summary>
    public IReadOnlyList<RateLimitCost> Call(TEndpoint endpoint, int units = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
        var entry = Entry(endpoint);
        return units == 1 ? entry.One : Cost(entry.Rule.Name, units);
    }

    private (RateLimitRule Rule, IReadOnlyList<RateLimitCost> One) Entry(TEndpoint endpoint) =>
        _endpoints.TryGetValue(endpoint, out var entry) ? entry : throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, $"not a member of {typeof(TEndpoint).Name}");

    private IReadOnlyList<RateLimitCost> Cost(string rule, int units) =>
        _shared is null ? [new RateLimitCost(rule, units)] : [new RateLimitCost(_shared.Name, 1), new RateLimitCost(rule, units)];
}
