using System.Diagnostics;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Sim;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Gate;

namespace OpenSqt.Exchanges.Tests.Gate;

/// <summary>
/// Issue 12 for Gate: the defects the connector shared with its old simulator, each against the simulator as Gate
/// documents itself (holding positions and paging, text lookups that expire, batch cancel answers, mark price on
/// position pushes, supported intervals, the X-Gate-RateLimit headers, coalesced refreshes). The venue rules every
/// connector follows (read-back failure, 429, 120-order list, unknown values, batch refusal, cancels) are in the shared
/// conformance suite.
/// </summary>
public sealed class GateVenueLayerTests
{
    private const string Symbol = "BTCUSDT";
    private const string Orders = "/api/v4/futures/usdt/orders";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static OrderRequest Limit(OrderSide side, decimal price, decimal quantity, string clientId, string symbol = Symbol) => new()
    {
        Symbol = symbol,
        Side = side,
        Type = OrderType.Limit,
        Price = price,
        Quantity = quantity,
        ClientOrderId = clientId,
    };

    [Fact]
    public async Task PositionsAskForHoldingOnlyAndFindAPositionPastTheFirstHundredContracts()
    {
        // 105 contracts: without holding=true Gate lists every one (empty ones too), 100 to a page.
        var symbols = Enumerable.Range(0, 105).Select(i => new SimSymbolOptions
        {
            Symbol = $"C{i:000}USDT", BaseAsset = $"C{i:000}", StartPrice = 10m, TickSize = 0.01m, StepSize = 1m, MinQuantity = 1m, MaxQuantity = 1_000_000m, VolumePerMinute = 1_000m, OpenInterest = 1_000_000m,
        }).ToList();
        await using var sim = await GateSimulator.StartAsync(new SimVenueOptions { AutoAdvance = false, HistoryMinutes = 5, Symbols = symbols });
        await using var gate = GateConformanceTests.CreateGate(sim);
        await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = "C104USDT", Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 3m, ClientOrderId = "far1" });

        var held = Assert.Single(await gate.GetPositionsAsync(null));
        Assert.Equal("C104USDT", held.Symbol);
        Assert.Equal(3m, held.Size);
        Assert.True(held.MarkPrice > 0);
        var sent = sim.Journal.All.Single(r => r.Path == "/api/v4/futures/usdt/positions");
        Assert.Equal("holding=true&limit=100&offset=0", sent.RawQuery);
        Assert.Single((await gate.GetAccountAsync()).Positions);
    }

    [Fact]
    public async Task OpenOrdersArePagedThroughAHundredAtATime()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        foreach (var symbol in new[] { "BTCUSDT", "ETHUSDT", "SOLUSDT" })
        {
            var last = await sim.Engine.GetLatestPriceAsync(symbol);
            var rules = await sim.Engine.GetSymbolInfoAsync(symbol);
            for (var i = 0; i < 40; i++)
            {
                await sim.Engine.PlaceOrderAsync(Limit(OrderSide.Buy, decimal.Round(last * 0.8m, 0) - (i * rules.TickSize), rules.MinQuantity * 10, $"{symbol[..3]}{i}", symbol));
            }
        }

        var open = await gate.GetOpenOrdersAsync(null);
        Assert.Equal(120, open.Count);
        Assert.Equal(120, open.Select(o => o.ClientOrderId).Distinct().Count());
        var queries = sim.Journal.All.Where(r => r.Method == "GET" && r.Path == Orders).Select(r => r.RawQuery).ToArray();
        Assert.Equal(["status=open&limit=100&offset=0", "status=open&limit=100&offset=100"], queries);
    }

    [Fact]
    public async Task AnUnknownPlaceOutcomeIsResolvedFromTheOrderListsAfterGateStopsFindingTheText()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        sim.Faults.FailAfterAccept(1);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => gate.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "lost1")));
        Assert.Equal(ExchangeErrorKind.UnknownOutcome, ex.Kind);

        // Gate stops resolving the text the moment the order ends (the window is 60 s on Gate).
        sim.TextLookupWindow = TimeSpan.FromTicks(-1);
        var open = await gate.GetOrderAsync(Symbol, OrderRef.ByClientId("lost1"));
        Assert.Equal(OrderStatus.New, open.Status);

        // Finished more than Gate's window ago: only the finished list still has it.
        await sim.Engine.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(open.ExchangeOrderId));
        var finished = await gate.GetOrderAsync(Symbol, OrderRef.ByClientId("lost1"));
        Assert.Equal(OrderStatus.Canceled, finished.Status);
        Assert.Equal(open.ExchangeOrderId, finished.ExchangeOrderId);
        Assert.Contains(sim.Journal.All, r => r.Path == Orders && r.RawQuery.StartsWith("contract=BTC_USDT&status=finished", StringComparison.Ordinal));

        // Cancelling it by client id is done, not NOT_FOUND: it is final.
        await gate.CancelOrderAsync(Symbol, OrderRef.ByClientId("lost1"));
        var never = await Assert.ThrowsAsync<ExchangeException>(() => gate.GetOrderAsync(Symbol, OrderRef.ByClientId("neverPlaced")));
        Assert.Equal(ExchangeErrorKind.NotFound, never.Kind);
    }

    [Fact]
    public async Task BatchCancelReadsSucceededAndMessageAndSettlesEachFailureByReadingTheOrder()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var open = await gate.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "bc1"));
        var done = await gate.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1001m, 0.002m, "bc2"));
        await gate.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(done.ExchangeOrderId));

        var errors = await gate.BatchCancelOrdersAsync(Symbol, [open.ExchangeOrderId, done.ExchangeOrderId, "987654321"]);

        var error = Assert.Single(errors);
        Assert.Equal(2, error.Index);
        Assert.Equal(ExchangeErrorKind.NotFound, error.Kind);
        Assert.Equal("987654321", error.ExchangeOrderId);
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync(Symbol));
        Assert.Equal(1, sim.Journal.Count("POST", "/api/v4/futures/usdt/batch_cancel_orders"));
    }

    [Fact]
    public async Task PositionPushesCarryTheMarkPriceAndPnlAtItNotZero()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        await using var positions = new StreamRecorder<Position>(ct => gate.SubscribePositionsAsync(Symbol, ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private channels are subscribed");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await gate.PlaceOrderAsync(Limit(OrderSide.Buy, last - 100m, 0.004m, "mark1"));
        sim.Engine.Trade(Symbol, last - 100m, 1m);
        var position = await positions.WaitForAsync(p => p.Size == 0.004m, "the position of the fill");

        var mark = await sim.Engine.GetLatestPriceAsync(Symbol);
        Assert.Equal(mark, position.MarkPrice);
        Assert.Equal(0.004m * (position.MarkPrice - position.EntryPrice), position.UnrealizedPnl);
    }

    [Theory]
    [InlineData("3m")]
    [InlineData("6h")]
    [InlineData("12h")]
    public async Task IntervalsGateDoesNotServeAreRefusedBeforeAnythingIsSent(string interval)
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => gate.GetHistoricalKlinesAsync(Symbol, interval, 5));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(interval, ex.Message, StringComparison.Ordinal);
        Assert.Contains("1m, 5m, 15m, 30m, 1h, 2h, 4h, 8h, 1d", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ExchangeErrorKind.InvalidArgument, Assert.Throws<ExchangeException>(() => gate.SubscribeKlinesAsync([Symbol], interval)).Kind);
        Assert.DoesNotContain(sim.Journal.All, r => r.Path.EndsWith("/candlesticks", StringComparison.Ordinal));
        Assert.NotEmpty(await gate.GetHistoricalKlinesAsync(Symbol, "2h", 3));
    }

    [Fact]
    public async Task A429WithoutRetryAfterPausesBrieflyAndDoublesAndOtherCallsStillGoOut()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        Assert.Empty(await gate.GetOpenOrdersAsync(Symbol));

        // A 429 whose reset timestamp is just "now" says nothing: the pause is short and doubles.
        sim.Faults.RateLimitStorm(3, TimeSpan.Zero);
        var pauses = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            var ex = await Assert.ThrowsAsync<ExchangeException>(() => gate.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, $"rl{i}")));
            Assert.Equal(ExchangeErrorKind.RateLimited, ex.Kind);
            pauses.Add(ex.RetryAfter!.Value);
        }

        Assert.Equal([TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1)], pauses);
        var watch = Stopwatch.StartNew();
        Assert.Empty(await gate.GetOpenOrdersAsync(Symbol));
        var placed = await gate.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "rlok"));
        Assert.Equal(OrderStatus.New, placed.Status);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"calls after the 429s waited {watch.Elapsed}");
        Assert.Equal(0, sim.TotalBans);
        Assert.Equal(3, sim.Journal.WithStatus(429));
    }

    [Fact]
    public async Task A429WithAResetTimestampPausesUntilThatResetOnly()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        await gate.GetLatestPriceAsync(Symbol);
        sim.Faults.RateLimitStorm(1, TimeSpan.FromSeconds(1));
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => gate.GetLatestPriceAsync(Symbol));
        Assert.Equal(ExchangeErrorKind.RateLimited, ex.Kind);
        Assert.InRange(ex.RetryAfter!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(2));
        Assert.True(await gate.GetLatestPriceAsync(Symbol) > 0);
        Assert.Equal(0, sim.TotalBans);
    }

    [Fact]
    public async Task TheLimitHeaderSetsTheBudgetOfItsOwnEndpoint()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        // The budget is a fixed 10 s window (aligned to Unix time): start in its first half so that the three calls below
        // cannot straddle its end, whatever the machine's load (a second attempt would spend the window twice).
        await Eventually.TrueAsync(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() % 10_000 < 5_000, TimeSpan.FromSeconds(15), "the first half of a 10 s window");
        await gate.GetLatestPriceAsync(Symbol);
        sim.Budget("public:tickers").SpendElsewhere(150);
        await gate.GetLatestPriceAsync(Symbol);

        Assert.Equal(200, gate.Rest.RateLimits.Limit(OpenSqt.Exchanges.Gate.GateRateLimits.Rule(OpenSqt.Exchanges.Gate.GateEndpoint.Tickers)));
        Assert.InRange(gate.Rest.RateLimits.Used(OpenSqt.Exchanges.Gate.GateRateLimits.Rule(OpenSqt.Exchanges.Gate.GateEndpoint.Tickers)), 152, 156);
        Assert.True(gate.Rest.RateLimits.Used(OpenSqt.Exchanges.Gate.GateRateLimits.Rule(OpenSqt.Exchanges.Gate.GateEndpoint.FuturesContracts)) <= 1);
    }

    [Fact]
    public async Task OrdersAndPositionsOnAContractTheConnectorDoesNotListAreSkipped()
    {
        await using var sim = await GateSimulator.StartAsync();
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var eth = await sim.Engine.GetLatestPriceAsync("ETHUSDT");
        await sim.Engine.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "listed"));
        await sim.Engine.PlaceOrderAsync(Limit(OrderSide.Buy, decimal.Round(eth * 0.8m, 0), 0.01m, "delisted", "ETHUSDT"));
        await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = "ETHUSDT", Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.01m, ClientOrderId = "ethpos" });
        sim.DelistingContracts.Add("ETH_USDT");
        await using var gate = GateConformanceTests.CreateGate(sim);

        var open = Assert.Single(await gate.GetOpenOrdersAsync(null));
        Assert.Equal("listed", open.ClientOrderId);
        Assert.Empty(await gate.GetPositionsAsync(null));
        Assert.Equal(2, gate.Unknown.Skipped);
    }

    [Fact]
    public async Task BalancePushesRefreshTheAccountAtMostOncePerInterval()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim, new Dictionary<string, string> { ["AccountRefreshInterval"] = "01:00:00" });
        await using var accounts = new StreamRecorder<Account>(gate.SubscribeAccountAsync);
        await using var positions = new StreamRecorder<Position>(ct => gate.SubscribePositionsAsync(Symbol, ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private channels are subscribed");
        await gate.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.002m, ClientOrderId = "acc1" });
        await accounts.WaitForAsync(_ => true, "the account refreshed for the first balance push");
        await positions.WaitForAsync(p => p.Size == 0.002m, "the position of the first fill");
        var refreshes = sim.Journal.Count("GET", "/api/v4/futures/usdt/accounts");
        Assert.Equal(1, gate.UserStream.AccountRefreshes);

        for (var i = 2; i <= 4; i++)
        {
            await gate.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.002m, ClientOrderId = $"acc{i}" });
        }

        await positions.WaitForAsync(p => p.Size == 0.008m, "the position after three more fills (their balance pushes came with it)");

        // Either the later pushes wait for the interval (right) or they were refreshed at once (wrong): wait for one.
        await Eventually.TrueAsync(() => gate.UserStream.AccountRefreshPending || gate.UserStream.AccountRefreshes > 1, Timeout, "the later balance pushes were handled");
        Assert.Equal(1, gate.UserStream.AccountRefreshes);
        Assert.True(gate.UserStream.AccountRefreshPending);
        Assert.Equal(refreshes, sim.Journal.Count("GET", "/api/v4/futures/usdt/accounts"));
        Assert.Single(accounts.Items);
    }
}
