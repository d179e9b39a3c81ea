using System.ComponentModel.DataAnnotations;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// What every venue's options share: endpoints (production by default; testnet or a local simulator by configuration)
/// and call behaviour. Each venue derives <c>XxxOptions</c> bound from <c>Exchanges:Xxx</c>.
/// </summary>
public abstract class VenueOptions : IValidatableObject
{
    private static readonly VenueTiming ExchangeInfoCacheRange = new(TimeSpan.FromMinutes(5), TimeSpan.Zero, TimeSpan.FromDays(1));

    private readonly VenueTiming _pingIntervalRange;
    private readonly VenueTiming _noDataTimeoutRange;
    private readonly VenueTiming? _accountRefreshIntervalRange;

    /// <param name="section">The configuration section the options are bound from, for messages.</param>
    /// <param name="restBaseUrl">The production REST base URL, the default of <see cref="RestBaseUrl"/>.</param>
    /// <param name="wsBaseUrl">The production WebSocket base URL, the default of <see cref="WsBaseUrl"/>.</param>
    /// <param name="pingInterval">The venue's default and allowed range of <see cref="PingInterval"/>.</param>
    /// <param name="noDataTimeout">The venue's default and allowed range of <see cref="NoDataTimeout"/>.</param>
    /// <param name="accountRefreshInterval">
    /// The venue's default and allowed range of <see cref="AccountRefreshInterval"/>; null for a venue that makes no REST
    /// account refresh (a value set for it then stops the start).
    /// </param>
    protected VenueOptions(string section, string restBaseUrl, string wsBaseUrl, VenueTiming pingInterval, VenueTiming noDataTimeout, VenueTiming? accountRefreshInterval)
    {
        Section = section;
        RestBaseUrl = restBaseUrl;
        WsBaseUrl = wsBaseUrl;
        _pingIntervalRange = pingInterval;
        _noDataTimeoutRange = noDataTimeout;
        _accountRefreshIntervalRange = accountRefreshInterval;
        PingInterval = pingInterval.Default;
        NoDataTimeout = noDataTimeout.Default;
        AccountRefreshInterval = accountRefreshInterval?.Default ?? TimeSpan.Zero;
    }

    /// <summary>REST base URL, for example <c>https://fapi.binance.com</c>.</summary>
    [Required]
    public string RestBaseUrl { get; set; } = "";

    /// <summary>WebSocket base URL, for example <c>wss://fstream.binance.com</c>.</summary>
    [Required]
    public string WsBaseUrl { get; set; } = "";

    /// <summary>Time after which a REST call without an answer counts as failed (unknown outcome for orders).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:02:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Share of each rate-limit budget the client uses before it waits for the next window.</summary>
    [Range(0.1, 1.0)]
    public double RateLimitSafetyFraction { get; set; } = 0.9;

    /// <summary>Longest wait for rate-limit budget before a call fails as rate limited.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:02:00")]
    public TimeSpan RateLimitMaxWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First reconnect delay; doubles up to 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the client pings each WebSocket (a ping frame or the venue's text ping) to keep it open and prove it
    /// alive. The default and the upper bound are the venue's (its documentation says how long a silent connection
    /// lives); see each venue's constructor.
    /// </summary>
    public TimeSpan PingInterval { get; set; }

    /// <summary>A WebSocket that carried nothing (not even a pong) for this long is dropped and reconnected.</summary>
    public TimeSpan NoDataTimeout { get; set; }

    /// <summary>
    /// Least time between two REST account/position refreshes that account pushes (or reconnections) trigger; the
    /// triggers in between are coalesced into one refresh at the end of the interval, never one per push.
    /// </summary>
    public TimeSpan AccountRefreshInterval { get; set; }

    /// <summary>How long fetched instrument rules (tick, step, minimums, contract size) are reused: 5 minutes, at most a day.</summary>
    public TimeSpan ExchangeInfoCacheDuration { get; set; } = ExchangeInfoCacheRange.Default;

    /// <summary>The configuration section, for messages.</summary>
    protected string Section { get; }

    /// <summary>
    /// Keys of this venue's section that were renamed, each with its new name: a configuration that still sets the old
    /// key stops the start naming the new one, rather than being ignored.
    /// </summary>
    internal virtual IReadOnlyDictionary<string, string> RenamedKeys { get; } = new Dictionary<string, string>();

    public Uri RestUri => new(RestBaseUrl.TrimEnd('/') + "/");

    public Uri WsUri => new(WsBaseUrl.TrimEnd('/') + "/");

    public virtual IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(RestBaseUrl, UriKind.Absolute, out var rest) || (rest.Scheme != Uri.UriSchemeHttps && rest.Scheme != Uri.UriSchemeHttp))
        {
            yield return new ValidationResult($"{Section}:RestBaseUrl '{RestBaseUrl}' must be an absolute http(s) URL", [nameof(RestBaseUrl)]);
        }

        if (!Uri.TryCreate(WsBaseUrl, UriKind.Absolute, out var ws) || (ws.Scheme != Uri.UriSchemeWss && ws.Scheme != Uri.UriSchemeWs))
        {
            yield return new ValidationResult($"{Section}:WsBaseUrl '{WsBaseUrl}' must be an absolute ws(s) URL", [nameof(WsBaseUrl)]);
        }

        foreach (var result in OutOfRange(nameof(PingInterval), PingInterval, _pingIntervalRange)
            .Concat(OutOfRange(nameof(NoDataTimeout), NoDataTimeout, _noDataTimeoutRange))
            .Concat(OutOfRange(nameof(ExchangeInfoCacheDuration), ExchangeInfoCacheDuration, ExchangeInfoCacheRange)))
        {
            yield return result;
        }

        if (_accountRefreshIntervalRange is { } accountRefresh)
        {
            foreach (var result in OutOfRange(nameof(AccountRefreshInterval), AccountRefreshInterval, accountRefresh))
            {
                yield return result;
            }
        }
        else if (AccountRefreshInterval != TimeSpan.Zero)
        {
            yield return new ValidationResult(
                $"{Section}:AccountRefreshInterval is not used by this venue: it makes no REST account refresh (the pushes carry the account); remove the key",
                [nameof(AccountRefreshInterval)]);
        }
    }

    private IEnumerable<ValidationResult> OutOfRange(string key, TimeSpan value, VenueTiming range)
    {
        if (value < range.Min || value > range.Max)
        {
            yield return new ValidationResult($"{Section}:{key} '{value:c}' must be between {range.Min:c} and {range.Max:c}", [key]);
        }
    }
}

/// <summary>A venue's default of one shared timing setting and the range its documentation allows, checked at start.</summary>
/// <param name="Default">The value used when the configuration sets none.</param>
/// <param name="Min">The least value allowed.</param>
/// <param name="Max">The largest value allowed.</param>
public readonly record struct VenueTiming(TimeSpan Default, TimeSpan Min, TimeSpan Max);
