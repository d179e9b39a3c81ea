using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Okx;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Framework;
using OpenSqt.VenueSimulators.Okx;

namespace OpenSqt.Exchanges.Tests.Okx;

/// <summary>The venue conformance suite, against the OKX simulator over real HTTP and WebSocket on 127.0.0.1.</summary>
public sealed class OkxConformanceTests : VenueConformanceTests
{
    protected override int BatchPlaceSize => OkxExchange.BatchSize;

    protected override (string Method, string Path) BatchPlaceEndpoint => ("POST", "/api/v5/trade/batch-orders");

    protected override (string Method, string Path) PlaceEndpoint => ("POST", "/api/v5/trade/order");

    protected override bool VenueReportsRateLimitUsage => false;

    /// <summary>
    /// OKX tolerates 30 s of clock difference; the shared suite skews the venue clock by 20 s, so this simulator runs
    /// with a 10 s window to make that skew a rejected timestamp (50102), as a larger skew would be on OKX.
    /// </summary>
    protected override async Task<IVenueSimulator> StartSimulatorAsync()
    {
        var sim = await OkxSimulator.StartAsync();
        sim.TimestampTolerance = TimeSpan.FromSeconds(10);
        return sim;
    }

    protected override IExchange CreateExchange(IVenueSimulator simulator, IReadOnlyDictionary<string, string>? settings = null) =>
        CreateOkx((OkxSimulator)simulator, settings);

    private protected override RateLimitTracker RateLimitsOf(IExchange exchange) => ((OkxExchange)exchange).Rest.RateLimits;

    /// <summary>POST /api/v5/trade/order answers only ordId, clOrdId, sCode and sMsg (https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-place-order): the connector reads the order back.</summary>
    protected override bool PlaceReadsTheOrderBack => true;

    protected override int UnknownValuesCounted(IExchange exchange) => ((OkxExchange)exchange).UnknownValuesSkipped;

    protected override (string Method, string Path) OpenOrdersEndpoint => ("GET", "/api/v5/trade/orders-pending");

    /// <summary>orders-pending answers at most 100 per page, older ones with after=ordId (https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-list).</summary>
    protected override int OpenOrdersPageSize => 100;

    /// <summary>cancel-all-after for the account: "Range of value can be 0, [10, 120]" seconds (https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-cancel-all-after), so the shortest, 10 s.</summary>
    protected override DeadMansSwitchCase? DeadMansSwitch => new(TimeSpan.FromSeconds(10));

    internal static OkxExchange CreateOkx(OkxSimulator simulator, IReadOnlyDictionary<string, string>? settings = null, string? secret = null, string? passphrase = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["RestBaseUrl"] = simulator.RestBaseUrl,
            ["WsBaseUrl"] = simulator.WsPublicUrl,
            ["WsPrivateUrl"] = simulator.WsPrivateUrl,
            ["WsBusinessUrl"] = simulator.WsBusinessUrl,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            values[key] = value;
        }

        var options = new ConfigurationBuilder().AddInMemoryCollection(values).Build().Get<OkxOptions>()!;
        return new OkxExchange(Options.Create(options), new VenueCredentials(OkxSimulator.DefaultApiKey, secret ?? OkxSimulator.DefaultApiSecret, passphrase ?? OkxSimulator.DefaultPassphrase), TimeProvider.System);
    }
}
