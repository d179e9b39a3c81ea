using System.ComponentModel.DataAnnotations;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// What every venue's options share: endpoints (production by default; testnet or a local simulator by configuration)
/// and call behaviour. Each venue derives <c>XxxOptions</c> bound from <c>Exchanges:Xxx</c>.
/// </summary>
public abstract class VenueOptions : IValidatableObject
{
    /// <param name="section">The configuration section the options are bound from, for messages.</param>
    /// <param name="restBaseUrl">The production REST base URL, the default of <see cref="RestBaseUrl"/>.</param>
    /// <param name="wsBaseUrl">The production WebSocket base URL, the default of <see cref="WsBaseUrl"/>.</param>
    protected VenueOptions(string section, string restBaseUrl, string wsBaseUrl)
    {
        Section = section;
        RestBaseUrl = restBaseUrl;
        WsBaseUrl = wsBaseUrl;
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

    /// <summary>The configuration section, for messages.</summary>
    protected string Section { get; }

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
    }
}
