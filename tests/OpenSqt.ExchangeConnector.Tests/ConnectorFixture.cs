using Grpc.Core;
using Grpc.Net.Client;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>One real connector on loopback, shared by the tests of a class.</summary>
public sealed class ConnectorFixture : IAsyncLifetime
{
    public ConnectorHost Host { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public W.ExchangeService.ExchangeServiceClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Host = await ConnectorHost.StartAsync();
        Channel = Host.CreateChannel();
        Client = Host.CreateClient(Channel);
        Host.Sim.Trade("BTCUSDT", 95_000m, 0m);
        Host.Sim.Trade("ETHUSDT", 3_400m, 0m);
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        await Host.DisposeAsync();
    }
}

internal static class Wire
{
    public static Google.Type.Decimal D(string value) => new() { Value = value };

    public static W.PlaceOrderRequest Limit(W.OrderSide side, string price, string quantity, string clientOrderId, string symbol = "BTCUSDT") => new()
    {
        Symbol = symbol,
        Side = side,
        Type = W.OrderType.Limit,
        TimeInForce = W.TimeInForce.Gtc,
        Price = D(price),
        Quantity = D(quantity),
        ClientOrderId = clientOrderId,
    };

    public static async Task<RpcException> Fails(Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        return ex;
    }
}
