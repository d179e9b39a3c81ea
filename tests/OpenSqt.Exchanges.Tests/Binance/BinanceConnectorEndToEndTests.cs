using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Binance;
using OpenSqt.VenueSimulators.Framework;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Binance;

/// <summary>The real ExchangeConnector with EXCHANGE=binance, pointed at the simulator, serving the v1 contract over gRPC.</summary>
public sealed class BinanceConnectorEndToEndTests : ConnectorEndToEndTests
{
    protected override string Venue => "binance";

    protected override async Task<IVenueSimulator> StartSimulatorAsync() => await BinanceSimulator.StartAsync();

    protected override Dictionary<string, string?> ConnectorSettings(IVenueSimulator simulator) => new()
    {
        ["Exchanges:Binance:RestBaseUrl"] = simulator.RestBaseUrl,
        ["Exchanges:Binance:WsBaseUrl"] = simulator.WsBaseUrl,
        ["API_KEY"] = BinanceSimulator.DefaultApiKey,
        ["API_SECRET"] = BinanceSimulator.DefaultApiSecret,
    };

    protected override void AssertPlacementAsReceived(IVenueSimulator simulator, W.Order placed)
    {
        var sent = simulator.Journal.All.Single(r => r.Method == "POST" && r.Path == "/fapi/v1/order");
        Assert.Contains("symbol=BTCUSDT&side=BUY&type=LIMIT&", sent.RawQuery + sent.Body, StringComparison.Ordinal);
        Assert.Contains("quantity=0.002", sent.RawQuery + sent.Body, StringComparison.Ordinal);
        Assert.Contains("newClientOrderId=e2e1", sent.RawQuery + sent.Body, StringComparison.Ordinal);
    }
}
