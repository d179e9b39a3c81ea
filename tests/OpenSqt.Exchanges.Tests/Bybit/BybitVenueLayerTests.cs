using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bybit;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bybit;

namespace OpenSqt.Exchanges.Tests.Bybit;

/// <summary>
/// The venue-layer rules of issue 12 on Bybit, over real HTTP and WebSocket against the simulator: per-endpoint
/// budgets with batches charged per order (10006 items inside a successful answer, the reset timestamp), unlisted
/// instruments skipped, the wallet topic without a snapshot, and the margin mode taken from the account instead of the
/// deprecated <c>tradeMode</c>. The shared conformance suite covers the read-back failure, the 429 without Retry-After,
/// the 120-order list, unknown values, the batch refused by rate limit, closed positions and unknown-order cancels.
/// </summary>
public sealed class BybitVenueLayerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Symbol = "BTCUSDT";
    private const string CreateBatch = "/v5/order/create-batch";
    private const string CancelBatch = "/v5/order/cancel-batch";

    private static OrderRequest Limit(OrderSide side, decimal price, string clientId) => new()
    {
        Symbol = Symbol,
        Side = side,
        Type = OrderType.Limit,
        Price = price,
        Quantity = 0.002m,
        ClientOrderId = clientId,
    };

    private static int ItemsOf(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("request").GetArrayLength();
    }

    [Fact]
    public async Task BatchPlaceIsSplitToTheBatchBudgetBecauseEveryOrderIsCharged()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var requests = Enumerable.Range(0, 12).Select(i => Limit(OrderSide.Buy, last - 1000m - i, $"chunk{i}")).ToList();

        var result = await exchange.BatchPlaceOrdersAsync(requests);

        // 10 orders per second on create-batch, 90 % of it used: 9 now, 3 in the next second, never 12 at once.
        var batches = sim.Journal.All.Where(r => r.Path == CreateBatch).Select(r => ItemsOf(r.Body)).ToArray();
        Assert.Equal([9, 3], batches);
        Assert.True(exchange.Rest.RateLimits.Waits >= 1, "the second chunk waited for the next second of the batch budget");
        Assert.Equal(12, result.Orders.Count + result.Errors.Count);
        Assert.All(result.Errors, e => Assert.Equal(ExchangeErrorKind.RateLimited, e.Kind));
        Assert.True(result.Orders.Count >= 9);
    }

    [Fact]
    public async Task BatchItemsPastTheBudgetFailAsRateLimitedAndAreNeverResent()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        sim.LeaveUidBudget(CreateBatch, 3);

        var result = await exchange.BatchPlaceOrdersAsync([.. Enumerable.Range(0, 5).Select(i => Limit(OrderSide.Buy, last - 1000m - i, $"part{i}"))]);

        Assert.Equal(["part0", "part1", "part2"], result.Orders.Select(o => o.ClientOrderId));
        Assert.Equal([3, 4], result.Errors.Select(e => e.Index));
        Assert.All(result.Errors, e =>
        {
            Assert.Equal(ExchangeErrorKind.RateLimited, e.Kind);
            Assert.True(e.Kind.IsTransient());
        });
        Assert.Equal(["part3", "part4"], result.Errors.Select(e => e.ClientOrderId));
        Assert.Equal(1, sim.Journal.Count("POST", CreateBatch));
        Assert.Equal(3, (await sim.Engine.GetOpenOrdersAsync(Symbol)).Count);

        // The same on cancel-batch: the refused items are still open and reported, nothing is re-sent.
        sim.LeaveUidBudget(CancelBatch, 1);
        var ids = result.Orders.Select(o => o.ExchangeOrderId).ToList();
        var errors = await exchange.BatchCancelOrdersAsync(Symbol, ids);
        Assert.Equal([1, 2], errors.Select(e => e.Index));
        Assert.All(errors, e => Assert.Equal(ExchangeErrorKind.RateLimited, e.Kind));
        Assert.Equal(1, sim.Journal.Count("POST", CancelBatch));
        Assert.Equal(2, (await sim.Engine.GetOpenOrdersAsync(Symbol)).Count);
    }

    [Fact]
    public async Task ASpentCreateBudgetHoldsBackOnlyCreateAndNamesWhenItResets()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var resting = await exchange.PlaceOrderAsync(Limit(OrderSide.Sell, last + 1000m, "rest1"));
        sim.LeaveUidBudget("/v5/order/create", 0);

        var refused = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(OrderSide.Sell, last + 1001m, "rest2")));
        Assert.Equal(ExchangeErrorKind.RateLimited, refused.Kind);
        Assert.Equal(BybitErrors.TooManyVisits, refused.VenueCode);
        Assert.NotNull(refused.RetryAfter);
        Assert.True(refused.RetryAfter <= TimeSpan.FromSeconds(1), "X-Bapi-Limit-Reset-Timestamp is within the second");
        Assert.Null(exchange.Rest.RateLimits.BlockedUntil);

        // The cancel budget is its own: the cancel goes out at once.
        var waits = exchange.Rest.RateLimits.Waits;
        await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(resting.ExchangeOrderId));
        Assert.Equal(waits, exchange.Rest.RateLimits.Waits);
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync(Symbol));
    }

    [Fact]
    public async Task PositionsAndOrdersOnUnlistedInstrumentsAreSkipped()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await sim.Engine.PlaceOrderAsync(Limit(OrderSide.Buy, last, "held1"));
        sim.Engine.Trade(Symbol, last, 1m);
        await sim.Engine.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, "open1"));
        sim.UnlistedSymbol = "ZZZUSDT";

        var positions = await exchange.GetPositionsAsync(null);
        var orders = await exchange.GetOpenOrdersAsync(null);
        var account = await exchange.GetAccountAsync();

        Assert.Equal([Symbol], positions.Select(p => p.Symbol));
        Assert.Equal(["open1"], orders.Select(o => o.ClientOrderId));
        Assert.Equal([Symbol], account.Positions.Select(p => p.Symbol));
        Assert.True(exchange.Skips.Count >= 3);
    }

    [Fact]
    public async Task TheWalletTopicSendsNoSnapshotSoTheAccountIsFetchedOnEveryConnect()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim, new Dictionary<string, string>
        {
            ["AccountRefreshInterval"] = "00:00:00.050",
            ["ReconnectInitialDelay"] = "00:00:00.050",
        });
        var engine = await sim.Engine.GetAccountAsync();
        await using var accounts = new StreamRecorder<Account>(exchange.SubscribeAccountAsync);

        var first = await accounts.WaitForAsync(_ => true, "an account without any wallet push", Timeout);
        Assert.Equal(engine.WalletBalance, first.WalletBalance);
        Assert.True(first.IsUnified);
        Assert.Equal(1, exchange.UserStream.AccountSnapshots);

        await sim.DropAllConnectionsAsync();
        await Eventually.TrueAsync(() => exchange.UserStream.AccountSnapshots >= 2, Timeout, "the account is fetched again after the reconnect");
        await Eventually.TrueAsync(() => accounts.Items.Count >= 2, Timeout, "the second snapshot is published");
    }

    [Fact]
    public async Task APositionClosedWhileTheStreamWasDownIsReportedFlatAfterTheReconnect()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim, new Dictionary<string, string>
        {
            ["AccountRefreshInterval"] = "00:00:00.050",
            ["ReconnectInitialDelay"] = "00:00:02",
        });
        await using var positions = new StreamRecorder<Position>(ct => exchange.SubscribePositionsAsync(Symbol, ct));
        await using var accounts = new StreamRecorder<Account>(exchange.SubscribeAccountAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0 && exchange.UserStream.AccountSnapshots == 1, Timeout, "the private stream is ready");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 10m, "gap1"));
        sim.Engine.Trade(Symbol, last - 10m, 1m);
        await positions.WaitForAsync(p => p.Size == 0.002m, "the opened position", Timeout);

        await sim.DropAllConnectionsAsync();
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady == 0, Timeout, "the private stream is down");
        await sim.Engine.PlaceOrderAsync(Limit(OrderSide.Sell, last + 10m, "gap2") with { ReduceOnly = true });
        sim.Engine.Trade(Symbol, last + 10m, 1m);
        Assert.All(await sim.Engine.GetPositionsAsync(Symbol), p => Assert.Equal(0m, p.Size));
        Assert.DoesNotContain(positions.Items, p => p.Size == 0m);

        await positions.WaitForAsync(p => p.Size == 0m, "the position closed during the gap, reported flat by the snapshot", Timeout);
        await accounts.WaitForAsync(a => a.Positions.Count == 0 && exchange.UserStream.AccountSnapshots >= 2, "the account snapshot after the reconnect", Timeout);
    }

    [Fact]
    public async Task ReconnectsCloserThanTheRefreshIntervalShareOneAccountSnapshot()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim, new Dictionary<string, string>
        {
            ["AccountRefreshInterval"] = "00:10:00",
            ["ReconnectInitialDelay"] = "00:00:00.050",
        });
        var reconnects = 0;
        exchange.StreamReconnected += (_, _) => Interlocked.Increment(ref reconnects);
        await using var accounts = new StreamRecorder<Account>(exchange.SubscribeAccountAsync);
        await accounts.WaitForAsync(_ => true, "the first snapshot", Timeout);
        for (var i = 1; i <= 3; i++)
        {
            await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is ready");
            await sim.DropAllConnectionsAsync();
            var expected = i;
            await Eventually.TrueAsync(() => Volatile.Read(ref reconnects) >= expected, Timeout, "the stream reconnected");
        }

        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is ready again");
        Assert.Equal(1, exchange.UserStream.AccountSnapshots);
        Assert.Equal(1, sim.Journal.Count("GET", "/v5/account/wallet-balance"));
    }

    [Fact]
    public async Task MarginTypeFollowsTheAccountNotTheDeprecatedTradeMode()
    {
        await using var sim = await BybitSimulator.StartAsync();
        sim.MarginMode = "ISOLATED_MARGIN";
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        await using var positions = new StreamRecorder<Position>(ct => exchange.SubscribePositionsAsync(Symbol, ct));
        await Eventually.TrueAsync(() => exchange.UserStream.AccountSnapshots >= 1, Timeout, "the account snapshot (and with it the margin mode) was read");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 10m, "iso1"));
        sim.Engine.Trade(Symbol, last - 10m, 1m);

        var pushed = await positions.WaitForAsync(p => p.Size == 0.002m, "the position push", Timeout);
        Assert.Equal("isolated", pushed.MarginType);
        var held = Assert.Single(await exchange.GetPositionsAsync(Symbol));
        Assert.Equal("isolated", held.MarginType);
        Assert.Contains(sim.Journal.All, r => r.Path == "/v5/account/info");
    }

    [Fact]
    public async Task AClosedPositionArrivesWithSizeZeroAndLeavesTheAccount()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        await using var positions = new StreamRecorder<Position>(ct => exchange.SubscribePositionsAsync(Symbol, ct));
        await using var accounts = new StreamRecorder<Account>(exchange.SubscribeAccountAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is ready");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 10m, "open2"));
        sim.Engine.Trade(Symbol, last - 10m, 1m);
        await positions.WaitForAsync(p => p.Size == 0.002m, "the opened position", Timeout);
        await accounts.WaitForAsync(a => a.Positions.Any(p => p.Size == 0.002m), "an account push carrying the position", Timeout);
        await exchange.PlaceOrderAsync(Limit(OrderSide.Sell, last + 10m, "close2") with { ReduceOnly = true });
        var before = accounts.Items.Count;
        sim.Engine.Trade(Symbol, last + 10m, 1m);

        await positions.WaitForAsync(p => p.Size == 0m, "the closed position, pushed with size 0", Timeout);
        await Eventually.TrueAsync(() => accounts.Items.Skip(before).Any(a => a.Positions.Count == 0), Timeout, "a wallet push after the close without the closed position");
    }
}
