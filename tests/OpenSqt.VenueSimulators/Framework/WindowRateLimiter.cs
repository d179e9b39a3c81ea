namespace OpenSqt.VenueSimulators.Framework;

/// <summary>One venue budget: units per fixed window aligned to the venue clock.</summary>
public sealed record SimRateLimit(string Name, int Limit, TimeSpan Window, string? Header);

/// <summary>
/// The venue's rate limiter: counts units per fixed window, reports usage for the response headers, refuses with 429
/// past a limit and bans (418) a client that keeps sending while told to wait. Thread-safe.
/// </summary>
public sealed class WindowRateLimiter(IReadOnlyList<SimRateLimit> limits, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (DateTimeOffset Start, int Used)> _windows = new(StringComparer.Ordinal);
    private DateTimeOffset _retryAfterUntil = DateTimeOffset.MinValue;
    private int _extraUsed;

    public IReadOnlyList<SimRateLimit> Limits { get; } = limits;

    /// <summary>429s served.</summary>
    public int Refusals { get; private set; }

    /// <summary>418 bans served: a correct client never earns one.</summary>
    public int Bans { get; private set; }

    /// <summary>
    /// Adds units to the first rule's usage in the current window as if other clients on the same IP had spent them;
    /// they count until that window ends.
    /// </summary>
    public void SpendElsewhere(int units)
    {
        lock (_gate)
        {
            // Roll to the window of now first: units added to a window that has already ended would be dropped at the
            // next request's roll, and the venue would report less than it was told was spent.
            Window(Limits[0], clock.GetUtcNow());
            _extraUsed += units;
        }
    }

    /// <summary>The outcome of one request: 0 to serve it, 429 or 418 to refuse it, with the usage to report.</summary>
    public (int Status, TimeSpan RetryAfter, IReadOnlyDictionary<string, int> Usage) Charge(IReadOnlyDictionary<string, int> costs)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            if (now < _retryAfterUntil)
            {
                Bans++;
                return (418, _retryAfterUntil - now, Usage(now));
            }

            foreach (var limit in Limits)
            {
                var (start, used) = Window(limit, now);
                var cost = costs.GetValueOrDefault(limit.Name);
                if (cost > 0 && used + cost + Extra(limit) > limit.Limit)
                {
                    Refusals++;
                    var retry = start + limit.Window - now;
                    _retryAfterUntil = now + retry;
                    return (429, retry, Usage(now));
                }
            }

            foreach (var limit in Limits)
            {
                var (start, used) = Window(limit, now);
                _windows[limit.Name] = (start, used + costs.GetValueOrDefault(limit.Name));
            }

            return (0, TimeSpan.Zero, Usage(now));
        }
    }

    /// <summary>Refuses the request with 429 for an injected storm, remembering the Retry-After it announced.</summary>
    public void AnnounceRetryAfter(TimeSpan retryAfter)
    {
        lock (_gate)
        {
            Refusals++;
            _retryAfterUntil = clock.GetUtcNow() + retryAfter;
        }
    }

    private int Extra(SimRateLimit limit) => ReferenceEquals(limit, Limits[0]) ? _extraUsed : 0;

    private (DateTimeOffset Start, int Used) Window(SimRateLimit limit, DateTimeOffset now)
    {
        var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % limit.Window.Ticks), TimeSpan.Zero);
        if (!_windows.TryGetValue(limit.Name, out var window) || window.Start != start)
        {
            window = (start, 0);
            _windows[limit.Name] = window;
            if (ReferenceEquals(limit, Limits[0]))
            {
                _extraUsed = 0;
            }
        }

        return window;
    }

    private Dictionary<string, int> Usage(DateTimeOffset now)
    {
        var usage = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var limit in Limits)
        {
            usage[limit.Name] = Window(limit, now).Used + Extra(limit);
        }

        return usage;
    }
}
