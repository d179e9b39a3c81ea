using System.ComponentModel.DataAnnotations;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>Binance USDT-M futures. Section <c>Exchanges:Binance</c>; credentials come from <c>API_KEY</c>/<c>API_SECRET</c>.</summary>
public sealed class BinanceOptions : VenueOptions
{
    public const string SectionName = "Exchanges:Binance";
    public const string ProductionRestUrl = "https://fapi.binance.com";
    public const string ProductionWsUrl = "wss://fstream.binance.com";

    public BinanceOptions()
    {
        RestBaseUrl = ProductionRestUrl;
        WsBaseUrl = ProductionWsUrl;
    }

    /// <summary>recvWindow sent with signed calls, in milliseconds (Binance: default 5000, at most 60000).</summary>
    [Range(1, 60_000)]
    public int RecvWindowMs { get; set; } = 5_000;

    /// <summary>How often the listen key is kept alive (Binance: it expires 60 minutes after the last keepalive).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:55:00")]
    public TimeSpan ListenKeyKeepAlive { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Binance closes every WebSocket after 24 hours; connections rotate <see cref="ConnectionRotationMargin"/> before it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ConnectionLifetime { get; set; } = TimeSpan.FromHours(24);

    [Range(typeof(TimeSpan), "00:00:00", "12:00:00")]
    public TimeSpan ConnectionRotationMargin { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Client ping frames (and the wait for the pong) that detect a dead connection; Binance pings every 3 minutes itself.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First reconnect delay; doubles up to 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long fetched instrument rules are reused.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ExchangeInfoCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    protected override string Section => SectionName;
}
