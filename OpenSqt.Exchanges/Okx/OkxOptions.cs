using System.ComponentModel.DataAnnotations;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX v5, instType SWAP. Section <c>Exchanges:Okx</c>; credentials come from <c>API_KEY</c>, <c>API_SECRET</c> and
/// <c>PASSPHRASE</c>. OKX splits its WebSockets: <see cref="VenueOptions.WsBaseUrl"/> is the public endpoint (tickers),
/// <see cref="WsPrivateUrl"/> the private one (login, orders, account, positions) and <see cref="WsBusinessUrl"/> the
/// business one (candles).
/// </summary>
public sealed class OkxOptions : VenueOptions
{
    public const string SectionName = "Exchanges:Okx";
    public const string ProductionRestUrl = "https://www.okx.com";
    public const string ProductionWsUrl = "wss://ws.okx.com:8443/ws/v5/public";
    public const string ProductionWsPrivateUrl = "wss://ws.okx.com:8443/ws/v5/private";
    public const string ProductionWsBusinessUrl = "wss://ws.okx.com:8443/ws/v5/business";

    /// <summary>
    /// OKX's shared timings. <see cref="VenueOptions.PingInterval"/>: the text frame <c>ping</c>; OKX drops a connection
    /// silent for 30 s, so 20 s, at most 29 s. <see cref="VenueOptions.NoDataTimeout"/>: 45 s. OKX makes no REST account
    /// refresh (the private channels push account and positions), so it takes no
    /// <see cref="VenueOptions.AccountRefreshInterval"/>.
    /// </summary>
    public OkxOptions()
        : base(SectionName, ProductionRestUrl, ProductionWsUrl,
            pingInterval: new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(29)),
            noDataTimeout: new(TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(10)),
            accountRefreshInterval: null)
    {
    }

    /// <summary>The private WebSocket (login, orders, account, positions).</summary>
    [Required]
    public string WsPrivateUrl { get; set; } = ProductionWsPrivateUrl;

    /// <summary>The business WebSocket (candles).</summary>
    [Required]
    public string WsBusinessUrl { get; set; } = ProductionWsBusinessUrl;

    /// <summary>
    /// Longest wait for the read-back of a placed order (which tells a post-only order OKX cancelled at once); past it
    /// the place is answered from the acknowledgement. Zero answers from the acknowledgement alone.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan PlaceReadBackTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Trade mode of orders: OKX <c>tdMode</c> <c>cross</c> or <c>isolated</c>.</summary>
    [RegularExpression("^(cross|isolated)$")]
    public string TradeMode { get; set; } = "cross";

    public Uri WsPrivateUri => new(WsPrivateUrl);

    public Uri WsBusinessUri => new(WsBusinessUrl);

    public Uri WsPublicUri => new(WsBaseUrl);

    public override IEnumerable<System.ComponentModel.DataAnnotations.ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var result in base.Validate(validationContext))
        {
            yield return result;
        }

        foreach (var (name, value) in new[] { (nameof(WsPrivateUrl), WsPrivateUrl), (nameof(WsBusinessUrl), WsBusinessUrl) })
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeWss && uri.Scheme != Uri.UriSchemeWs))
            {
                yield return new System.ComponentModel.DataAnnotations.ValidationResult($"{SectionName}:{name} '{value}' must be an absolute ws(s) URL", [name]);
            }
        }
    }
}
