using OpenSqt.Contracts;
using OpenSqt.Exchanges.Okx;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Okx;

namespace OpenSqt.Exchanges.Tests.Okx;

/// <summary>
/// The OKX defects of issue 12, against the OKX simulator (which encodes OKX's documented behaviour on its own) over
/// real HTTP and WebSocket on 127.0.0.1: balance pushes without USDT, per-order batch budgets, funding rates in one
/// call and each kind of read-back failure. The venue rules every connector follows are in the shared conformance suite.
/// </summary>
public sealed class OkxVenueRulesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Symbol = "BTCUSDT";

    private static OrderRequest Limit(OrderSide side, decimal price, decimal quantity, string clientId) => new()
    {
        Symbol = Symbol,
        Side = side,
        Type = OrderType.Limit,
        TimeInForce = TimeInForce.Gtc,
        Price = price,
        Quantity = quantity,
        ClientOrderId = clientId,
    };

    [Fact]
    public async Task AccountPushWithoutUsdtKeepsTheUsdtBalance()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var wallet = (await sim.Engine.GetAccountAsync()).WalletBalance;
        Assert.NotEqual(0m, wallet);
        await using var accounts = new StreamRecorder<Account>(exchange.SubscribeAccountAsync);
        await accounts.WaitForAsync(a => a.WalletBalance == wallet, "the snapshot sent on subscribe");
        var before = accounts.Items.Count;

        await sim.PushBalanceChangeAsync("BTC", 0.5m);

        var after = await accounts.WaitForAsync(_ => accounts.Items.Count > before, "the push that carries BTC only");
        Assert.Equal(wallet, after.WalletBalance);
        Assert.Equal(wallet, accounts.Items[^1].WalletBalance);
        Assert.All(accounts.Items, a => Assert.Equal(wallet, a.WalletBalance));
    }

    [Fact]
    public async Task BatchesAreChargedPerOrderToTheirOwnBudget()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var limits = exchange.Rest.RateLimits;

        // The budgets count in 2 s windows aligned to the clock: the place, the cancel and their reads must fall in one
        // window to be compared with 7. Each attempt starts at the beginning of a window; one that a loaded machine
        // stretched over a boundary is measured again (with new ids) in a fresh window.
        for (var attempt = 0; ; attempt++)
        {
            var window = await StartOfAWindowAsync(exchange);
            var result = await exchange.BatchPlaceOrdersAsync([.. Enumerable.Range(0, 7).Select(i => Limit(OrderSide.Buy, last - 1000m - i, 0.002m, $"perorder{attempt}x{i}"))]);
            var (batchPlace, place) = (limits.Used(OkxRateLimits.Rule(OkxEndpoint.BatchOrders)), limits.Used(OkxRateLimits.Rule(OkxEndpoint.PlaceOrder)));
            var errors = await exchange.BatchCancelOrdersAsync(Symbol, [.. result.Orders.Select(o => o.ExchangeOrderId)]);
            var (batchCancel, cancel) = (limits.Used(OkxRateLimits.Rule(OkxEndpoint.CancelBatchOrders)), limits.Used(OkxRateLimits.Rule(OkxEndpoint.CancelOrder)));
            Assert.Equal(7, result.Orders.Count);
            Assert.Empty(errors);
            if (WindowOf(exchange) != window)
            {
                Assert.True(attempt < 3, "four attempts each crossed a 2 s window boundary");
                continue;
            }

            Assert.Equal((7, 0, 7, 0), (batchPlace, place, batchCancel, cancel));
            return;
        }
    }

    private static long WindowOf(OkxExchange exchange) => exchange.Clock.Now.ToUnixTimeMilliseconds() / 2000;

    /// <summary>Waits until a new 2 s window has begun and returns it.</summary>
    private static async Task<long> StartOfAWindowAsync(OkxExchange exchange)
    {
        var current = WindowOf(exchange);
        await OpenSqt.TestSupport.Eventually.TrueAsync(() => WindowOf(exchange) != current, TimeSpan.FromSeconds(5), "the next 2 s window began");
        return WindowOf(exchange);
    }

    [Fact]
    public async Task FundingRatesOfEverySwapComeFromOneCall()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var listed = await sim.Engine.GetSymbolsAsync();

        var rates = await exchange.GetFundingRatesAsync();

        Assert.Equal(listed.Order(StringComparer.Ordinal), rates.Select(r => r.Symbol).Order(StringComparer.Ordinal));
        foreach (var rate in rates)
        {
            Assert.Equal((await sim.Engine.GetFundingRateAsync(rate.Symbol)).Rate, rate.Rate);
        }

        var calls = sim.Journal.All.Where(r => r.Path == "/api/v5/public/funding-rate").ToList();
        Assert.Equal("instId=ANY", Assert.Single(calls).RawQuery);
    }

    [Theory]
    [InlineData(OkxSimulator.OkxQueryFault.RateLimited)]
    [InlineData(OkxSimulator.OkxQueryFault.Unavailable)]
    [InlineData(OkxSimulator.OkxQueryFault.NotYetVisible)]
    [InlineData(OkxSimulator.OkxQueryFault.Timeout)]
    public async Task ReadBackFailureAfterAnAcceptedPlaceIsNeverARefusal(OkxSimulator.OkxQueryFault fault)
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim, new Dictionary<string, string> { ["PlaceReadBackTimeout"] = "00:00:00.500" });
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        sim.FailOrderQueries(fault, 3);

        var placed = await exchange.PlaceOrderAsync(Limit(OrderSide.Buy, last - 1000m, 0.002m, "readback1"));

        var live = Assert.Single(await sim.Engine.GetOpenOrdersAsync(Symbol));
        Assert.Equal(live.ExchangeOrderId, placed.ExchangeOrderId);
        Assert.Equal("readback1", placed.ClientOrderId);
        Assert.Equal(OrderStatus.New, placed.Status);
        Assert.Equal(0.002m, placed.Quantity);
        Assert.Equal(1, sim.Journal.Count("POST", "/api/v5/trade/order"));
        // At most one read-back, never retried (a timed-out read may be aborted before the simulator journals it).
        Assert.InRange(sim.Journal.Count("GET", "/api/v5/trade/order"), 0, 1);
    }
}
