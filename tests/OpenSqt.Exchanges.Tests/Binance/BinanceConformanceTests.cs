using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Binance;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Binance;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.Exchanges.Tests.Binance;

/// <summary>The venue conformance suite, against the Binance simulator over real HTTP and WebSocket on 127.0.0.1.</summary>
public sealed class BinanceConformanceTests : VenueConformanceTests
{
    protected override int BatchPlaceSize => 5;

    protected override (string Method, string Path) BatchPlaceEndpoint => ("POST", "/fapi/v1/batchOrders");

    protected override (string Method, string Path) PlaceEndpoint => ("POST", "/fapi/v1/order");

    protected override async Task<IVenueSimulator> StartSimulatorAsync() => await BinanceSimulator.StartAsync();

    protected override IExchange CreateExchange(IVenueSimulator simulator, IReadOnlyDictionary<string, string>? settings = null) =>
        CreateBinance(simulator, settings);

    private protected override RateLimitTracker RateLimitsOf(IExchange exchange) => ((BinanceExchange)exchange).Rest.RateLimits;

    protected override int UnknownValuesCounted(IExchange exchange) => ((BinanceExchange)exchange).UnknownValuesSeen;

    protected override (string Method, string Path) OpenOrdersEndpoint => ("GET", "/fapi/v1/openOrders");

    /// <summary>GET /fapi/v1/openOrders has no limit: every open order in one answer (https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Current-All-Open-Orders).</summary>
    protected override int OpenOrdersPageSize => 0;

    /// <summary>countdownCancelAll per symbol; 5 s, the shortest the connector arms.</summary>
    protected override DeadMansSwitchCase? DeadMansSwitch => new(TimeSpan.FromSeconds(5));

    internal static BinanceExchange CreateBinance(IVenueSimulator simulator, IReadOnlyDictionary<string, string>? settings = null, string? secret = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["RestBaseUrl"] = simulator.RestBaseUrl,
            ["WsBaseUrl"] = simulator.WsBaseUrl,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            values[key] = value;
        }

        var options = new ConfigurationBuilder().AddInMemoryCollection(values).Build().Get<BinanceOptions>()!;
        return new BinanceExchange(Options.Create(options), new VenueCredentials(BinanceSimulator.DefaultApiKey, secret ?? BinanceSimulator.DefaultApiSecret, null), TimeProvider.System);
    }
}
