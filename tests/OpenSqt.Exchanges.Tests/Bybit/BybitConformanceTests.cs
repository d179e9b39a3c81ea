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

    protected override RateLimitTracker RateLimitsOf(IExchange exchange) => ((BybitExchange)exchange).Rest.RateLimits;

    public static BybitExchange CreateBybit(IVenueSimulator simulator, IReadOnlyDictionary<string, string>? settings = null, string? secret = null)
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
