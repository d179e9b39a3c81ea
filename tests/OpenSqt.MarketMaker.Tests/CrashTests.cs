using System.Collections.Concurrent;
using Grpc.Net.Client;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Sim;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Tests;

[Collection(VenueCollection.Name)]
public sealed class CrashTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AfterAKillWithOrdersWorkingAndFillsHappeningTheRestartedEngineHasNoDuplicateNoOrphanAndTheVenuesPosition()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        var venueIds = new ConcurrentDictionary<string, ConcurrentDictionary<string, byte>>(StringComparer.Ordinal);
        using var watch = new CancellationTokenSource();
        var recorder = Task.Run(async () =>
        {
            try
            {
                await foreach (var update in sim.SubscribeOrdersAsync(watch.Token))
                {
                    venueIds.GetOrAdd(update.ClientOrderId ?? "", _ => new()).TryAdd(update.ExchangeOrderId, 0);
                }
            }
            catch (OperationCanceledException)
            {
                // Done recording.
            }
        });

        var state = Path.Combine(Path.GetTempPath(), $"opensqt-crash-{Guid.NewGuid():N}.db");
        var settings = new Dictionary<string, string>
        {
            ["RemoteExchange:Address"] = connector.GrpcAddress.ToString(),
            ["RemoteExchange:InitialBackoff"] = "00:00:00.100",
            ["RemoteExchange:MaxBackoff"] = "00:00:01",
            ["MarketMaker:StatePath"] = state,
            ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
            ["MarketMaker:Symbols:0:PriceInterval"] = "100",
            ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
            ["MarketMaker:Symbols:0:BuyWindowSize"] = "3",
            ["MarketMaker:Symbols:0:CancelOnExit"] = "false",
            ["MarketMaker:Throttle"] = "00:00:00",
            ["MarketMaker:ReconcileInterval"] = "00:00:03",
            ["MarketMaker:RiskControl:Enabled"] = "false",
        };
        var anchor = await sim.GetLatestPriceAsync("BTCUSDT");
        var first = EngineProcess.Start(settings);
        try
        {
            await first.WaitHealthyAsync(Wait);
            await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Buy) == 3, Wait, "three buys work");
            sim.Trade("BTCUSDT", anchor - 100m, 1m);
            await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Sell), Wait, "the first sell works");
            sim.Trade("BTCUSDT", anchor - 200m, 1m);

            // Killed while it reacts to that fill; the market keeps filling its resting orders.
            await first.KillAsync();
        }
        finally
        {
            await first.DisposeAsync();
        }

        sim.Trade("BTCUSDT", anchor - 300m, 1m);
        sim.Trade("BTCUSDT", anchor - 100m, 1m);

        await using var second = EngineProcess.Start(settings);
        await second.WaitHealthyAsync(Wait);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{second.GrpcPort}");
        var positions = new W.PositionService.PositionServiceClient(channel);

        sim.Trade("BTCUSDT", anchor - 200m, 1m);
        sim.Trade("BTCUSDT", anchor, 1m);

        await Eventually.TrueAsync(async () =>
        {
            var venueOpen = (await sim.GetOpenOrdersAsync("BTCUSDT")).Select(o => o.ClientOrderId).Order().ToArray();
            var engineOpen = (await positions.GetOpenOrdersAsync(new())).Orders.Where(o => o.Status is W.OrderStatus.New or W.OrderStatus.PartiallyFilled).Select(o => o.ClientOrderId).Order().ToArray();
            var venuePosition = (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size);
            var enginePosition = (await positions.GetPositionAsync(new() { Symbol = "BTCUSDT" })).Position.Quantity.ToDecimal();
            return venueOpen.Length > 0 && venueOpen.SequenceEqual(engineOpen) && venuePosition == enginePosition;
        }, Wait, "the engine's working orders and position match the venue's");

        await watch.CancelAsync();
        await recorder;
        var duplicates = venueIds.Where(kv => kv.Value.Count > 1).Select(kv => kv.Key).ToArray();
        Assert.Empty(duplicates);
        Assert.All(venueIds.Keys, id => Assert.True(OpenSqt.MarketMaker.Strategy.ClientOrderId.TryParse(id, out _), $"{id} is an engine id"));
        foreach (var order in await sim.GetOpenOrdersAsync("BTCUSDT"))
        {
            var known = await positions.GetOrderAsync(new() { OrderId = order.ClientOrderId });
            Assert.Equal(order.ExchangeOrderId, known.Order.ExchangeOrderId);
        }

        var fills = (await positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" }, Limit = 1000 })).Fills;
        Assert.Equal(fills.Count, fills.Select(f => f.FillId).Distinct().Count());
    }

    /// <summary>
    /// The engine kills itself with SIGKILL at a chosen point of the order lifecycle (MarketMaker:Testing:CrashAt) while
    /// the connector and the venue live on; an engine restarted on the same state file has no duplicate and no orphan
    /// order at the venue, and its books (position, fills, realised PnL of a later round trip) equal the venue's.
    /// </summary>
    [Theory]
    [InlineData("AfterSaveBeforeSend")]
    [InlineData("AfterSendBeforeAck")]
    [InlineData("WhileBookingFill")]
    public async Task AKillAtAChosenPointOfTheOrderLifecycleLeavesNoDuplicateNoOrphanAndBooksEqualToTheVenue(string point)
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        var venueIds = new ConcurrentDictionary<string, ConcurrentDictionary<string, byte>>(StringComparer.Ordinal);
        var venueFills = new ConcurrentDictionary<string, Fill>(StringComparer.Ordinal);
        using var watch = new CancellationTokenSource();
        var recorder = Task.Run(async () =>
        {
            try
            {
                await foreach (var update in sim.SubscribeOrdersAsync(watch.Token))
                {
                    venueIds.GetOrAdd(update.ClientOrderId ?? "", _ => new()).TryAdd(update.ExchangeOrderId, 0);
                    if (update.LastFill is { } fill)
                    {
                        venueFills[fill.TradeId] = fill;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Done recording.
            }
        });

        var state = Path.Combine(Path.GetTempPath(), $"opensqt-crash-{point}-{Guid.NewGuid():N}.db");
        var settings = new Dictionary<string, string>
        {
            ["RemoteExchange:Address"] = connector.GrpcAddress.ToString(),
            ["RemoteExchange:InitialBackoff"] = "00:00:00.100",
            ["RemoteExchange:MaxBackoff"] = "00:00:01",
            ["MarketMaker:StatePath"] = state,
            ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
            ["MarketMaker:Symbols:0:PriceInterval"] = "100",
            ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
            ["MarketMaker:Symbols:0:BuyWindowSize"] = "3",
            ["MarketMaker:Symbols:0:CancelOnExit"] = "false",
            ["MarketMaker:Throttle"] = "00:00:00",
            ["MarketMaker:ReconcileInterval"] = "00:10:00",
            ["MarketMaker:ReconcileConfirmDelay"] = "00:00:00.200",
            ["MarketMaker:RiskControl:Enabled"] = "false",
        };
        var anchor = await sim.GetLatestPriceAsync("BTCUSDT");
        var crashing = new Dictionary<string, string>(settings) { ["MarketMaker:Testing:CrashAt"] = point };
        await using (var first = EngineProcess.Start(crashing))
        {
            if (point == "WhileBookingFill")
            {
                await first.WaitHealthyAsync(Wait);
                await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Buy) == 3, Wait, "three buys work");
                sim.Trade("BTCUSDT", anchor - 100m, 1m);
            }

            // The place points are reached by the first order the engine sends.
            Assert.Equal(137, await first.WaitForExitAsync(Wait));
            Assert.Contains("FAULT INJECTION: MarketMaker:Testing:CrashAt=" + point, first.Output, StringComparison.Ordinal);
            Assert.Contains($"CrashAt={point}: killing the engine process now", first.Output, StringComparison.Ordinal);
        }

        await using var second = EngineProcess.Start(settings);
        await second.WaitHealthyAsync(Wait);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{second.GrpcPort}");
        var positions = new W.PositionService.PositionServiceClient(channel);
        await EqualToTheVenueAsync(sim, positions, "after the restart");

        // A round trip after the restart: its realised PnL is the venue's (which reports it gross of fees).
        sim.Trade("BTCUSDT", anchor - 100m, 1m);
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Sell && o.Price == anchor), Wait, "the sell of the filled buy works");
        sim.Trade("BTCUSDT", anchor, 1m);
        await EqualToTheVenueAsync(sim, positions, "after a round trip");
        await Eventually.TrueAsync(async () => (await positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" }, Limit = 1000 })).Fills.Count == venueFills.Count, Wait, "every venue fill is booked");
        var engineFills = (await positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" }, Limit = 1000 })).Fills;
        Assert.Equal(venueFills.Keys.Order(), engineFills.Select(f => f.FillId).Order());
        var venueRealised = (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.RealizedPnl);
        Assert.NotEqual(0m, venueRealised);
        var engineRealised = (await positions.GetPositionAsync(new() { Symbol = "BTCUSDT" })).Position.RealizedPnl.ToDecimal();
        Assert.Equal(venueRealised, engineRealised + engineFills.Sum(f => f.Fee.ToDecimal()));

        await watch.CancelAsync();
        await recorder;
        Assert.Empty(venueIds.Where(kv => kv.Value.Count > 1).Select(kv => kv.Key));
        Assert.All(venueIds.Keys, id => Assert.True(OpenSqt.MarketMaker.Strategy.ClientOrderId.TryParse(id, out _), $"{id} is an engine id"));
    }

    /// <summary>Every venue order is one the engine tracks as working and the other way round, and the positions are equal.</summary>
    private static Task EqualToTheVenueAsync(SimExchange sim, W.PositionService.PositionServiceClient positions, string when) =>
        Eventually.TrueAsync(async () =>
        {
            var venueOpen = (await sim.GetOpenOrdersAsync("BTCUSDT")).Select(o => o.ClientOrderId).Order().ToArray();
            var engineOpen = (await positions.GetOpenOrdersAsync(new())).Orders.Where(o => o.Status is W.OrderStatus.New or W.OrderStatus.PartiallyFilled).Select(o => o.ClientOrderId).Order().ToArray();
            var venuePosition = (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size);
            var enginePosition = (await positions.GetPositionAsync(new() { Symbol = "BTCUSDT" })).Position.Quantity.ToDecimal();
            return venueOpen.Length >= 2 && venueOpen.SequenceEqual(engineOpen) && venuePosition == enginePosition;
        }, Wait, $"the engine's working orders and position match the venue's {when}");
}
