using Grpc.Core;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Binance;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Binance;

/// <summary>The real ExchangeConnector with EXCHANGE=binance, pointed at the simulator, serving the v1 contract over gRPC.</summary>
public sealed class BinanceConnectorEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConnectorServesPlaceStreamAndCancelOverGrpc()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var host = await ConnectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["EXCHANGE"] = "binance",
            ["Exchanges:Binance:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Binance:WsBaseUrl"] = sim.WsBaseUrl,
            ["API_KEY"] = BinanceSimulator.DefaultApiKey,
            ["API_SECRET"] = BinanceSimulator.DefaultApiSecret,
        });
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        Assert.Equal("binance", (await client.GetNameAsync(new W.GetNameRequest())).Name);

        using var call = client.SubscribeOrders(new W.SubscribeOrdersRequest());
        await using var updates = new StreamRecorder<W.OrderUpdate>(ct => call.ResponseStream.ReadAllAsync(ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the connector opened the Binance user stream");

        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var request = new OrderRequest
        {
            Symbol = "BTCUSDT",
            Side = OrderSide.Buy,
            Type = OrderType.Limit,
            Price = last - 1000m,
            Quantity = 0.002m,
            ClientOrderId = "e2e1",
        };
        var placed = await client.PlaceOrderAsync(request.ToWire());
        Assert.Equal(W.OrderStatus.New, placed.Status);
        Assert.Equal("e2e1", placed.ClientOrderId);
        await updates.WaitForAsync(u => u.ClientOrderId == "e2e1" && u.Status == W.OrderStatus.New, "the NEW update over gRPC", Timeout);

        await client.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT", ClientOrderId = "e2e1" });
        await updates.WaitForAsync(u => u.ClientOrderId == "e2e1" && u.Status == W.OrderStatus.Canceled, "the CANCELED update over gRPC", Timeout);
        Assert.Empty((await sim.Engine.GetOpenOrdersAsync("BTCUSDT")));

        var postOnly = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.PlaceOrderAsync((request with { ClientOrderId = "e2e2", Price = last + 100m, PostOnly = true }).ToWire()));
        Assert.Equal(StatusCode.FailedPrecondition, postOnly.StatusCode);
    }
}
