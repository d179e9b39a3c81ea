using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Framework;
using OpenSqt.VenueSimulators.Okx;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Okx;

/// <summary>The real ExchangeConnector with EXCHANGE=okx, pointed at the simulator's three WebSockets, serving the v1 contract over gRPC.</summary>
public sealed class OkxConnectorEndToEndTests : ConnectorEndToEndTests
{
    protected override string Venue => "okx";

    protected override async Task<IVenueSimulator> StartSimulatorAsync() => await OkxSimulator.StartAsync();

    protected override Dictionary<string, string?> ConnectorSettings(IVenueSimulator simulator)
    {
        var sim = (OkxSimulator)simulator;
        return new()
        {
            ["Exchanges:Okx:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Okx:WsBaseUrl"] = sim.WsPublicUrl,
            ["Exchanges:Okx:WsPrivateUrl"] = sim.WsPrivateUrl,
            ["Exchanges:Okx:WsBusinessUrl"] = sim.WsBusinessUrl,
            ["API_KEY"] = OkxSimulator.DefaultApiKey,
            ["API_SECRET"] = OkxSimulator.DefaultApiSecret,
            ["PASSPHRASE"] = OkxSimulator.DefaultPassphrase,
        };
    }

    /// <summary>OKX is sent contracts, at the ctVal the simulator lists for BTC-USDT-SWAP: 0.002 BTC is 0.2 contracts.</summary>
    protected override void AssertPlacementAsReceived(IVenueSimulator simulator, W.Order placed)
    {
        var sent = simulator.Journal.All.Last(r => r.Method == "POST" && r.Path == "/api/v5/trade/order");
        Assert.Contains("\"instId\":\"BTC-USDT-SWAP\"", sent.Body, StringComparison.Ordinal);
        Assert.Contains("\"sz\":\"0.2\"", sent.Body, StringComparison.Ordinal);
    }
}
