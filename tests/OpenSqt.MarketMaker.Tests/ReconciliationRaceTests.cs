using Microsoft.Extensions.DependencyInjection;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>
/// Reconciliation against a venue whose snapshot and order stream disagree for a moment, through the real connector and
/// sim: only a difference two runs see is acted on, and a fill is booked once whoever reports it.
/// </summary>
[Collection(VenueCollection.Name)]
public sealed class ReconciliationRaceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static string Db(string name) => Path.Combine(Path.GetTempPath(), $"opensqt-{name}-{Guid.NewGuid():N}.db");

    private static async Task<string> ReconcileAsync(EngineHarness engine)
    {
        var run = await engine.Risk.TriggerReconciliationAsync(new() { Symbol = "BTCUSDT" });
        var status = "running";
        await Eventually.TrueAsync(async () => (status = (await engine.Risk.GetReconciliationStatusAsync(new() { ReconciliationId = run.ReconciliationId })).Status) != "running", Wait, "the reconciliation finishes");
        return status;
    }

    private static List<RiskAlertEvent> Drain(Broadcast<RiskAlertEvent>.Subscription alerts)
    {
        var list = new List<RiskAlertEvent>();
        while (alerts.TryRead(out var alert))
        {
            list.Add(alert);
        }

        return list;
    }

    [Fact]
    public async Task AFillBetweenTheVenuesSnapshotAndTheComparisonIsBookedOnceAndTripsNothing()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        var armed = 0;
        var positionCalls = 0;
        var openOrderCalls = 0;
        var streamHeld = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var anchor = 0m;
        EngineHarness? harness = null;
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("race")), configure: services =>
            services.AddSingleton(sp => ExchangeInterceptor.Create(sp.GetRequiredService<RemoteExchange>(),
                delay: async (_, token) =>
                {
                    // The order stream lags: what the venue did is not heard until released.
                    if (Volatile.Read(ref streamHeld) == 1)
                    {
                        await release.Task.WaitAsync(token);
                    }
                },
                positions: async (inner, symbol, token) =>
                {
                    if (Volatile.Read(ref armed) == 1 && Interlocked.Increment(ref positionCalls) == 1)
                    {
                        // The first run has compared the open orders (the buy still works); now the buy fills, and the
                        // venue's position already has it when the engine's stream does not.
                        Volatile.Write(ref streamHeld, 1);
                        sim.Trade("BTCUSDT", anchor - 100m, 1m);
                    }

                    return await inner.GetPositionsAsync(symbol, token);
                },
                openOrders: async (inner, symbol, token) =>
                {
                    if (Volatile.Read(ref armed) == 1 && Interlocked.Increment(ref openOrderCalls) == 2)
                    {
                        // Between the two runs the stream catches up and books the fill.
                        release.TrySetResult();
                        await Eventually.TrueAsync(() => harness!.Host.Engines["BTCUSDT"].Snapshot.Position > 0, Wait, "the stream's fill is booked");
                    }

                    return await inner.GetOpenOrdersAsync(symbol, token);
                })));
        harness = engine;
        anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");
        var buy = (await sim.GetOpenOrdersAsync("BTCUSDT")).Single(o => o.Price == anchor - 100m);
        using var alerts = engine.RiskState.Alerts.Subscribe();
        Volatile.Write(ref armed, 1);

        Assert.Equal("completed", await ReconcileAsync(engine));

        Assert.Equal(2, Volatile.Read(ref openOrderCalls));
        var venue = (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size);
        Assert.Equal(buy.Quantity, venue);
        Assert.Equal(venue, engine.Host.Engines["BTCUSDT"].Snapshot.Position);
        Assert.False((await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status.IsOpen);
        Assert.Equal(TradingState.Active, engine.RiskState.StateOf("BTCUSDT").State);
        var raised = Drain(alerts).Select(a => a.Type).ToArray();
        Assert.DoesNotContain("position_corrected", raised);
        Assert.DoesNotContain("circuit_breaker_open", raised);
        var fills = (await engine.Positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" }, Limit = 100 })).Fills;
        var fill = Assert.Single(fills);
        Assert.Contains(fill.OrderId, new[] { buy.ClientOrderId, buy.ExchangeOrderId });
        Assert.Equal(W.OrderStatus.Filled, (await engine.Positions.GetOrderAsync(new() { OrderId = buy.ClientOrderId })).Order.Status);

        // The next run finds nothing: the remembered difference was explained by the stream and is forgotten.
        Assert.Equal("completed", await ReconcileAsync(engine));
        Assert.Single((await engine.Positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" }, Limit = 100 })).Fills);
        Assert.Equal(venue, engine.Host.Engines["BTCUSDT"].Snapshot.Position);
        Assert.DoesNotContain(Drain(alerts), a => a.Type is "position_corrected" or "circuit_breaker_open");
    }

    [Fact]
    public async Task AnOrderThatVanishedAtTheVenueWithNothingOnTheStreamIsActedOnAtTheSecondRunNotTheFirst()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sim = connector.Sim;
        string? vanished = null;
        var armed = 0;
        var openOrderCalls = 0;
        var lookups = 0;
        var atSecondRun = new TaskCompletionSource<(int Lookups, bool StillWorking)>(TaskCreationOptions.RunContinuationsAsynchronously);
        EngineHarness? harness = null;
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("vanish")), configure: services =>
            services.AddSingleton(sp => ExchangeInterceptor.Create(sp.GetRequiredService<RemoteExchange>(),
                updates: update => update.ClientOrderId is { } id && id == Volatile.Read(ref vanished) ? [] : [update],
                lookup: (inner, symbol, order, token) =>
                {
                    if (order.ClientOrderId is { } id && id == Volatile.Read(ref vanished))
                    {
                        Interlocked.Increment(ref lookups);
                    }

                    return inner.GetOrderAsync(symbol, order, token);
                },
                openOrders: async (inner, symbol, token) =>
                {
                    if (Volatile.Read(ref armed) == 1 && Interlocked.Increment(ref openOrderCalls) == 2)
                    {
                        var id = Volatile.Read(ref vanished);
                        atSecondRun.TrySetResult((Volatile.Read(ref lookups), harness!.Host.Engines["BTCUSDT"].Snapshot.OpenOrders.Any(o => o.ClientOrderId == id)));
                    }

                    return await inner.GetOpenOrdersAsync(symbol, token);
                })));
        harness = engine;
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");
        var lowest = (await sim.GetOpenOrdersAsync("BTCUSDT")).Single(o => o.Price == anchor - 300m);

        // The order goes at the venue (a venue-side expiry, a cancel from its web page) and the stream never says so.
        Volatile.Write(ref vanished, lowest.ClientOrderId);
        await sim.CancelOrderAsync("BTCUSDT", OrderRef.ByExchangeId(lowest.ExchangeOrderId));
        Volatile.Write(ref armed, 1);

        Assert.Equal("completed", await ReconcileAsync(engine));

        var (lookupsAtSecond, workingAtSecond) = await atSecondRun.Task.WaitAsync(Wait);
        Assert.Equal(0, lookupsAtSecond);
        Assert.True(workingAtSecond, "after the first run the engine still counts the order as working");
        Assert.Equal(1, Volatile.Read(ref lookups));
        Assert.Equal(W.OrderStatus.Canceled, (await engine.Positions.GetOrderAsync(new() { OrderId = lowest.ClientOrderId })).Order.Status);

        // The level is free again and trades with a new order.
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Price == anchor - 300m && o.ClientOrderId != lowest.ClientOrderId), Wait, "the level is placed again");
        Assert.False((await engine.Risk.GetCircuitBreakerStatusAsync(new() { Symbol = "BTCUSDT" })).Status.IsOpen);
    }

    [Fact]
    public async Task AfterTheConnectorReturnsNothingIsPlacedOnAFreshPriceUntilTheReconciliationHasFinished()
    {
        await using var venue = new SharedVenue();
        var sim = venue.Sim;
        var port = ConnectorHost.FreePort();
        var connector = await venue.StartConnectorAsync(port);
        var armed = 0;
        var openOrderCalls = 0;
        var positionCalls = 0;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var beforeFinished = new TaskCompletionSource<IReadOnlyList<decimal>>(TaskCreationOptions.RunContinuationsAsynchronously);
        EngineHarness? harness = null;
        await using var engine = await EngineHarness.StartAsync(new Uri($"http://127.0.0.1:{port}"), EngineHarness.BtcGrid(Db("return")), configure: services =>
            services.AddSingleton(sp => ExchangeInterceptor.Create(sp.GetRequiredService<RemoteExchange>(),
                openOrders: async (inner, symbol, token) =>
                {
                    if (Volatile.Read(ref armed) == 1 && Interlocked.Increment(ref openOrderCalls) == 1)
                    {
                        // The reconciliation after the connector's return is held here while a fresh price arrives.
                        entered.TrySetResult();
                        await release.Task.WaitAsync(token);
                    }

                    return await inner.GetOpenOrdersAsync(symbol, token);
                },
                positions: (inner, symbol, token) =>
                {
                    if (Volatile.Read(ref armed) == 1 && Interlocked.Increment(ref positionCalls) == 1)
                    {
                        // The writer has handled the reconciliation's orders, so it decided on the fresh tick before.
                        beforeFinished.TrySetResult(harness!.Host.Engines["BTCUSDT"].Snapshot.OpenOrders.Select(o => o.Price).ToArray());
                    }

                    return inner.GetPositionsAsync(symbol, token);
                })));
        harness = engine;
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");
        using var alerts = engine.RiskState.Alerts.Subscribe();

        await connector.StopAsync();
        await connector.DisposeAsync();
        await Eventually.TrueAsync(() => engine.RiskState.ConnectorProblem is not null, Wait, "the engine sees the connector gone");

        // While the engine cannot hear, the market fills its highest buy.
        sim.Trade("BTCUSDT", anchor - 100m, 1m);
        var position = (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size);
        Volatile.Write(ref armed, 1);
        await using var restarted = await venue.StartConnectorAsync(port);
        await entered.Task.WaitAsync(Wait);

        // A fresh price (no order rests at it) reaches the engine, which on its old books would add a buy at anchor - 400.
        await Eventually.TrueAsync(() =>
        {
            sim.Trade("BTCUSDT", anchor - 150m, 0.001m);
            return engine.Host.Engines["BTCUSDT"].LastPrice == anchor - 150m;
        }, Wait, "the engine hears a fresh price");
        using (var timeout = new CancellationTokenSource(Wait))
        {
            await foreach (var alert in alerts.ReadAllAsync(timeout.Token))
            {
                if (alert.Type == "price_fresh")
                {
                    break;
                }
            }
        }

        release.TrySetResult();
        var working = await beforeFinished.Task.WaitAsync(Wait);
        Assert.DoesNotContain(anchor - 400m, working);
        Assert.DoesNotContain(working, p => p >= anchor);

        // Once the reconciliation has finished, the missed fill is booked and the grid trades on from the venue's state.
        await Eventually.TrueAsync(() => engine.Host.Engines["BTCUSDT"].Snapshot.Position == position, Wait, "the missed fill is booked");
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Price == anchor - 400m), Wait, "the grid places its next buy");
        Assert.Single((await engine.Positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" }, Limit = 100 })).Fills);
    }
}
