using System.ComponentModel.DataAnnotations;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// Bitget v2 mix, product type USDT-FUTURES. Section <c>Exchanges:Bitget</c>; credentials come from <c>API_KEY</c>,
/// <c>API_SECRET</c> and <c>PASSPHRASE</c>. <see cref="VenueOptions.WsBaseUrl"/> is the public WebSocket,
/// <see cref="WsPrivateUrl"/> the private one.
/// </summary>
public sealed class BitgetOptions : VenueOptions
{
    public const string SectionName = "Exchanges:Bitget";
    public const string ProductionRestUrl = "https://api.bitget.com";
    public const string ProductionWsUrl = "wss://ws.bitget.com/v2/ws/public";
    public const string ProductionWsPrivateUrl = "wss://ws.bitget.com/v2/ws/private";

    public BitgetOptions()
        : base(SectionName, ProductionRestUrl, ProductionWsUrl)
    {
    }

    /// <summary>The private WebSocket (login, orders, positions, account).</summary>
    [Required]
    public string WsPrivateUrl { get; set; } = ProductionWsPrivateUrl;

    /// <summary>Interval of the text <c>ping</c> (Bitget: every 30 s; it drops connections silent for about 2 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>Reconnect when nothing, not even a pong, arrived for this long.</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan NoDataTimeout { get; set; } = TimeSpan.FromSeconds(75);

    /// <summary>How long fetched contract rules are reused.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ContractsCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Least time between two REST account refreshes (all-position + accounts) triggered by account pushes; pushes in
    /// between are coalesced into one refresh at the end of the interval. Bitget answers all-position past 5 a second
    /// with 429.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "01:00:00")]
    public TimeSpan AccountRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    public override IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var result in base.Validate(validationContext))
        {
            yield return result;
        }

        if (!Uri.TryCreate(WsPrivateUrl, UriKind.Absolute, out var ws) || (ws.Scheme != Uri.UriSchemeWss && ws.Scheme != Uri.UriSchemeWs))
        {
            yield return new ValidationResult($"{Section}:WsPrivateUrl '{WsPrivateUrl}' must be an absolute ws(s) URL", [nameof(WsPrivateUrl)]);
        }
    }
}
