using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Gate;

namespace OpenSqt.Exchanges.Tests.Gate;

/// <summary>Gate's own oddities, against the simulator: contract sizes, text ids, market data, heartbeats.</summary>
public sealed class GateExchangeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task QuantityThatIsNotAWholeNumberOfContractsIsRefusedBeforeSending()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => gate.PlaceOrderAsync(new OrderRequest
        {
            Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 1000m, Quantity = 0.0025m, ClientOrderId = "frac1",
        }));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("contract size", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, sim.Journal.Count("POST", "/api/v4/futures/usdt/orders"));
    }

    [Fact]
    public async Task ClientIdLongerThanGateAllowsIsRefusedNotTruncated()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => gate.PlaceOrderAsync(new OrderRequest
        {
            Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 1000m, Quantity = 0.002m, ClientOrderId = new string('a', 29),
        }));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("28", ex.Message, StringComparison.Ordinal);
        var placed = await gate.PlaceOrderAsync(new OrderRequest
        {
            Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 1000m, Quantity = 0.002m, ClientOrderId = new string('b', 28),
        });
        Assert.Equal(new string('b', 28), placed.ClientOrderId);
        Assert.Equal(1, sim.Journal.Count("POST", "/api/v4/futures/usdt/orders"));
    }

    [Fact]
    public async Task MarketDataAndAccountAreInBaseUnits()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        var rules = await gate.GetSymbolInfoAsync("BTCUSDT");
        Assert.Equal(0.1m, rules.TickSize);
        Assert.Equal(0.001m, rules.StepSize);
        Assert.Equal(0.001m, rules.ContractSize);
        Assert.Contains("ETHUSDT", await gate.GetSymbolsAsync());
        var candles = await gate.GetHistoricalKlinesAsync("BTCUSDT", "1m", 5);
        var engineCandles = await sim.Engine.GetHistoricalKlinesAsync("BTCUSDT", "1m", 5);
        Assert.Equal(engineCandles.Select(c => c.OpenTime), candles.Select(c => c.OpenTime));
        Assert.Equal(engineCandles.Select(c => c.Close), candles.Select(c => c.Close));
        Assert.Equal(engineCandles.Select(c => Math.Floor(c.Volume / 0.001m) * 0.001m), candles.Select(c => c.Volume));
        var funding = await gate.GetFundingRateAsync("BTCUSDT");
        Assert.Equal((await sim.Engine.GetFundingRateAsync("BTCUSDT")).Rate, funding.Rate);
        Assert.True(funding.NextFundingTime > DateTimeOffset.UtcNow.AddHours(-1));
        Assert.NotEmpty(await gate.GetFundingRatesAsync());
        Assert.NotEmpty(await gate.GetHistoricalFundingRatesAsync("BTCUSDT", 3));
        var engineOi = await sim.Engine.GetOpenInterestAsync("BTCUSDT");
        Assert.Equal(Math.Floor(engineOi / 0.001m) * 0.001m, await gate.GetOpenInterestAsync("BTCUSDT"));
        Assert.Contains(await gate.GetTickersAsync(), t => t.Symbol == "BTCUSDT" && t.LastPrice > 0);
        var account = await gate.GetAccountAsync();
        Assert.Equal(10_000m, account.WalletBalance);
        Assert.Equal(10_000m, await gate.GetBalanceAsync("USDT"));
        Assert.Equal(ExchangeErrorKind.NotFound, (await Assert.ThrowsAsync<ExchangeException>(() => gate.GetBalanceAsync("BTC"))).Kind);
        Assert.Equal(ExchangeErrorKind.NotFound, (await Assert.ThrowsAsync<ExchangeException>(() => gate.GetSymbolInfoAsync("NOPEUSDT"))).Kind);
        Assert.True((await gate.CheckHealthAsync()).IsHealthy);
    }

    [Fact]
    public async Task MarketSellIsSentAsNegativeContractsAndPositionAndAccountStreamsFollow()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        await using var positions = new StreamRecorder<Position>(ct => gate.SubscribePositionsAsync("BTCUSDT", ct));
        await using var accounts = new StreamRecorder<Account>(gate.SubscribeAccountAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private channels are subscribed");
        var order = await gate.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Sell, Type = OrderType.Market, Quantity = 0.01m, ClientOrderId = "mkt1" });
        Assert.Equal(OrderType.Market, order.Type);
        var body = sim.Journal.All.Single(r => r.Path == "/api/v4/futures/usdt/orders").Body;
        Assert.Contains("\"size\":-10", body, StringComparison.Ordinal);
        Assert.Contains("\"price\":\"0\"", body, StringComparison.Ordinal);
        Assert.Contains("\"tif\":\"ioc\"", body, StringComparison.Ordinal);
        var position = await positions.WaitForAsync(p => p.Size == -0.01m, "the short position");
        Assert.Equal("BTCUSDT", position.Symbol);
        await accounts.WaitForAsync(a => a.Positions.Any(p => p.Size == -0.01m), "an account snapshot after the balance push");
        var held = Assert.Single(await gate.GetPositionsAsync("BTCUSDT"));
        Assert.Equal(-0.01m, held.Size);

        var reduce = await gate.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.01m, ReduceOnly = true, ClientOrderId = "mkt2" });
        Assert.True(reduce.ReduceOnly);
        Assert.Contains("\"reduce_only\":true", sim.Journal.All.Last(r => r.Path == "/api/v4/futures/usdt/orders").Body, StringComparison.Ordinal);
        await positions.WaitForAsync(p => p.Size == 0m, "the flat position");
        var refused = await Assert.ThrowsAsync<ExchangeException>(() => gate.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.01m, ReduceOnly = true, ClientOrderId = "mkt3" }));
        Assert.Equal(ExchangeErrorKind.ReduceOnlyRejected, refused.Kind);
    }

    [Fact]
    public async Task PriceCandleAndFundingStreamsShareTheTickerChannel()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var gate = GateConformanceTests.CreateGate(sim);
        await using var prices = new StreamRecorder<PriceChange>(ct => gate.SubscribePriceAsync(["BTCUSDT"], ct));
        await using var funding = new StreamRecorder<FundingRate>(ct => gate.SubscribeFundingRateAsync("BTCUSDT", ct));
        await using var candles = new StreamRecorder<Candle>(ct => gate.SubscribeKlinesAsync(["BTCUSDT"], "1m", ct));
        await Eventually.TrueAsync(() => sim.SubscriptionsReceived >= 2, Timeout, "tickers and candlesticks are subscribed");
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        sim.Engine.Trade("BTCUSDT", last + 5m, 0.5m);
        await prices.WaitForAsync(p => p.Price == last + 5m && p.Symbol == "BTCUSDT", "the traded price");
        var rate = await funding.WaitForAsync(f => f.Symbol == "BTCUSDT", "funding from the ticker");
        Assert.Equal((await sim.Engine.GetFundingRateAsync("BTCUSDT")).Rate, rate.Rate);
        var candle = await candles.WaitForAsync(c => c.Close == last + 5m, "the candle of the trade");
        Assert.Equal("1m", candle.Interval);
        Assert.Equal(1, sim.ConnectionsAccepted);
    }

    [Fact]
    public async Task FuturesPingKeepsAConnectionThatTheVenueWouldDropWhenSilent()
    {
        await using var sim = await GateSimulator.StartAsync();
        // Pings every 200 ms against a 4 s idle timeout (a loaded machine may delay a ping by a second or two, never by
        // four); 25 pings are 5 s, past the timeout.
        sim.IdleTimeout = TimeSpan.FromSeconds(4);
        await using var gate = GateConformanceTests.CreateGate(sim, new Dictionary<string, string> { ["PingInterval"] = "00:00:00.200" });
        await using var prices = new StreamRecorder<PriceChange>(ct => gate.SubscribePriceAsync(["BTCUSDT"], ct));
        await Eventually.TrueAsync(() => sim.PingsAnswered >= 25, Timeout, "pings answered for longer than the idle timeout");
        Assert.True(sim.ConnectionsAccepted == 1, $"connections accepted: {sim.ConnectionsAccepted}");

        await using var silentSim = await GateSimulator.StartAsync();
        silentSim.IdleTimeout = TimeSpan.FromSeconds(1);
        await using var silent = GateConformanceTests.CreateGate(silentSim, new Dictionary<string, string> { ["PingInterval"] = "00:01:00", ["ReconnectInitialDelay"] = "00:00:00.050" });
        await using var silentPrices = new StreamRecorder<PriceChange>(ct => silent.SubscribePriceAsync(["BTCUSDT"], ct));
        await Eventually.TrueAsync(() => silentSim.ConnectionsAccepted >= 2, Timeout, "a client without pings was dropped and reconnected");
    }
}
