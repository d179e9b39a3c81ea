using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bybit;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Bybit;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.Exchanges.Tests.Bybit;

/// <summary>The venue conformance suite, against the Bybit simulator over real HTTP and WebSocket on 127.0.0.1.</summary>
public sealed class BybitConformanceTests : VenueConformanceTests
{
    protected override int BatchPlaceSize => BybitExchange.BatchSize;

    protected override (string Method, string Path) BatchPlaceEndpoint => ("POST", "/v5/order/create-batch");

    protected override (string Method, string Path) PlaceEndpoint => ("POST", "/v5/order/create");

    protected override async Task<IVenueSimulator> StartSimulatorAsync() => await BybitSimulator.StartAsync();

    protected override IExchange CreateExchange(IVenueSimulator simulator, IReadOnlyDictionary<string, string>? settings = null) =>
        CreateBybit(simulator, settings);

    private protected override RateLimitTracker RateLimitsOf(IExchange exchange) => ((BybitExchange)exchange).Rest.RateLimits;

    /// <summary>
    /// create-batch has its own budget of 10 orders a second, charged per order (https://bybit-exchange.github.io/docs/v5/rate-limit,
    /// "Instructions for batch endpoints"), smaller than a chunk of 20: the connector sends 90 % of it at once.
    /// </summary>
    protected override int BatchAllowance => 9;

    /// <summary>/v5/order/create answers only orderId and orderLinkId (https://bybit-exchange.github.io/docs/v5/order/create-order): the connector reads the order back.</summary>
    protected override bool PlaceReadsTheOrderBack => true;

    protected override int UnknownValuesCounted(IExchange exchange) => (int)((BybitExchange)exchange).Skips.Count;

    protected override (string Method, string Path) OpenOrdersEndpoint => ("GET", "/v5/order/realtime");

    /// <summary>GET /v5/order/realtime takes limit [1, 50] and pages by cursor (https://bybit-exchange.github.io/docs/v5/order/open-order).</summary>
    protected override int OpenOrdersPageSize => 50;

    /// <summary>
    /// The disconnection protection (DCP): a window of 3 to 300 s that runs only once "those private connections
    /// subscribing "dcp" topic are all dead" (https://bybit-exchange.github.io/docs/v5/websocket/private/dcp), so the
    /// shortest, 3 s, and silence is a connector that is gone. Its own reconnection and refusal cases are in
    /// <see cref="BybitDeadMansSwitchTests"/>.
    /// </summary>
    protected override DeadMansSwitchCase? DeadMansSwitch => new(TimeSpan.FromSeconds(3), FiresOnlyOnceTheConnectorIsGone: true);

    internal static BybitExchange CreateBybit(IVenueSimulator simulator, IReadOnlyDictionary<string, string>? settings = null, string? secret = null)
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

        var options = new ConfigurationBuilder().AddInMemoryCollection(values).Build().Get<BybitOptions>()!;
        return new BybitExchange(Options.Create(options), new VenueCredentials(BybitSimulator.DefaultApiKey, secret ?? BybitSimulator.DefaultApiSecret, null), TimeProvider.System);
    }
}
