using System.ComponentModel.DataAnnotations;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate APIv4 USDT-settled futures. Section <c>Exchanges:Gate</c>; credentials come from <c>API_KEY</c>/<c>API_SECRET</c>.
/// <see cref="VenueOptions.RestBaseUrl"/> includes <c>/api/v4</c> (it is part of the signed path);
/// <see cref="VenueOptions.WsBaseUrl"/> is the full futures WebSocket URL of the settle currency.
/// </summary>
public sealed class GateOptions : VenueOptions
{
    public const string SectionName = "Exchanges:Gate";
    public const string ProductionRestUrl = "https://api.gateio.ws/api/v4";
    public const string ProductionWsUrl = "wss://fx-ws.gateio.ws/v4/ws/usdt";

    public GateOptions()
    {
        RestBaseUrl = ProductionRestUrl;
        WsBaseUrl = ProductionWsUrl;
    }

    /// <summary>Interval of the application-level <c>futures.ping</c> (Gate drops silent connections).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconnect when nothing, not even a pong, arrived for this long.</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan NoDataTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>First reconnect delay; doubles up to 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long fetched contract rules (tick, size, quanto_multiplier) are reused.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ContractsCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    protected override string Section => SectionName;
}
