using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Bybit;
using OpenSqt.VenueSimulators.Framework;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Bybit;

/// <summary>The real ExchangeConnector with EXCHANGE=bybit, pointed at the simulator, serving the v1 contract over gRPC.</summary>
public sealed class BybitConnectorEndToEndTests : ConnectorEndToEndTests
{
    protected override string Venue => "bybit";

    protected override async Task<IVenueSimulator> StartSimulatorAsync() => await BybitSimulator.StartAsync();

    protected override Dictionary<string, string?> ConnectorSettings(IVenueSimulator simulator) => new()
    {
        ["Exchanges:Bybit:RestBaseUrl"] = simulator.RestBaseUrl,
        ["Exchanges:Bybit:WsBaseUrl"] = simulator.WsBaseUrl,
        ["API_KEY"] = BybitSimulator.DefaultApiKey,
        ["API_SECRET"] = BybitSimulator.DefaultApiSecret,
    };

    protected override void AssertPlacementAsReceived(IVenueSimulator simulator, W.Order placed)
    {
        var sent = simulator.Journal.All.Single(r => r.Method == "POST" && r.Path == "/v5/order/create");
        Assert.Contains("\"category\":\"linear\"", sent.Body, StringComparison.Ordinal);
        Assert.Contains("\"qty\":\"0.002\"", sent.Body, StringComparison.Ordinal);
        Assert.Contains("\"orderLinkId\":\"e2e1\"", sent.Body, StringComparison.Ordinal);
    }

    /// <summary>Bybit accepts a post-only order that would take and cancels it: the stream carries the cancel.</summary>
    protected override bool PostOnlyRefusalIsStreamedAsACancel => true;
}
