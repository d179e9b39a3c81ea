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

    /// <summary>
    /// Gate's shared timings. <see cref="VenueOptions.PingInterval"/>: the application-level <c>futures.ping</c> (Gate
    /// drops silent connections), 10 s, at most 1 minute. <see cref="VenueOptions.NoDataTimeout"/>: 45 s.
    /// <see cref="VenueOptions.AccountRefreshInterval"/>: account snapshots fetched because <c>futures.balances</c> pushed
    /// (each costs GET accounts and GET positions), 1 s.
    /// </summary>
    public GateOptions()
        : base(SectionName, ProductionRestUrl, ProductionWsUrl,
            pingInterval: new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)),
            noDataTimeout: new(TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(10)),
            accountRefreshInterval: new(TimeSpan.FromSeconds(1), TimeSpan.Zero, TimeSpan.FromMinutes(10)))
    {
    }

    /// <summary>The contract-rules cache duration was <c>ContractsCacheDuration</c>; it is the shared <see cref="VenueOptions.ExchangeInfoCacheDuration"/>.</summary>
    internal override IReadOnlyDictionary<string, string> RenamedKeys { get; } = new Dictionary<string, string> { ["ContractsCacheDuration"] = nameof(ExchangeInfoCacheDuration) };

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
