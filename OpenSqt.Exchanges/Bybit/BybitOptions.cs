using System.ComponentModel.DataAnnotations;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit v5, category linear. Section <c>Exchanges:Bybit</c>; credentials come from <c>API_KEY</c>/<c>API_SECRET</c>.
/// The streams are paths below <see cref="VenueOptions.WsBaseUrl"/>: <see cref="PublicStreamUri"/> and
/// <see cref="PrivateStreamUri"/>.
/// </summary>
public sealed class BybitOptions : RecvWindowVenueOptions
{
    public const string SectionName = "Exchanges:Bybit";
    public const string ProductionRestUrl = "https://api.bybit.com";
    public const string ProductionWsUrl = "wss://stream.bybit.com";

    /// <summary>
    /// Bybit's shared timings. <see cref="VenueOptions.PingInterval"/>: how often <c>{"op":"ping"}</c> is sent (Bybit
    /// recommends every 20 s), 20 s, at most 5 minutes. <see cref="VenueOptions.NoDataTimeout"/>: 60 s.
    /// <see cref="VenueOptions.AccountRefreshInterval"/>: the private stream asks for a REST account snapshot after every
    /// (re)connection, since the wallet topic sends no snapshot on subscribe; reconnections closer together share one; 5 s.
    /// </summary>
    public BybitOptions()
        : base(SectionName, ProductionRestUrl, ProductionWsUrl,
            pingInterval: new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)),
            noDataTimeout: new(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(10)),
            accountRefreshInterval: new(TimeSpan.FromSeconds(5), TimeSpan.Zero, TimeSpan.FromMinutes(10)))
    {
    }

    /// <summary>
    /// The public stream of USDT perpetuals, <c>{WsBaseUrl}/v5/public/linear</c> (https://bybit-exchange.github.io/docs/v5/ws/connect:
    /// "USDT, USDC perpetual &amp; USDC Futures: wss://stream.bybit.com/v5/public/linear").
    /// </summary>
    public Uri PublicStreamUri => new(WsUri, "v5/public/linear");

    /// <summary>
    /// The private stream, <c>{WsBaseUrl}/v5/private</c> (same page: "WebSocket private stream: Mainnet:
    /// wss://stream.bybit.com/v5/private").
    /// </summary>
    public Uri PrivateStreamUri => new(WsUri, "v5/private");

    /// <summary>How far in the future the private-stream auth signature expires.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan AuthExpiry { get; set; } = TimeSpan.FromSeconds(10);
}
