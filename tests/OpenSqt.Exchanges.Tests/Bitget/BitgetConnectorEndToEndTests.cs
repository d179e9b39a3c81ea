using Grpc.Core;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bitget;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Bitget;

/// <summary>The real ExchangeConnector with EXCHANGE=bitget, pointed at the simulator, serving the v1 contract over gRPC.</summary>
public sealed class BitgetConnectorEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConnectorServesPlaceStreamAndCancelOverGrpc()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var host = await ConnectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["EXCHANGE"] = "bitget",
            ["Exchanges:Bitget:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Bitget:WsBaseUrl"] = sim.PublicWsUrl,
            ["Exchanges:Bitget:WsPrivateUrl"] = sim.PrivateWsUrl,
            ["API_KEY"] = BitgetSimulator.DefaultApiKey,
            ["API_SECRET"] = BitgetSimulator.DefaultApiSecret,
            ["PASSPHRASE"] = BitgetSimulator.DefaultPassphrase,
        });
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        Assert.Equal("bitget", (await client.GetNameAsync(new W.GetNameRequest())).Name);

        using var call = client.SubscribeOrders(new W.SubscribeOrdersRequest());
        await using var updates = new StreamRecorder<W.OrderUpdate>(ct => call.ResponseStream.ReadAllAsync(ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the connector logged in and subscribed the Bitget private channels");

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
        var sent = sim.Journal.All.Single(r => r.Method == "POST" && r.Path == "/api/v2/mix/order/place-order");
        Assert.Contains("\"size\":\"0.003\"", sent.Body, StringComparison.Ordinal);
        Assert.Contains("\"side\":\"sell\"", sent.Body, StringComparison.Ordinal);
        Assert.Contains("\"clientOid\":\"e2e1\"", sent.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("tradeSide", sent.Body, StringComparison.Ordinal);
        await updates.WaitForAsync(u => u.ClientOrderId == "e2e1" && u.Status == W.OrderStatus.New, "the NEW update over gRPC", Timeout);

        await client.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT", ClientOrderId = "e2e1" });
        await updates.WaitForAsync(u => u.ClientOrderId == "e2e1" && u.Status == W.OrderStatus.Canceled, "the CANCELED update over gRPC", Timeout);
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync("BTCUSDT"));

        var postOnly = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.PlaceOrderAsync((request with { ClientOrderId = "e2e2", Side = OrderSide.Buy, Price = last + 100m, PostOnly = true }).ToWire()));
        Assert.Equal(StatusCode.FailedPrecondition, postOnly.StatusCode);
    }
}
