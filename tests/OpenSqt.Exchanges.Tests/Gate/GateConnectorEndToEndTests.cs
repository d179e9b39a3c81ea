using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Framework;
using OpenSqt.VenueSimulators.Gate;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Gate;

/// <summary>
/// The real ExchangeConnector with EXCHANGE=gate, pointed at the simulator, serving the v1 contract over gRPC in base
/// units while Gate is sent contracts.
/// </summary>
public sealed class GateConnectorEndToEndTests : ConnectorEndToEndTests
{
    protected override string Venue => "gate";

    protected override async Task<IVenueSimulator> StartSimulatorAsync() => await GateSimulator.StartAsync();

    protected override Dictionary<string, string?> ConnectorSettings(IVenueSimulator simulator)
    {
        var sim = (GateSimulator)simulator;
        return new()
        {
            ["Exchanges:Gate:RestBaseUrl"] = sim.ApiBaseUrl,
            ["Exchanges:Gate:WsBaseUrl"] = sim.FuturesWsUrl,
            ["API_KEY"] = GateSimulator.DefaultApiKey,
            ["API_SECRET"] = GateSimulator.DefaultApiSecret,
        };
    }

    /// <summary>A sell, so the signed contract size shows the side on the wire.</summary>
    protected override OrderRequest RestingOrder(decimal last) => base.RestingOrder(last) with { Side = OrderSide.Sell, Price = last + 1000m, Quantity = 0.003m };

    protected override void AssertPlacementAsReceived(IVenueSimulator simulator, W.Order placed)
    {
        Assert.Equal("0.003", placed.Quantity.Value);
        var sent = simulator.Journal.All.Single(r => r.Method == "POST" && r.Path == "/api/v4/futures/usdt/orders");
        Assert.Contains("\"size\":-3", sent.Body, StringComparison.Ordinal);
        Assert.Contains("\"text\":\"t-e2e1\"", sent.Body, StringComparison.Ordinal);
    }
}
