using Grpc.Core;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Gate;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Gate;

/// <summary>The real ExchangeConnector with EXCHANGE=gate, pointed at the simulator, serving the v1 contract over gRPC.</summary>
public sealed class GateConnectorEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConnectorServesPlaceStreamAndCancelOverGrpcInBaseUnits()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var host = await ConnectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["EXCHANGE"] = "gate",
            ["Exchanges:Gate:RestBaseUrl"] = sim.ApiBaseUrl,
            ["Exchanges:Gate:WsBaseUrl"] = sim.FuturesWsUrl,
            ["API_KEY"] = GateSimulator.DefaultApiKey,
            ["API_SECRET"] = GateSimulator.DefaultApiSecret,
        });
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        Assert.Equal("gate", (await client.GetNameAsync(new W.GetNameRequest())).Name);

        using var call = client.SubscribeOrders(new W.SubscribeOrdersRequest());
        await using var updates = new StreamRecorder<W.OrderUpdate>(ct => call.ResponseStream.ReadAllAsync(ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the connector subscribed the Gate private channels");

        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var request = new OrderRequest
        {
            Symbol = "BTCUSDT",
            Side = OrderSide.Sell,
            Type = OrderType.Limit,
            Price = last + 1000m,
            Quantity = 0.003m,
            ClientOrderId = "e2e1",
        };
        var placed = await client.PlaceOrderAsync(request.ToWire());
        Assert.Equal(W.OrderStatus.New, placed.Status);
        Assert.Equal("e2e1", placed.ClientOrderId);
        Assert.Equal("0.003", placed.Quantity.Value);
        var sent = sim.Journal.All.Single(r => r.Method == "POST" && r.Path == "/api/v4/futures/usdt/orders");
        Assert.Contains("\"size\":-3", sent.Body, StringComparison.Ordinal);
        Assert.Contains("\"text\":\"t-e2e1\"", sent.Body, StringComparison.Ordinal);
        await updates.WaitForAsync(u => u.ClientOrderId == "e2e1" && u.Status == W.OrderStatus.New, "the NEW update over gRPC", Timeout);

        await client.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT", ClientOrderId = "e2e1" });
        await updates.WaitForAsync(u => u.ClientOrderId == "e2e1" && u.Status == W.OrderStatus.Canceled, "the CANCELED update over gRPC", Timeout);
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync("BTCUSDT"));

        var postOnly = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.PlaceOrderAsync((request with { ClientOrderId = "e2e2", Side = OrderSide.Buy, Price = last + 100m, PostOnly = true }).ToWire()));
        Assert.Equal(StatusCode.FailedPrecondition, postOnly.StatusCode);
    }
}
