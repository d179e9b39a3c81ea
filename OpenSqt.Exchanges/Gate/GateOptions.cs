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
        : base(SectionName, ProductionRestUrl, ProductionWsUrl)
    {
    }

    /// <summary>Interval of the application-level <c>futures.ping</c> (Gate drops silent connections).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Reconnect when nothing, not even a pong, arrived for this long.</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan NoDataTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How long fetched contract rules (tick, size, quanto_multiplier) are reused.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ContractsCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Shortest time between two account snapshots fetched because <c>futures.balances</c> pushed: pushes in between
    /// are served by one refresh at the end of it (each snapshot costs GET accounts and GET positions).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan AccountRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How old a contract's mark price may be when a <c>futures.positions</c> push (which has none) is published with it;
    /// an older one is fetched again from GET tickers.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MarkPriceMaxAge { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// First pause after a 429 that does not say when the budget resets; it doubles with each further 429 on the same
    /// budget, up to <see cref="RateLimitBackoffMax"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan RateLimitBackoffInitial { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest pause after repeated 429s on one budget.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan RateLimitBackoffMax { get; set; } = TimeSpan.FromSeconds(8);
}
