using Grpc.Core;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bybit;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Bybit;

/// <summary>The real ExchangeConnector with EXCHANGE=bybit, pointed at the simulator, serving the v1 contract over gRPC.</summary>
public sealed class BybitConnectorEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConnectorServesPlaceStreamAndCancelOverGrpc()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var host = await ConnectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["EXCHANGE"] = "bybit",
            ["Exchanges:Bybit:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Bybit:WsBaseUrl"] = sim.WsBaseUrl,
            ["API_KEY"] = BybitSimulator.DefaultApiKey,
            ["API_SECRET"] = BybitSimulator.DefaultApiSecret,
        });
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        Assert.Equal("bybit", (await client.GetNameAsync(new W.GetNameRequest())).Name);

        using var call = client.SubscribeOrders(new W.SubscribeOrdersRequest());
        await using var updates = new StreamRecorder<W.OrderUpdate>(ct => call.ResponseStream.ReadAllAsync(ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the connector authenticated on the Bybit private stream");

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
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync("BTCUSDT"));

        var postOnly = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.PlaceOrderAsync((request with { ClientOrderId = "e2e2", Price = last + 100m, PostOnly = true }).ToWire()));
        Assert.Equal(StatusCode.FailedPrecondition, postOnly.StatusCode);
        await updates.WaitForAsync(u => u.ClientOrderId == "e2e2" && u.Status == W.OrderStatus.Canceled, "the post-only order's Cancelled event over gRPC", Timeout);
    }
}
