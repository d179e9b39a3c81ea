using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Tests;

[Collection(VenueCollection.Name)]
public sealed class BadVenueTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static Action<IServiceCollection> Intercept(Func<IExchange, IExchange> wrap) =>
        services => services.AddSingleton(sp => wrap(sp.GetRequiredService<RemoteExchange>()));

    private static string Db(string name) => Path.Combine(Path.GetTempPath(), $"opensqt-{name}-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task APlaceWhoseOutcomeIsUnknownIsResolvedByClientIdAndNeverSentAgain()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sent = new ConcurrentDictionary<string, int>();
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("unknown")), configure: Intercept(real => ExchangeInterceptor.Create(real, async (inner, request, token) =>
        {
            sent.AddOrUpdate(request.ClientOrderId!, 1, (_, n) => n + 1);
            await inner.PlaceOrderAsync(request, token);

            // The venue took it, but the answer is lost.
            throw new ExchangeException(ExchangeErrorKind.UnknownOutcome, "deadline exceeded after the request was sent");
        })));

        await Eventually.TrueAsync(async () =>
        {
            var engineOpen = (await engine.Positions.GetOpenOrdersAsync(new())).Orders;
            return engineOpen.Count == 3 && engineOpen.All(o => o.Status == W.OrderStatus.New && o.ExchangeOrderId.Length > 0);
        }, Wait, "the engine adopted the three orders it found by client id");
        var venueOpen = await connector.Exchange.GetOpenOrdersAsync("BTCUSDT");
        Assert.Equal(3, venueOpen.Count);
        Assert.All(sent.Values, n => Assert.Equal(1, n));
        Assert.Equal(venueOpen.Select(o => o.ClientOrderId).Order(), sent.Keys.Order());
    }

    [Fact]
    public async Task APlaceThatNeverReachedTheVenueIsLookedUpAndItsSlotIsPlacedAgainUnderANewId()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var sent = new ConcurrentDictionary<string, int>();
        var lost = new ConcurrentDictionary<long, bool>();
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("lost")), configure: Intercept(real => ExchangeInterceptor.Create(real, (inner, request, token) =>
        {
            sent.AddOrUpdate(request.ClientOrderId!, 1, (_, n) => n + 1);
            var level = (long)request.Price!.Value;
            if (lost.TryAdd(level, true))
            {
                return Task.FromException<Order>(new ExchangeException(ExchangeErrorKind.Unavailable, "connection reset before the request was sent"));
            }

            return inner.PlaceOrderAsync(request, token);
        })));

        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "every level works after its first place was lost");
        Assert.Equal(6, sent.Count);
        Assert.All(sent.Values, n => Assert.Equal(1, n));
        var venueIds = (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Select(o => o.ClientOrderId).ToHashSet();
        var history = (await engine.Positions.GetOrderHistoryAsync(new())).Orders;
        Assert.Equal(3, history.Count(o => o.Status == W.OrderStatus.Rejected && !venueIds.Contains(o.ClientOrderId)));
        Assert.All(history.Where(o => o.Status == W.OrderStatus.Rejected), o => Assert.Contains("connection reset", o.RejectReason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MalformedOrderUpdatesAreIgnoredAndChangeNoState()
    {
        await using var connector = await ConnectorHost.StartAsync();
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("malformed")), configure: Intercept(real => ExchangeInterceptor.Create(real, updates: update =>
            [update with { FilledQuantity = update.Quantity * 2, Status = OrderStatus.Filled }, update with { Quantity = -1m }, update])));
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work");
        Assert.Equal(0m, engine.Host.Engines["BTCUSDT"].Snapshot.Position);

        connector.Sim.Trade("BTCUSDT", anchor - 100m, 1m);
        var venue = 0m;
        await Eventually.TrueAsync(async () => (venue = (await connector.Exchange.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size)) > 0 && engine.Host.Engines["BTCUSDT"].Snapshot.Position == venue, Wait, "the real fill is booked");
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Any(o => o.Side == OrderSide.Sell), Wait, "the sell goes out");
        Assert.Equal(venue, engine.Host.Engines["BTCUSDT"].Snapshot.Position);
        Assert.Single((await engine.Positions.GetFillsAsync(new())).Fills);
    }

    [Fact]
    public async Task ARateLimitedPlaceIsRetriedAfterTheVenuesWaitWithTheSameClientId()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var calls = new ConcurrentDictionary<string, int>();
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("ratelimited")), configure: Intercept(real => ExchangeInterceptor.Create(real, (inner, request, token) =>
            calls.AddOrUpdate(request.ClientOrderId!, 1, (_, n) => n + 1) == 1
                ? Task.FromException<Order>(new ExchangeException(ExchangeErrorKind.RateLimited, "too many requests", retryAfter: TimeSpan.FromMilliseconds(50)))
                : inner.PlaceOrderAsync(request, token))));

        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "three buys work after one refusal each");
        Assert.Equal(3, calls.Count);
        Assert.All(calls.Values, n => Assert.Equal(2, n));
        Assert.Equal(calls.Keys.Order(), (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Select(o => o.ClientOrderId).Order());
    }

    [Fact]
    public async Task AfterThreePostOnlyRefusalsTheLevelIsPlacedAsAPlainLimitOrder()
    {
        await using var connector = await ConnectorHost.StartAsync();
        var refusals = new ConcurrentDictionary<decimal, int>();
        var settings = EngineHarness.BtcGrid(Db("postonly"), buyWindow: 1);
        await using var engine = await EngineHarness.StartAsync(connector, settings, configure: Intercept(real => ExchangeInterceptor.Create(real, (inner, request, token) =>
            request.PostOnly && refusals.AddOrUpdate(request.Price!.Value, 1, (_, n) => n + 1) <= 3
                ? Task.FromException<Order>(new ExchangeException(ExchangeErrorKind.PostOnlyRejected, "post-only order would take liquidity"))
                : inner.PlaceOrderAsync(request, token))));

        // A refused level waits for a new price before it tries again: the market ticks up after each refusal.
        var last = await connector.Sim.GetLatestPriceAsync("BTCUSDT");
        for (var i = 1; i <= 3; i++)
        {
            await Eventually.TrueAsync(() => refusals.Values.Sum() >= i, Wait, $"post-only refusal {i}");
            connector.Sim.Trade("BTCUSDT", last + (i * 0.1m), 0.001m);
        }

        var working = await Eventually2.UntilAsync(async () => await connector.Exchange.GetOpenOrdersAsync("BTCUSDT"), o => o.Count == 1, Wait, "the level works");
        Assert.False(working[0].PostOnly);
        Assert.Equal(TimeInForce.Gtc, working[0].TimeInForce);
        Assert.Equal(3, refusals[working[0].Price]);
        var rejected = (await engine.Positions.GetOrderHistoryAsync(new())).Orders.Where(o => o.Status == W.OrderStatus.Rejected).ToArray();
        Assert.Equal(3, rejected.Length);
        Assert.All(rejected, o => Assert.True(o.PostOnly));
    }

    [Fact]
    public async Task ASlowVenueOnOneSymbolNeverHoldsUpAnotherSymbol()
    {
        await using var connector = await ConnectorHost.StartAsync();
        using var release = new SemaphoreSlim(0);
        var settings = EngineHarness.BtcGrid(Db("isolation"));
        settings["MarketMaker:Symbols:1:Symbol"] = "ETHUSDT";
        settings["MarketMaker:Symbols:1:PriceInterval"] = "5";
        settings["MarketMaker:Symbols:1:OrderQuantity"] = "50";
        settings["MarketMaker:Symbols:1:BuyWindowSize"] = "3";
        await using var engine = await EngineHarness.StartAsync(connector, settings, configure: Intercept(real => ExchangeInterceptor.Create(real, async (inner, request, token) =>
        {
            if (request.Symbol == "BTCUSDT")
            {
                await release.WaitAsync(token);
            }

            return await inner.PlaceOrderAsync(request, token);
        })));

        // BTC's places hang on the venue; ETH trades through a fill and gets its sell out meanwhile.
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("ETHUSDT")).Count == 3, Wait, "ETH buys work");
        var eth = engine.Host.Engines["ETHUSDT"].Snapshot.Anchor!.Value;
        connector.Sim.Trade("ETHUSDT", eth - 5m, 10m);
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("ETHUSDT")).Any(o => o.Side == OrderSide.Sell), Wait, "the ETH sell goes out");
        Assert.Empty(await connector.Exchange.GetOpenOrdersAsync("BTCUSDT"));
        Assert.Equal(3, engine.Host.Engines["BTCUSDT"].Snapshot.WorkingOrders);

        release.Release(3);
        await Eventually.TrueAsync(async () => (await connector.Exchange.GetOpenOrdersAsync("BTCUSDT")).Count == 3, Wait, "BTC buys arrive once the venue answers");
    }

    [Fact]
    public async Task AHedgeModeAccountStopsTheEngineWithAClearMessage()
    {
        await using var connector = await ConnectorHost.StartAsync();
        await using var engine = await EngineHarness.StartAsync(connector, EngineHarness.BtcGrid(Db("hedge")), waitReady: false, configure: Intercept(real => ExchangeInterceptor.Create(real, (_, _, _) =>
            Task.FromException<Order>(new ExchangeException(ExchangeErrorKind.PositionModeMismatch, "order's position side does not match user's setting")))));
        var stopping = engine.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        await Eventually.TrueAsync(() => stopping.IsCancellationRequested, Wait, "the engine stops");
        Assert.Contains("hedge (dual-side) position mode", engine.RiskState.FatalError, StringComparison.Ordinal);
        Assert.Contains("one-way", engine.RiskState.FatalError, StringComparison.Ordinal);
        Assert.Empty(await connector.Exchange.GetOpenOrdersAsync("BTCUSDT"));
    }
}
