using System.ComponentModel.DataAnnotations;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// The options of a venue whose signed calls carry a receive window: how long after its timestamp the venue still
/// accepts a call (Binance <c>recvWindow</c>, Bybit <c>X-BAPI-RECV-WINDOW</c>).
/// </summary>
public abstract class RecvWindowVenueOptions(string section, string restBaseUrl, string wsBaseUrl, VenueTiming pingInterval, VenueTiming noDataTimeout, VenueTiming? accountRefreshInterval)
    : VenueOptions(section, restBaseUrl, wsBaseUrl, pingInterval, noDataTimeout, accountRefreshInterval)
{
    /// <summary>
    /// The receive window sent with signed calls, in milliseconds. Binance: default 5000, at most 60000. Bybit: default
    /// 5000; the request counts while server_time - recv_window &lt;= timestamp &lt; server_time + 1000.
    /// </summary>
    [Range(1, 60_000)]
    public int RecvWindowMs { get; set; } = 5_000;
}
