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

    /// <summary>X-BAPI-RECV-WINDOW in milliseconds (Bybit: default 5000; the request counts while server_time - recv_window &lt;= timestamp &lt; server_time + 1000).</summary>
    [Range(1, 60_000)]
    public int RecvWindowMs { get; set; } = 5_000;

    /// <summary>How far in the future the private-stream auth signature expires.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan AuthExpiry { get; set; } = TimeSpan.FromSeconds(10);
}
