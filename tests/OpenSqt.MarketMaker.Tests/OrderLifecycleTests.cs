using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>The order lifecycle through the real connector and sim when the venue's answers race the engine's calls.</summary>
[Collection(VenueCollection.Name)]
public sealed class OrderLifecycleTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static Action<IServiceCollection> Intercept(Func<IExchange, IExchange> wrap) =>
        services => services.AddSingleton(sp => wrap(sp.GetRequiredService<RemoteExchange>()));

    private static string Db(string name) => Path.Combine(Path.GetTempPath(), $"opensqt-{name}-{Guid.NewGuid():N}.db");

    /// <summary>The venue's order by client id, or null while the venue does not know it.</summary>
    private static async Task<Order?> VenueOrderAsync(ConnectorHost connector, string clientOrderId)
    {
        try
        {
            return await connector.Exchange.GetOrderAsync("BTCUSDT", OrderRef.ByClientId(clientOrderId));
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound)
        {
            return null;
        }
    }

    [Fact]
    public async Task ACancelThatOvertakesItsPlaceIsSentAgainWhenTheOrderTurnsUpWorkingAndTheSlotWaitsForTheVenue()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var anchor = await connector.Sim.GetLatestPriceAsync("BTCUSDT");
        var held = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstCancelAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancels = new ConcurrentQueue<OrderRef>();
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("overtake")), configure: Intercept(real => ExchangeInterceptor.Create(real,
            place: async (inner, request, token) =>
            {
                if (request.Price == anchor - 300m && held.TrySetResult(request.ClientOrderId!))
                {
                    // The lowest buy's place is slow: it reaches the venue only after the engine's cancel of it.
                    await firstCancelAnswered.Task.WaitAsync(token);
                }

                return await inner.PlaceOrderAsync(request, token);
            },
            cancel: async (inner, symbol, order, token) =>
            {
                var id = order.ClientOrderId ?? "";
                cancels.Enqueue(order);
                try
                {
                    await inner.CancelOrderAsync(symbol, order, token);
                }
                finally
                {
                    if (held.Task.IsCompleted && id == await held.Task)
                    {
                        firstCancelAnswered.TrySetResult();
                    }
                }
            })));

        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 2, Wait, "two buys work, the third is in flight");
        var heldId = await held.Task.WaitAsync(Wait);

        // The price rises a level: the in-flight buy leaves the window and is cancelled before its place arrives.
        connector.Sim.Trade("BTCUSDT", anchor + 100m, 0.001m);
        await firstCancelAnswered.Task.WaitAsync(Wait);

        await Eventually.TrueAsync(async () => (await VenueOrderAsync(connector, heldId))?.Status == OrderStatus.Canceled, Wait,
            "the order that landed after its cancel is cancelled again");
        var landed = (await VenueOrderAsync(connector, heldId))!;
        Assert.Equal(2, cancels.Count(c => c.ClientOrderId == heldId || c.ExchangeOrderId == landed.ExchangeOrderId));
        await Eventually.TrueAsync(async () => (await engine.Positions.GetOrderAsync(new() { OrderId = heldId })).Order.Status == W.OrderStatus.Canceled, Wait, "the engine books it cancelled");
        var venueOpen = await connector.Exchange.GetOpenOrdersAsync("BTCUSDT");
        Assert.DoesNotContain(venueOpen, o => o.ClientOrderId == heldId);
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == engine.Host.Engines["BTCUSDT"].Snapshot.WorkingOrders, Wait,
            "the engine's working orders are the venue's");
    }
}
