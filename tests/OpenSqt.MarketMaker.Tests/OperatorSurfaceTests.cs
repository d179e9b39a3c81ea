using System.Collections.Concurrent;
using System.Diagnostics;
using OpenSqt.Contracts;
using OpenSqt.ExchangeConnector.Diagnostics;
using OpenSqt.MarketMaker.Telemetry;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Tests;

[Collection(VenueCollection.Name)]
public sealed class OperatorSurfaceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task PositionsOpenOrdersFillsAndPnlAreServedAndStreamedToSubscribers()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var state = Path.Combine(Path.GetTempPath(), $"opensqt-surface-{Guid.NewGuid():N}.db");
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(state));
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");

        using var http = new HttpClient { BaseAddress = engine.HttpAddress };
        Assert.Contains("\"status\":\"Healthy\"", await http.GetStringAsync("/health"), StringComparison.Ordinal);

        using var cts = new CancellationTokenSource(Wait);
        using var subscription = engine.Positions.SubscribePositions(new() { Symbols = { "BTCUSDT" } }, cancellationToken: cts.Token);
        Assert.True(await subscription.ResponseStream.MoveNext(cts.Token));
        Assert.Equal("snapshot", subscription.ResponseStream.Current.UpdateType);
        Assert.Equal(0m, subscription.ResponseStream.Current.Position.Quantity.ToDecimal());

        var venueOpen = (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Select(o => o.ClientOrderId).Order().ToArray();
        var engineOpen = (await engine.Positions.GetOpenOrdersAsync(new())).Orders;
        Assert.Equal(venueOpen, engineOpen.Select(o => o.ClientOrderId).Order().ToArray());
        Assert.All(engineOpen, o => Assert.Equal(W.OrderSide.Buy, o.Side));

        connector.Sim.Trade("BTCUSDT", anchor - 100m, 1m);
        W.PositionUpdate update;
        do
        {
            Assert.True(await subscription.ResponseStream.MoveNext(cts.Token));
            update = subscription.ResponseStream.Current;
        }
        while (update.UpdateType == "mark");

        Assert.Equal("fill", update.UpdateType);
        Assert.Equal(W.OrderStatus.Filled, update.TriggerOrder.Status);
        Assert.Equal(W.OrderSide.Buy, update.TriggerOrder.Side);
        var qty = update.Position.Quantity.ToDecimal();
        Assert.True(qty > 0);
        Assert.Equal(anchor - 100m, update.Position.EntryPrice.ToDecimal());
        Assert.Equal("sim", update.Position.Exchange);

        // Price moves reach subscribers as "mark" updates with the unrealised PnL at the new price.
        connector.Sim.Trade("BTCUSDT", anchor - 50m, 0.001m);
        // The engine values positions at the venue's mark while one is fresh (SymbolEngine.ValuationPrice), and the sim
        // publishes its mark when a one-minute candle closes: a fill trade that crossed the minute left a mark at the fill
        // price, which the trade above does not move. The venue's mark follows the price, as a venue's does every 1-3 s.
        connector.Sim.SetMarkPrice("BTCUSDT", anchor - 50m);
        W.PositionUpdate mark;
        do
        {
            Assert.True(await subscription.ResponseStream.MoveNext(cts.Token));
            mark = subscription.ResponseStream.Current;
        }
        while (mark.UpdateType != "mark" || mark.Position.CurrentPrice.ToDecimal() != anchor - 50m);
        Assert.Equal(50m * qty, mark.Position.UnrealizedPnl.ToDecimal());

        var position = (await engine.Positions.GetPositionsAsync(new())).Positions.Single();
        Assert.Equal(qty, position.Quantity.ToDecimal());
        Assert.Equal((position.CurrentPrice.ToDecimal() - (anchor - 100m)) * qty, position.UnrealizedPnl.ToDecimal());
        var venuePosition = (await connector.Exchange.GetPositionsAsync("BTCUSDT")).Single();
        Assert.Equal(venuePosition.Size, qty);
        var unrealised = await engine.Positions.GetUnrealizedPnLAsync(new());
        Assert.Equal(position.UnrealizedPnl.ToDecimal(), unrealised.TotalPnl.ToDecimal());
        var fill = Assert.Single((await engine.Positions.GetFillsAsync(new())).Fills);
        Assert.Equal("BUY", fill.Side);
        Assert.Equal(Math.Round((anchor - 100m) * qty * 0.0002m, 8, MidpointRounding.AwayFromZero), fill.Fee.ToDecimal());
        var order = await engine.Positions.GetOrderAsync(new() { OrderId = fill.OrderId });
        Assert.Equal(W.OrderStatus.Filled, order.Order.Status);
        Assert.Single(order.Fills);
        Assert.NotEmpty((await engine.Positions.GetPositionHistoryAsync(new() { Symbol = "BTCUSDT" })).Snapshots);

        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("opensqt_engine_orders_placed", metrics, StringComparison.Ordinal);
        Assert.Contains("opensqt_engine_orders_filled", metrics, StringComparison.Ordinal);
        Assert.Contains("opensqt_engine_tick_to_order_duration", metrics, StringComparison.Ordinal);
        Assert.Contains("opensqt_engine_position", metrics, StringComparison.Ordinal);

        // Where the time of a place went, stage by stage, for every stage from the tick to the answer on the writer.
        var stages = metrics.Split('\n').Where(l => l.StartsWith("opensqt_engine_place_stage_duration", StringComparison.Ordinal)).ToArray();
        Assert.All(new[] { PlaceStage.Inbox, PlaceStage.Decide, PlaceStage.Persist, PlaceStage.Limiter, PlaceStage.Send, PlaceStage.Reply },
            stage => Assert.Contains(stages, l => l.Contains($"stage=\"{stage}\"", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task OneTraceCoversTheDecisionTheGrpcCallAndTheVenuesAnswer()
    {
        var activities = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == EngineMetrics.MeterName || s.Name == ConnectorMetrics.ActivitySourceName || s.Name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) || s.Name.StartsWith("System.Net.Http", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Add,
        };
        ActivitySource.AddActivityListener(listener);

        // Traces are built only where they are exported (the service defaults): as under the AppHost, the connector gets
        // an OTLP endpoint, here a loopback port nobody listens on.
        await using var connector = await ConnectorHost.StartAsync(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{ConnectorHost.FreePort()}" });
        var state = Path.Combine(Path.GetTempPath(), $"opensqt-trace-{Guid.NewGuid():N}.db");
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(state));
        await Eventually.TrueAsync(() => activities.Count(a => a.OperationName == "order.place" && (string?)a.GetTagItem("opensqt.outcome") == "Placed") >= 3, Wait, "the grid's first orders were placed");

        // Each place travels on the order entry stream (opened by the first): the connector's handling of each is a server
        // span of its own in that order's trace (the request carries the trace context a unary call's headers would).
        foreach (var place in activities.Where(a => a.OperationName == "order.place" && (string?)a.GetTagItem("opensqt.outcome") == "Placed").ToList())
        {
            var decide = Assert.Single(activities, a => a.OperationName == "grid.decide" && a.SpanId == place.ParentSpanId);
            Assert.Equal(decide.TraceId, place.TraceId);
            await Eventually.TrueAsync(() => activities.Any(a => a.TraceId == place.TraceId && a.Kind == ActivityKind.Server && a.Source.Name == ConnectorMetrics.ActivitySourceName && a.DisplayName == "venue PlaceOrder"), Wait, $"the connector's handling of {place.GetTagItem("opensqt.client_order_id")} is in its trace");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class VenueCollection
{
    public const string Name = "venue";
}
