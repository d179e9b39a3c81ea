using System.ComponentModel.DataAnnotations;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit v5, category linear. Section <c>Exchanges:Bybit</c>; credentials come from <c>API_KEY</c>/<c>API_SECRET</c>.
/// The public stream is <c>{WsBaseUrl}/v5/public/linear</c> and the private one <c>{WsBaseUrl}/v5/private</c>.
/// </summary>
public sealed class BybitOptions : VenueOptions
{
    public const string SectionName = "Exchanges:Bybit";
    public const string ProductionRestUrl = "https://api.bybit.com";
    public const string ProductionWsUrl = "wss://stream.bybit.com";

    public BybitOptions()
        : base(SectionName, ProductionRestUrl, ProductionWsUrl)
    {
    }

    /// <summary>X-BAPI-RECV-WINDOW in milliseconds (Bybit: default 5000; the request counts while server_time - recv_window &lt;= timestamp &lt; server_time + 1000).</summary>
    [Range(1, 60_000)]
    public int RecvWindowMs { get; set; } = 5_000;

    /// <summary>How often <c>{"op":"ping"}</c> is sent (Bybit recommends every 20 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>A connection that carried nothing (not even a pong) for this long is dropped and reconnected.</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan NoDataTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How far in the future the private-stream auth signature expires.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan AuthExpiry { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long fetched instrument rules are reused.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ExchangeInfoCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Least time between two REST account snapshots: the private stream asks for one after every (re)connection,
    /// since the wallet topic sends no snapshot on subscribe; reconnections closer together share one.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan AccountRefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}
