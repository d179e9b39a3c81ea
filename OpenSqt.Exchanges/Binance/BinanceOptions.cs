using System.ComponentModel.DataAnnotations;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>Binance USDT-M futures. Section <c>Exchanges:Binance</c>; credentials come from <c>API_KEY</c>/<c>API_SECRET</c>.</summary>
public sealed class BinanceOptions : RecvWindowVenueOptions
{
    public const string SectionName = "Exchanges:Binance";
    public const string ProductionRestUrl = "https://fapi.binance.com";
    public const string ProductionWsUrl = "wss://fstream.binance.com";

    /// <summary>
    /// Binance's shared timings. <see cref="VenueOptions.PingInterval"/>: client ping frames (and the wait for the pong,
    /// <see cref="PingTimeout"/>) that detect a dead connection; Binance pings every 3 minutes itself, 30 s by default, at
    /// most 10 minutes. <see cref="VenueOptions.NoDataTimeout"/>: the market socket reconnects when its subscribed
    /// streams deliver nothing for this long (a connection that is up but routed nowhere stays silent: Binance's "A
    /// connection with no routed path only receives /public data ... This fails silently rather than erroring",
    /// https://developers.binance.com/docs/products/caas/market-data-streams); checked only while the socket has
    /// subscriptions; 60 s, up to an hour. The user socket has its own, <see cref="UserNoDataTimeout"/>.
    /// <see cref="VenueOptions.AccountRefreshInterval"/>: at most one REST account refresh (GET /fapi/v3/account and
    /// /fapi/v2/positionRisk, 5 weight each) per interval however many ACCOUNT_UPDATE pushes arrive; 2 s.
    /// </summary>
    public BinanceOptions()
        : base(SectionName, ProductionRestUrl, ProductionWsUrl,
            pingInterval: new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)),
            noDataTimeout: new(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            accountRefreshInterval: new(TimeSpan.FromSeconds(2), TimeSpan.Zero, TimeSpan.FromMinutes(10)))
    {
    }

    /// <summary>How often the listen key is kept alive (Binance: it expires 60 minutes after the last keepalive).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:55:00")]
    public TimeSpan ListenKeyKeepAlive { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Binance closes every WebSocket after 24 hours; connections rotate <see cref="ConnectionRotationMargin"/> before it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ConnectionLifetime { get; set; } = TimeSpan.FromHours(24);

    [Range(typeof(TimeSpan), "00:00:00", "12:00:00")]
    public TimeSpan ConnectionRotationMargin { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a ping frame waits for its pong before the connection counts as dead.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The user-data socket reconnects (and the owner reconciles over REST) after this long without any event. A quiet
    /// account sends nothing, so this is long; it bounds how long a silently dead user stream can go unnoticed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan UserNoDataTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Market streams: the routed <c>/market</c> entry point in combined-stream mode. Binance retired the unrouted
    /// <c>/stream</c> and <c>/ws</c> URLs for these streams on 2026-04-23: "Market (regular market data):
    /// wss://fstream.binance.com/market" carries aggTrade, markPrice and kline; <c>/public</c> carries only the
    /// high-frequency book streams (bookTicker, depth)
    /// (https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Important-WebSocket-Change-Notice).
    /// </summary>
    public Uri MarketStreamUri => new(WsUri, "market/stream");

    /// <summary>
    /// The high-frequency book streams (bookTicker, depth): the routed <c>/public</c> entry point in combined-stream mode
    /// (same notice: "Public (high-frequency public data): wss://fstream.binance.com/public").
    /// </summary>
    public Uri PublicStreamUri => new(WsUri, "public/stream");

    /// <summary>
    /// The user-data stream of a listen key on the routed <c>/private</c> entry point (same notice: "Private (user
    /// data): wss://fstream.binance.com/private", "wss://fstream.binance.com/private/ws?listenKey=&lt;listenKey&gt;");
    /// without an <c>events</c> filter every event of the key is delivered, as ccxt (4.5.44+) connects.
    /// </summary>
    public Uri UserStreamUri(string listenKey) => new(WsUri, "private/ws?listenKey=" + Uri.EscapeDataString(listenKey));

    /// <summary>The market socket's no-data timeout was <c>MarketNoDataTimeout</c>; it is the shared <see cref="VenueOptions.NoDataTimeout"/>.</summary>
    internal override IReadOnlyDictionary<string, string> RenamedKeys { get; } = new Dictionary<string, string> { ["MarketNoDataTimeout"] = nameof(NoDataTimeout) };
}
