using Grpc.Core;
using OpenSqt.Contracts;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Framework;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.Exchanges.Tests.Conformance;

/// <summary>
/// The real ExchangeConnector with EXCHANGE set to a venue, pointed at the venue's simulator, serving the v1 contract
/// over gRPC: a resting order is placed and streamed NEW, cancelled and streamed CANCELED, and a post-only order that
/// would take is refused as FailedPrecondition. A venue's test class says how to start its simulator and configure the
/// connector, and checks the placement as the venue received it.
/// </summary>
public abstract class ConnectorEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    protected const string Symbol = "BTCUSDT";

    /// <summary>The EXCHANGE setting, which is also the name the connector serves.</summary>
    protected abstract string Venue { get; }

    protected abstract Task<IVenueSimulator> StartSimulatorAsync();

    /// <summary>The connector's settings for the venue beyond EXCHANGE: its URLs on the simulator and the credentials.</summary>
    protected abstract Dictionary<string, string?> ConnectorSettings(IVenueSimulator simulator);

    /// <summary>The order placed first: a limit order far enough from <paramref name="last"/> to rest.</summary>
    protected virtual OrderRequest RestingOrder(decimal last) => new()
    {
        Symbol = Symbol,
        Side = OrderSide.Buy,
        Type = OrderType.Limit,
        Price = last - 1000m,
        Quantity = 0.002m,
        ClientOrderId = "e2e1",
    };

    /// <summary>Checks the resting order's placement as the venue received it (field names, wire units).</summary>
    protected abstract void AssertPlacementAsReceived(IVenueSimulator simulator, W.Order placed);

    /// <summary>Whether the venue accepts a post-only order that would take and then cancels it on the stream (Bybit).</summary>
    protected virtual bool PostOnlyRefusalIsStreamedAsACancel => false;

    [Fact]
    public async Task ConnectorServesPlaceStreamAndCancelOverGrpc()
    {
        await using var sim = await StartSimulatorAsync();
        var settings = ConnectorSettings(sim);
        settings["EXCHANGE"] = Venue;
        await using var host = await ConnectorHost.StartAsync(settings);
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        Assert.Equal(Venue, (await client.GetNameAsync(new W.GetNameRequest())).Name);

        using var call = client.SubscribeOrders(new W.SubscribeOrdersRequest());
        await using var updates = new StreamRecorder<W.OrderUpdate>(ct => call.ResponseStream.ReadAllAsync(ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, $"the connector opened the {Venue} private stream");

        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var request = RestingOrder(last);
        var placed = await client.PlaceOrderAsync(request.ToWire());
        Assert.Equal(W.OrderStatus.New, placed.Status);
        Assert.Equal(request.ClientOrderId, placed.ClientOrderId);
        AssertPlacementAsReceived(sim, placed);
        var update = await updates.WaitForAsync(u => u.ClientOrderId == request.ClientOrderId && u.Status == W.OrderStatus.New, "the NEW update over gRPC", Timeout);
        Assert.Equal(request.Quantity, update.ToDomain().Quantity);

        await client.CancelOrderAsync(new W.CancelOrderRequest { Symbol = Symbol, ClientOrderId = request.ClientOrderId });
        await updates.WaitForAsync(u => u.ClientOrderId == request.ClientOrderId && u.Status == W.OrderStatus.Canceled, "the CANCELED update over gRPC", Timeout);
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync(Symbol));

        var postOnly = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.PlaceOrderAsync((request with { ClientOrderId = "e2e2", Side = OrderSide.Buy, Price = last + 100m, PostOnly = true }).ToWire()));
        Assert.Equal(StatusCode.FailedPrecondition, postOnly.StatusCode);
        if (PostOnlyRefusalIsStreamedAsACancel)
        {
            await updates.WaitForAsync(u => u.ClientOrderId == "e2e2" && u.Status == W.OrderStatus.Canceled, "the post-only order's CANCELED update over gRPC", Timeout);
        }
    }
}
