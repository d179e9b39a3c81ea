using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.Exchanges.Sim;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Options;
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

    [Fact]
    public async Task ARefusalForGoodParksTheLevelWithADoublingBackoffAndAnAlertInsteadOfAStormOfPlaces()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var anchor = await connector.Sim.GetLatestPriceAsync("BTCUSDT");
        var attempts = new ConcurrentQueue<TimeSpan>();
        var clock = Stopwatch.StartNew();
        var settings = EngineHarness.BtcGrid(Db("refusal"));
        settings["MarketMaker:Symbols:0:RefusalBackoffSeconds"] = "1";
        await using var engine = await EngineHarness.StartAsync(connector, settings, configure: Intercept(real => ExchangeInterceptor.Create(real, (inner, request, token) =>
        {
            if (request.Price != anchor - 200m)
            {
                return inner.PlaceOrderAsync(request, token);
            }

            attempts.Enqueue(clock.Elapsed);
            return Task.FromException<Order>(new ExchangeException(ExchangeErrorKind.InvalidArgument, "order notional below the symbol's minimum"));
        })));
        using var alerts = engine.RiskState.Alerts.Subscribe();
        using var timeout = new CancellationTokenSource(Wait);

        // Refused twice more over time, each time after a longer wait: 1 s, then 2 s.
        await Eventually.TrueAsync(() => attempts.Count >= 3, Wait, "the refused level is tried again after its backoff");
        var times = attempts.ToArray();
        Assert.True(times[1] - times[0] >= TimeSpan.FromSeconds(0.95), $"second place {times[1] - times[0]} after the first");
        Assert.True(times[2] - times[1] >= TimeSpan.FromSeconds(1.95), $"third place {times[2] - times[1]} after the second");
        await foreach (var alert in alerts.ReadAllAsync(timeout.Token))
        {
            if (alert.Type == "order_refused")
            {
                Assert.Contains("is parked until", alert.Message, StringComparison.Ordinal);
                Assert.Contains("InvalidArgument", alert.Message, StringComparison.Ordinal);
                break;
            }
        }

        // The other levels trade as usual.
        Assert.Equal(2, (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count);
    }

    [Fact]
    public async Task OneSymbolsStormOfPlacesWaitsInItsOwnQueueAndNeverHoldsUpAnotherSymbolsCancel()
    {
        await using var sim = new SimExchange(Microsoft.Extensions.Options.Options.Create(new SimVenueOptions { AutoAdvance = false }), TimeProvider.System);
        var options = new MarketMakerOptions { RateLimit = new RateLimitOptions { OrdersPerSecond = 25, Burst = 30, PerSymbolOrdersPerSecond = 5, PerSymbolBurst = 5 } };
        var gateway = new OrderGateway(sim, Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<OrderGateway>.Instance);
        var rules = await sim.GetSymbolInfoAsync("BTCUSDT");
        var price = rules.RoundPrice(await sim.GetLatestPriceAsync("BTCUSDT") * 0.9m);
        var quantity = rules.RoundQuantityDown(300m / price);
        var placed = 0;
        var storm = Enumerable.Range(0, 40).Select(async i =>
        {
            var outcome = await gateway.PlaceAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Quantity = quantity, Price = price, ClientOrderId = $"storm{i}" }, CancellationToken.None);
            Assert.Equal(PlaceResult.Placed, outcome.Result);
            Interlocked.Increment(ref placed);
        }).ToArray();

        var cancel = await gateway.CancelAsync("ETHUSDT", null, "nothing", CancellationToken.None);
        var placedBeforeTheCancel = Volatile.Read(ref placed);
        await Task.WhenAll(storm).WaitAsync(Wait);
        Assert.Equal(CancelResult.Done, cancel.Result);
        Assert.True(placedBeforeTheCancel <= 10, $"{placedBeforeTheCancel} of BTC's 40 places went before ETH's cancel");
        Assert.Equal(40, placed);
    }

    [Fact]
    public async Task ALookupThatFindsTheOrderInAStatusTheConnectorDoesNotKnowStaysUnresolved()
    {
        await using var sim = new SimExchange(Microsoft.Extensions.Options.Options.Create(new SimVenueOptions { AutoAdvance = false }), TimeProvider.System);
        var rules = await sim.GetSymbolInfoAsync("BTCUSDT");
        var price = rules.RoundPrice(await sim.GetLatestPriceAsync("BTCUSDT") * 0.9m);
        await sim.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Quantity = rules.RoundQuantityDown(300m / price), Price = price, ClientOrderId = "odd1" });
        var venue = ExchangeInterceptor.Create(sim, lookup: async (inner, symbol, order, token) => (await inner.GetOrderAsync(symbol, order, token)) with { Status = OrderStatus.Unknown });
        var gateway = new OrderGateway(venue, Microsoft.Extensions.Options.Options.Create(new MarketMakerOptions()), TimeProvider.System, NullLogger<OrderGateway>.Instance);

        // The order exists, but whether it works or is final is not known: neither found (its state would be applied)
        // nor not found (its level would be freed and placed again).
        var lookup = await gateway.LookupAsync("BTCUSDT", "odd1", CancellationToken.None);
        Assert.Equal(LookupResult.Unresolved, lookup.Result);
        Assert.Contains("does not know", lookup.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APlaceOfUnknownOutcomeThatTheVenueDoesNotKnowYetKeepsItsLevelUntilTheVenuesWindowHasPassed()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var late = new ConcurrentDictionary<string, OrderRequest>(StringComparer.Ordinal);
        var sent = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var settings = EngineHarness.BtcGrid(Db("late"));
        settings["MarketMaker:Retry:PlaceOutcomeWindow"] = "00:00:01";
        await using var engine = await EngineHarness.StartAsync(connector, settings, configure: Intercept(real => ExchangeInterceptor.Create(real,
            place: (_, request, _) =>
            {
                // The request is on its way to the venue when the connection drops: it lands only later.
                sent.AddOrUpdate(request.ClientOrderId!, 1, (_, n) => n + 1);
                late[request.ClientOrderId!] = request;
                return Task.FromException<Order>(new ExchangeException(ExchangeErrorKind.UnknownOutcome, "deadline exceeded after the request was sent"));
            },
            lookup: async (inner, symbol, order, token) =>
            {
                try
                {
                    return await inner.GetOrderAsync(symbol, order, token);
                }
                catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.NotFound && order.ClientOrderId is { } id && late.TryRemove(id, out var request))
                {
                    // The first lookup does not find it; the request lands right after.
                    await inner.PlaceOrderAsync(request, token);
                    throw;
                }
            })));

        await Eventually.TrueAsync(async () =>
        {
            var engineOpen = (await engine.Positions.GetOpenOrdersAsync(new())).Orders;
            return engineOpen.Count == 3 && engineOpen.All(o => o.Status == W.OrderStatus.New && o.ExchangeOrderId.Length > 0);
        }, Wait, "the engine adopted the three orders that landed late");
        var venueOpen = await connector.Exchange.GetOpenOrdersAsync("BTCUSDT");
        Assert.Equal(3, venueOpen.Count);
        Assert.Equal(3, venueOpen.Select(o => o.Price).Distinct().Count());
        Assert.Equal(3, sent.Count);
        Assert.All(sent.Values, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task AnInternalErrorOnPlaceIsAnUnknownOutcomeResolvedByClientIdNotARefusal()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sent = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("internal")), configure: Intercept(real => ExchangeInterceptor.Create(real, async (inner, request, token) =>
        {
            sent.AddOrUpdate(request.ClientOrderId!, 1, (_, n) => n + 1);
            await inner.PlaceOrderAsync(request, token);

            // The venue took it and answered with an internal error (Binance: HTTP 5xx, "execution status unknown").
            throw new ExchangeException(ExchangeErrorKind.Unknown, "internal server error");
        })));

        await Eventually.TrueAsync(async () => (await engine.Positions.GetOpenOrdersAsync(new())).Orders.Count(o => o.ExchangeOrderId.Length > 0) == 3, Wait, "the engine adopted its three orders");
        var venueOpen = await connector.Exchange.GetOpenOrdersAsync("BTCUSDT");
        Assert.Equal(3, venueOpen.Count);
        Assert.Equal(3, sent.Count);
        Assert.DoesNotContain((await engine.Positions.GetOrderHistoryAsync(new())).Orders, o => o.Status == W.OrderStatus.Rejected);
    }

    [Fact]
    public async Task WhenAnotherProcessHoldsTheStateFilesWriteLockTheEngineHaltsSaysWhyAndSendsNothingItCouldNotSave()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var state = Db("storefail");
        var places = 0;
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(state), configure: Intercept(real => ExchangeInterceptor.Create(real, (inner, request, token) =>
        {
            Interlocked.Increment(ref places);
            return inner.PlaceOrderAsync(request, token);
        })));
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");
        var placedBefore = Volatile.Read(ref places);

        // Another process takes the state file's write lock and keeps it: the engine's writes time out.
        await using var blocker = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={state};Pooling=False");
        await blocker.OpenAsync();
        await using var exclusive = blocker.CreateCommand();
        exclusive.CommandText = "PRAGMA busy_timeout=0; BEGIN EXCLUSIVE;";
        await exclusive.ExecuteNonQueryAsync();
        connector.Sim.Trade("BTCUSDT", anchor - 100m, 1m);

        await Eventually.TrueAsync(() => engine.RiskState.StoreFailure is not null, TimeSpan.FromSeconds(40), "the engine halts on the store failure");
        var trading = engine.RiskState.StateOf("BTCUSDT");
        Assert.Equal(OpenSqt.MarketMaker.Risk.TradingState.Halted, trading.State);
        Assert.Equal(OpenSqt.MarketMaker.Risk.RiskTrigger.StateStore, trading.Trigger);
        Assert.Contains("the state store failed on BTCUSDT", trading.Reason, StringComparison.Ordinal);
        Assert.Contains("nothing is sent that is not on disk", trading.Reason, StringComparison.Ordinal);

        // Halted, not stopped: the engine stays up for operators and sends nothing.
        Assert.Null(engine.RiskState.FatalError);
        Assert.Equal(placedBefore, Volatile.Read(ref places));
        Assert.DoesNotContain(await connector.Exchange.GetOpenOrdersAsync("BTCUSDT"), o => o.Side == OrderSide.Sell);
    }
}
