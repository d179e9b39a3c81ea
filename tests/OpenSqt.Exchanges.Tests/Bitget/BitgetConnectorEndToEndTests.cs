using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Bitget;
using OpenSqt.VenueSimulators.Framework;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Bitget;

/// <summary>The real ExchangeConnector with EXCHANGE=bitget, pointed at the simulator, serving the v1 contract over gRPC.</summary>
public sealed class BitgetConnectorEndToEndTests : ConnectorEndToEndTests
{
    protected override string Venue => "bitget";

    protected override async Task<IVenueSimulator> StartSimulatorAsync() => await BitgetSimulator.StartAsync();

    protected override Dictionary<string, string?> ConnectorSettings(IVenueSimulator simulator)
    {
        var sim = (BitgetSimulator)simulator;
        return new()
        {
            ["Exchanges:Bitget:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Bitget:WsBaseUrl"] = sim.PublicWsUrl,
            ["Exchanges:Bitget:WsPrivateUrl"] = sim.PrivateWsUrl,
            ["API_KEY"] = BitgetSimulator.DefaultApiKey,
            ["API_SECRET"] = BitgetSimulator.DefaultApiSecret,
            ["PASSPHRASE"] = BitgetSimulator.DefaultPassphrase,
        };
    }

    /// <summary>A sell, so the one-way order's side and size are both visible on the wire.</summary>
    protected override OrderRequest RestingOrder(decimal last) => base.RestingOrder(last) with { Side = OrderSide.Sell, Price = last + 1000m, Quantity = 0.003m };

    protected override void AssertPlacementAsReceived(IVenueSimulator simulator, W.Order placed)
    {
        Assert.Equal("0.003", placed.Quantity.Value);
        var sent = simulator.Journal.All.Single(r => r.Method == "POST" && r.Path == "/api/v2/mix/order/place-order");
        Assert.Contains("\"size\":\"0.003\"", sent.Body, StringComparison.Ordinal);
        Assert.Contains("\"side\":\"sell\"", sent.Body, StringComparison.Ordinal);
        Assert.Contains("\"clientOid\":\"e2e1\"", sent.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("tradeSide", sent.Body, StringComparison.Ordinal);
    }
}
