using Grpc.Core;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Okx;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Okx;

/// <summary>The real ExchangeConnector with EXCHANGE=okx, pointed at the simulator's three WebSockets, serving the v1 contract over gRPC.</summary>
public sealed class OkxConnectorEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConnectorServesPlaceStreamCandlesAndCancelOverGrpc()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var host = await ConnectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["EXCHANGE"] = "okx",
            ["Exchanges:Okx:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Okx:WsBaseUrl"] = sim.WsPublicUrl,
            ["Exchanges:Okx:WsPrivateUrl"] = sim.WsPrivateUrl,
            ["Exchanges:Okx:WsBusinessUrl"] = sim.WsBusinessUrl,
            ["API_KEY"] = OkxSimulator.DefaultApiKey,
            ["API_SECRET"] = OkxSimulator.DefaultApiSecret,
            ["PASSPHRASE"] = OkxSimulator.DefaultPassphrase,
        });
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        Assert.Equal("okx", (await client.GetNameAsync(new W.GetNameRequest())).Name);

        using var call = client.SubscribeOrders(new W.SubscribeOrdersRequest());
        await using var updates = new StreamRecorder<W.OrderUpdate>(ct => call.ResponseStream.ReadAllAsync(ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the connector logged in on the OKX private stream");

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
        var place = sim.Journal.All.Last(r => r.Method == "POST" && r.Path == "/api/v5/trade/order");
        Assert.Contains("\"instId\":\"BTC-USDT-SWAP\"", place.Body, StringComparison.Ordinal);
        Assert.Contains("\"sz\":\"0.2\"", place.Body, StringComparison.Ordinal);
        var update = await updates.WaitForAsync(u => u.ClientOrderId == "e2e1" && u.Status == W.OrderStatus.New, "the NEW update over gRPC", Timeout);
        Assert.Equal(0.002m, update.ToDomain().Quantity);

        await client.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT", ClientOrderId = "e2e1" });
        await updates.WaitForAsync(u => u.ClientOrderId == "e2e1" && u.Status == W.OrderStatus.Canceled, "the CANCELED update over gRPC", Timeout);
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync("BTCUSDT"));

        var postOnly = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.PlaceOrderAsync((request with { ClientOrderId = "e2e2", Price = last + 100m, PostOnly = true }).ToWire()));
        Assert.Equal(StatusCode.FailedPrecondition, postOnly.StatusCode);
    }
}
