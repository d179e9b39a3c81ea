using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Gate;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Framework;
using OpenSqt.VenueSimulators.Gate;

namespace OpenSqt.Exchanges.Tests.Gate;

/// <summary>The venue conformance suite, against the Gate simulator over real HTTP and WebSocket on 127.0.0.1.</summary>
public sealed class GateConformanceTests : VenueConformanceTests
{
    protected override int BatchPlaceSize => 10;

    protected override (string Method, string Path) BatchPlaceEndpoint => ("POST", "/api/v4/futures/usdt/batch_orders");

    protected override (string Method, string Path) PlaceEndpoint => ("POST", "/api/v4/futures/usdt/orders");

    /// <summary>
    /// Gate documents a 60 s Timestamp window; the shared suite skews the venue clock by 20 s, so the simulator is
    /// made stricter (10 s) to exercise the resync on REQUEST_EXPIRED.
    /// </summary>
    protected override async Task<IVenueSimulator> StartSimulatorAsync()
    {
        var sim = await GateSimulator.StartAsync();
        sim.TimestampTolerance = TimeSpan.FromSeconds(10);
        return sim;
    }

    protected override IExchange CreateExchange(IVenueSimulator simulator, IReadOnlyDictionary<string, string>? settings = null) =>
        CreateGate((GateSimulator)simulator, settings);

    private protected override RateLimitTracker RateLimitsOf(IExchange exchange) => ((GateExchange)exchange).Rest.RateLimits;

    protected override int UnknownValuesCounted(IExchange exchange) => ((GateExchange)exchange).Unknown.Values + ((GateExchange)exchange).Unknown.Skipped;

    protected override (string Method, string Path) OpenOrdersEndpoint => ("GET", "/api/v4/futures/usdt/orders");

    /// <summary>GET /futures/usdt/orders: limit defaults to 100 and pages by offset (gateapi-python docs/FuturesApi.md, list_futures_orders).</summary>
    protected override int OpenOrdersPageSize => 100;

    /// <summary>countdown_cancel_all for the account: "At least 5 seconds" (https://www.gate.com/docs/developers/apiv4/en/futures/#countdown-cancel-orders-3), so 5 s.</summary>
    protected override DeadMansSwitchCase? DeadMansSwitch => new(TimeSpan.FromSeconds(5));

    internal static GateExchange CreateGate(GateSimulator simulator, IReadOnlyDictionary<string, string>? settings = null, string? secret = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["RestBaseUrl"] = simulator.ApiBaseUrl,
            ["WsBaseUrl"] = simulator.FuturesWsUrl,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            values[key] = value;
        }

        var options = new ConfigurationBuilder().AddInMemoryCollection(values).Build().Get<GateOptions>()!;
        return new GateExchange(Options.Create(options), new VenueCredentials(GateSimulator.DefaultApiKey, secret ?? GateSimulator.DefaultApiSecret, null), TimeProvider.System);
    }
}
