using System.Globalization;
using System.Net.Http.Headers;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// One rate limit of a venue, declared as data next to the venue: a budget of <see cref="Limit"/> units per fixed
/// <see cref="Window"/> (aligned to the venue clock, as Binance and Bybit count), and the response header in which the
/// venue reports what is used so far (null when the venue does not say).
/// </summary>
internal sealed record RateLimitRule(string Name, int Limit, TimeSpan Window, string? UsedHeader = null)
{
    /// <summary>A header in which the venue reports what is left of this budget (Gate <c>X-Gate-RateLimit-Requests-Remain</c>), or null.</summary>
    public string? RemainingHeader { get; init; }

    /// <summary>
    /// Whether a 429 on a request charged against this rule pauses it (true by default). False for a venue-wide budget
    /// that the venue does not refuse with a 429 of one endpoint: Bitget and Bybit count each endpoint on its own, so a
    /// 429 on a placement says nothing about the IP budget a cancel also draws on, and pausing it would hold back the
    /// cancel. A request charged only against such rules shares one pause with the other such requests.
    /// </summary>
    public bool PausedByRefusal { get; init; } = true;
}

/// <summary>What one request costs against one rule.</summary>
internal readonly record struct RateLimitCost(string Rule, int Units);

/// <summary>
/// Rate-limit accounting for one venue connection. Counts locally, corrects itself from the venue's usage headers and
/// waits before a request that would cross <see cref="SafetyFraction"/> of a budget. A 429 pauses only the budgets the
/// refused request was charged against (<see cref="Block(IReadOnlyList{RateLimitCost}, TimeSpan?)"/>): for the venue's
/// Retry-After when it sends one, otherwise briefly and exponentially (<see cref="BackoffInitial"/> doubling up to
/// <see cref="BackoffMax"/>, reset by the next success on that budget), so a refused order placement never holds back a
/// cancel charged elsewhere. Only a venue-wide ban (Binance 418) pauses everything (<see cref="Block(TimeSpan?)"/>).
/// Thread-safe.
/// </summary>
internal sealed class RateLimitTracker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Budget> _budgets = new(StringComparer.Ordinal);
    private readonly Func<DateTimeOffset> _now;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Penalty> _penalties = new(StringComparer.Ordinal);
    private readonly Penalty _global = new();

    /// <param name="rules">The venue's rules.</param>
    /// <param name="now">The venue's clock (windows are aligned to it).</param>
    /// <param name="time">Used for waiting.</param>
    /// <param name="safetyFraction">Share of each budget this client lets itself use before it waits for the next window.</param>
    /// <param name="maxWait">The longest a request waits for budget; beyond it the request fails as rate limited.</param>
    /// <param name="backoffInitial">The pause of a budget after a 429 without Retry-After; doubles on each further 429.</param>
    /// <param name="backoffMax">The longest such pause.</param>
    public RateLimitTracker(IEnumerable<RateLimitRule> rules, Func<DateTimeOffset> now, TimeProvider time, double safetyFraction = 0.9, TimeSpan? maxWait = null, TimeSpan? backoffInitial = null, TimeSpan? backoffMax = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(safetyFraction, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(safetyFraction, 1);
        foreach (var rule in rules)
        {
            _budgets[rule.Name] = new Budget(rule);
        }

        _now = now;
        _time = time;
        SafetyFraction = safetyFraction;
        MaxWait = maxWait ?? TimeSpan.FromSeconds(10);
        BackoffInitial = backoffInitial ?? TimeSpan.FromSeconds(1);
        BackoffMax = backoffMax ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BackoffInitial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(BackoffMax, BackoffInitial);
    }

    /// <summary>A budget's pause after its first 429 without Retry-After.</summary>
    public TimeSpan BackoffInitial { get; }

    /// <summary>The cap of the doubling pause after repeated 429s without Retry-After.</summary>
    public TimeSpan BackoffMax { get; }

    public double SafetyFraction { get; }

    public TimeSpan MaxWait { get; }

    /// <summary>Times a request waited for budget (for diagnostics and tests).</summary>
    public int Waits { get; private set; }

    /// <summary>Until when the venue told us to stop sending anything (a ban), or null.</summary>
    public DateTimeOffset? BlockedUntil
    {
        get
        {
            lock (_gate)
            {
                return _global.Until > _now() ? _global.Until : null;
            }
        }
    }

    /// <summary>Until when requests charged against <paramref name="rule"/> are held back after a 429, or null.</summary>
    public DateTimeOffset? RuleBlockedUntil(string rule)
    {
        lock (_gate)
        {
            return _penalties.TryGetValue(rule, out var penalty) && penalty.Until > _now() ? penalty.Until : null;
        }
    }

    /// <summary>The budget of a rule now (venues publish their limits; the declared value is the default).</summary>
    public int Limit(string rule)
    {
        lock (_gate)
        {
            return _budgets[rule].Rule.Limit;
        }
    }

    /// <summary>Replaces a rule's budget with the one the venue publishes (Binance exchangeInfo.rateLimits).</summary>
    public void SetLimit(string rule, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, 0);
        lock (_gate)
        {
            if (_budgets.TryGetValue(rule, out var budget))
            {
                budget.Rule = budget.Rule with { Limit = limit };
            }
        }
    }

    /// <summary>Units used of a rule in the current window, as far as we know.</summary>
    public int Used(string rule)
    {
        lock (_gate)
        {
            var budget = _budgets[rule];
            Roll(budget, _now());
            return budget.Used;
        }
    }

    /// <summary>
    /// Reserves the cost of one request, waiting for the next window when the budget is nearly spent. Throws
    /// <see cref="ExchangeErrorKind.RateLimited"/> when the wait would exceed <see cref="MaxWait"/> or the venue asked
    /// us to stop.
    /// </summary>
    public async ValueTask AcquireAsync(IReadOnlyList<RateLimitCost> costs, CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_gate)
            {
                var now = _now();
                var pausedUntil = PausedUntil(costs);
                if (pausedUntil > now)
                {
                    wait = pausedUntil - now;
                    if (wait > MaxWait)
                    {
                        throw new ExchangeException(ExchangeErrorKind.RateLimited,
                            $"the venue asked us to pause these calls until {pausedUntil:O}; not sending", retryAfter: wait);
                    }
                }
                else
                {
                    wait = TimeSpan.Zero;
                    foreach (var cost in costs)
                    {
                        if (!_budgets.TryGetValue(cost.Rule, out var budget))
                        {
                            continue;
                        }

                        Roll(budget, now);
                        // A small budget (OKX cancel-all-after: 1 per second) still allows one request per window.
                        var allowed = Math.Max(1, (int)Math.Floor(budget.Rule.Limit * SafetyFraction));
                        if (budget.Used + cost.Units > allowed)
                        {
                            var untilNext = budget.WindowStart + budget.Rule.Window - now;
                            if (untilNext > wait)
                            {
                                wait = untilNext;
                            }
                        }
                    }

                    if (wait == TimeSpan.Zero)
                    {
                        foreach (var cost in costs)
                        {
                            if (_budgets.TryGetValue(cost.Rule, out var budget))
                            {
                                budget.Used += cost.Units;
                            }
                        }

                        return;
                    }

                    if (wait > MaxWait)
                    {
                        throw new ExchangeException(ExchangeErrorKind.RateLimited,
                            $"rate limit budget spent; next window in {wait.TotalSeconds:F1} s", retryAfter: wait);
                    }
                }

                Waits++;
            }

            await Task.Delay(wait + TimeSpan.FromMilliseconds(1), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Corrects the local counts from the venue's usage headers (the venue's number wins).</summary>
    public void Observe(HttpResponseHeaders headers) => Observe(headers, null);

    /// <summary>
    /// As <see cref="Observe(HttpResponseHeaders)"/>, for the answer of a request that cost <paramref name="costs"/>: a
    /// remaining-budget header (which names no budget, as Gate's does not) is applied only to the rules the request was
    /// charged against. Null costs apply it to every rule that declares the header. A header of a budget the request
    /// was charged against is dropped when that budget's window has ended since the request was charged (see
    /// <see cref="ObserveUsed"/>).
    /// </summary>
    public void Observe(HttpResponseHeaders headers, IReadOnlyList<RateLimitCost>? costs)
    {
        lock (_gate)
        {
            var now = _now();
            foreach (var budget in _budgets.Values)
            {
                var charged = costs is not null && costs.Any(c => c.Rule == budget.Rule.Name);
                if (budget.Rule.UsedHeader is { } header
                    && headers.TryGetValues(header, out var values)
                    && int.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var used))
                {
                    SetUsed(budget, used, charged, now);
                }
                else if (budget.Rule.RemainingHeader is { } remainHeader
                    && (costs is null || charged)
                    && headers.TryGetValues(remainHeader, out var remainValues)
                    && int.TryParse(remainValues.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var remaining))
                {
                    SetUsed(budget, Math.Max(0, budget.Rule.Limit - remaining), charged, now);
                }
            }
        }
    }

    /// <summary>
    /// Sets what the venue says is used of one rule, from the answer of a request charged against it, for venues that
    /// report usage in their own form (Bybit: <c>X-Bapi-Limit</c> minus <c>X-Bapi-Limit-Status</c>). The venue counted
    /// the request in the window it was charged in; when that window has ended by the time the answer is read, the
    /// figure describes a window that is over and is dropped: carried into the new window it would hold the budget
    /// spent for a whole window the venue has already reset (a Binance weight near the limit answered just after the
    /// minute turned would refuse every call for the next minute). Unknown rules are ignored.
    /// </summary>
    public void ObserveUsed(string rule, int used)
    {
        lock (_gate)
        {
            if (_budgets.TryGetValue(rule, out var budget))
            {
                SetUsed(budget, used, charged: true, _now());
            }
        }
    }

    /// <summary>
    /// Applies the venue's figure to the current window. A budget the answered request was charged against was rolled
    /// when the request acquired it, so a roll now means its window ended while the request was out (a budget never
    /// acquired has no window to have ended).
    /// </summary>
    private static void SetUsed(Budget budget, int used, bool charged, DateTimeOffset now)
    {
        var acquired = budget.WindowStart != default;
        if (Roll(budget, now) && charged && acquired)
        {
            return;
        }

        budget.Used = used;
    }

    /// <summary>
    /// The venue banned this client (Binance 418): send nothing at all until <paramref name="retryAfter"/> has passed,
    /// or, without it, for the doubling backoff.
    /// </summary>
    public TimeSpan Block(TimeSpan? retryAfter)
    {
        lock (_gate)
        {
            return Penalise(_global, retryAfter, _now());
        }
    }

    /// <summary>
    /// The venue answered 429 to a request charged <paramref name="costs"/>: pause those budgets only, for
    /// <paramref name="retryAfter"/> when the venue sent it, otherwise for the doubling backoff of each budget. A
    /// request charged against no declared budget pauses the other uncharged requests only. Returns the longest pause.
    /// </summary>
    public TimeSpan Block(IReadOnlyList<RateLimitCost> costs, TimeSpan? retryAfter)
    {
        ArgumentNullException.ThrowIfNull(costs);
        lock (_gate)
        {
            var now = _now();
            var pause = TimeSpan.Zero;
            foreach (var key in PenaltyKeys(costs))
            {
                if (!_penalties.TryGetValue(key, out var penalty))
                {
                    penalty = new Penalty();
                    _penalties[key] = penalty;
                }

                var p = Penalise(penalty, retryAfter, now);
                if (p > pause)
                {
                    pause = p;
                }
            }

            return pause;
        }
    }

    /// <summary>A request charged <paramref name="costs"/> was not refused for rate: the backoff of those budgets starts again from <see cref="BackoffInitial"/>.</summary>
    public void Succeeded(IReadOnlyList<RateLimitCost> costs)
    {
        ArgumentNullException.ThrowIfNull(costs);
        lock (_gate)
        {
            _global.Strikes = 0;
            foreach (var key in PenaltyKeys(costs))
            {
                if (_penalties.TryGetValue(key, out var penalty))
                {
                    penalty.Strikes = 0;
                }
            }
        }
    }

    private TimeSpan Penalise(Penalty penalty, TimeSpan? retryAfter, DateTimeOffset now)
    {
        TimeSpan pause;
        if (retryAfter is { } r && r > TimeSpan.Zero)
        {
            pause = r;
        }
        else
        {
            var doubled = BackoffInitial.Ticks * Math.Pow(2, Math.Min(penalty.Strikes, 30));
            pause = doubled >= BackoffMax.Ticks ? BackoffMax : TimeSpan.FromTicks((long)doubled);
        }

        penalty.Strikes++;
        var until = now + pause;
        if (until > penalty.Until)
        {
            penalty.Until = until;
        }

        return pause;
    }

    private DateTimeOffset PausedUntil(IReadOnlyList<RateLimitCost> costs)
    {
        var until = _global.Until;
        foreach (var key in PenaltyKeys(costs))
        {
            if (_penalties.TryGetValue(key, out var penalty) && penalty.Until > until)
            {
                until = penalty.Until;
            }
        }

        return until;
    }

    /// <summary>
    /// The budgets a 429 on a request charged <paramref name="costs"/> pauses: those it is charged against, less the
    /// rules not <see cref="RateLimitRule.PausedByRefusal"/>; "" stands for the requests that leave none.
    /// </summary>
    private List<string> PenaltyKeys(IReadOnlyList<RateLimitCost> costs)
    {
        var keys = new List<string>(costs.Count);
        foreach (var cost in costs)
        {
            if (!_budgets.TryGetValue(cost.Rule, out var budget) || budget.Rule.PausedByRefusal)
            {
                keys.Add(cost.Rule);
            }
        }

        if (keys.Count == 0)
        {
            keys.Add("");
        }

        return keys;
    }

    /// <summary>Moves the budget to the window of <paramref name="now"/>; true when that started a new window.</summary>
    private static bool Roll(Budget budget, DateTimeOffset now)
    {
        var windowTicks = budget.Rule.Window.Ticks;
        var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % windowTicks), TimeSpan.Zero);
        if (start == budget.WindowStart)
        {
            return false;
        }

        budget.WindowStart = start;
        budget.Used = 0;
        return true;
    }

    private sealed class Penalty
    {
        public DateTimeOffset Until { get; set; } = DateTimeOffset.MinValue;
        public int Strikes { get; set; }
    }

    private sealed class Budget(RateLimitRule rule)
    {
        public RateLimitRule Rule { get; set; } = rule;
        public DateTimeOffset WindowStart { get; set; }
        public int Used { get; set; }
    }
}
