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

    /// <summary>
    /// Bitget's shared timings. <see cref="VenueOptions.PingInterval"/>: the text <c>ping</c> (Bitget: every 30 s; it
    /// drops connections silent for about 2 minutes), 25 s, at most 1 minute. <see cref="VenueOptions.NoDataTimeout"/>:
    /// 75 s. <see cref="VenueOptions.AccountRefreshInterval"/>: the REST account refresh (all-position + accounts) that
    /// account pushes trigger, 1 s, at least 200 ms, since Bitget answers all-position past 5 a second with 429.
    /// </summary>
    public BitgetOptions()
        : base(SectionName, ProductionRestUrl, ProductionWsUrl,
            pingInterval: new(TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)),
            noDataTimeout: new(TimeSpan.FromSeconds(75), TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(10)),
            accountRefreshInterval: new(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromHours(1)))
    {
    }

    /// <summary>The private WebSocket (login, orders, positions, account).</summary>
    [Required]
    public string WsPrivateUrl { get; set; } = ProductionWsPrivateUrl;

    /// <summary>The contract-rules cache duration was <c>ContractsCacheDuration</c>; it is the shared <see cref="VenueOptions.ExchangeInfoCacheDuration"/>.</summary>
    internal override IReadOnlyDictionary<string, string> RenamedKeys { get; } = new Dictionary<string, string> { ["ContractsCacheDuration"] = nameof(ExchangeInfoCacheDuration) };

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
