using OpenSqt.Contracts;
using OpenSqt.Exchanges.Binance;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Binance;

namespace OpenSqt.Exchanges.Tests.Binance;

/// <summary>Binance rules beyond the shared suite, against the simulator on loopback.</summary>
public sealed class BinanceExchangeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Symbol = "BTCUSDT";

    private static OrderRequest Limit(decimal price, string clientId) => new()
    {
        Symbol = Symbol,
        Side = OrderSide.Buy,
        Type = OrderType.Limit,
        Price = price,
        Quantity = 0.002m,
        ClientOrderId = clientId,
    };

    [Fact]
    public async Task HedgeModeAccountIsAFatalConfigurationErrorWithAClearMessage()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        sim.HedgeMode = true;
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(last - 1000m, "hedge1")));
        Assert.Equal(ExchangeErrorKind.PositionModeMismatch, ex.Kind);
        Assert.Equal(BinanceErrors.HedgeModeOrder, ex.VenueCode);
        Assert.Contains("one-way", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task WrongSecretIsRefusedByTheSignatureCheck()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim, secret: BinanceSimulator.DefaultApiSecret + "x");
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.GetOpenOrdersAsync(Symbol));
        Assert.Equal(ExchangeErrorKind.Unauthenticated, ex.Kind);
        Assert.Equal("-1022", ex.VenueCode);
        Assert.DoesNotContain(BinanceSimulator.DefaultApiSecret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidClientOrderIdAndOffStepQuantityGetTheVenueCodes()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var badId = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(last - 1000m, "has space")));
        Assert.Equal(("-4015", ExchangeErrorKind.InvalidArgument), (badId.VenueCode, badId.Kind));
        var offStep = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(last - 1000m, "step1") with { Quantity = 0.0015m }));
        Assert.Equal(("-4023", ExchangeErrorKind.InvalidArgument), (offStep.VenueCode, offStep.Kind));
        var small = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(1000m, "notional1") with { Quantity = 0.001m }));
        Assert.Equal("-4164", small.VenueCode);
        await exchange.PlaceOrderAsync(Limit(last - 1000m, "dupe1"));
        var dupe = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(last - 1001m, "dupe1")));
        Assert.Equal(ExchangeErrorKind.AlreadyExists, dupe.Kind);
    }

    [Fact]
    public async Task QueriesMapTheVenueAnswersOntoTheEngineState()
    {
        await using var sim = await BinanceSimulator.StartAsync(weightLimit: 1800);
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        var rules = await exchange.GetSymbolInfoAsync(Symbol);
        var expected = await sim.Engine.GetSymbolInfoAsync(Symbol);
        Assert.Equal((expected.TickSize, expected.StepSize, expected.MinQuantity, expected.MinNotional, expected.MaxQuantity),
            (rules.TickSize, rules.StepSize, rules.MinQuantity, rules.MinNotional, rules.MaxQuantity));
        Assert.Equal((await sim.Engine.GetSymbolsAsync()).Order(), (await exchange.GetSymbolsAsync()).Order());
        Assert.Equal(await sim.Engine.GetLatestPriceAsync(Symbol), await exchange.GetLatestPriceAsync(Symbol));
        Assert.Equal(10_000m, await exchange.GetBalanceAsync("USDT"));
        var account = await exchange.GetAccountAsync();
        Assert.Equal(10_000m, account.WalletBalance);
        Assert.Empty(account.Positions);
        var candles = await exchange.GetHistoricalKlinesAsync(Symbol, "1m", 30);
        var engineCandles = await sim.Engine.GetHistoricalKlinesAsync(Symbol, "1m", 30);
        Assert.Equal(engineCandles.Select(c => (c.OpenTime, c.Open, c.High, c.Low, c.Close)), candles.Select(c => (c.OpenTime, c.Open, c.High, c.Low, c.Close)));
        var funding = await exchange.GetFundingRateAsync(Symbol);
        Assert.Equal((await sim.Engine.GetFundingRateAsync(Symbol)).Rate, funding.Rate);
        Assert.Equal(5, (await exchange.GetFundingRatesAsync()).Count);
        Assert.Equal(5, (await exchange.GetTickersAsync()).Count);
        Assert.Equal(await sim.Engine.GetOpenInterestAsync(Symbol), await exchange.GetOpenInterestAsync(Symbol));
        Assert.True((await exchange.CheckHealthAsync()).IsHealthy);
        Assert.Equal(1800, exchange.Rest.RateLimits.Limit(BinanceRateLimits.Weight));
    }

    [Fact]
    public async Task ListenKeyIsKeptAliveAndAnExpiredKeyIsReplaced()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        sim.ListenKeyValidity = TimeSpan.FromSeconds(5);
        await using var exchange = BinanceConformanceTests.CreateBinance(sim, new Dictionary<string, string>
        {
            ["ListenKeyKeepAlive"] = "00:00:00.500",
            ["ReconnectInitialDelay"] = "00:00:00.050",
        });
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the user stream is connected");
        await Eventually.TrueAsync(() => sim.Journal.Count("PUT", "/fapi/v1/listenKey") >= 12, Timeout, "keepalives went out for longer than the key's validity");
        Assert.Equal(1, sim.ListenKeysIssued);
        Assert.Equal(1, exchange.UserStream.ListenKeysCreated);
        await sim.ExpireSessionAsync();
        await Eventually.TrueAsync(() => exchange.UserStream.ListenKeysCreated == 2 && sim.PrivateStreamsReady > 0, Timeout, "a new listen key is in use");
        Assert.Equal(2, sim.ListenKeysIssued);
    }

    [Fact]
    public async Task ConnectionsAreRotatedBeforeTheVenueLifetimeWithoutAGap()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        sim.MaxConnectionLifetime = TimeSpan.FromSeconds(3);
        await using var exchange = BinanceConformanceTests.CreateBinance(sim, new Dictionary<string, string>
        {
            ["ConnectionLifetime"] = "00:00:03",
            ["ConnectionRotationMargin"] = "00:00:02",
        });
        var reconnects = 0;
        exchange.StreamReconnected += (_, _) => Interlocked.Increment(ref reconnects);
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => exchange.UserStream.Connections >= 3, Timeout, "the user stream rotated twice");
        Assert.Equal(0, Volatile.Read(ref reconnects));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the user stream is connected");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await exchange.PlaceOrderAsync(Limit(last - 1000m, "rotated"));
        await orders.WaitForAsync(u => u.ClientOrderId == "rotated", "an order update on the rotated connection");
    }

    [Fact]
    public async Task KlineAndFundingStreamsCarryTheEngineCandles()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        await using var candles = new StreamRecorder<Candle>(ct => exchange.SubscribeKlinesAsync([Symbol], "1m", ct));
        await Eventually.TrueAsync(() => sim.SubscriptionsReceived >= 1, Timeout, "the kline stream is subscribed");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var price = last + 25m;
        sim.Engine.Trade(Symbol, price, 2m);
        var candle = await candles.WaitForAsync(c => c.Close == price, "the candle of the trade");
        Assert.Equal(("BTCUSDT", "1m"), (candle.Symbol, candle.Interval));
        Assert.True(candle.High >= price);
    }

    [Fact]
    public async Task AccountStreamFollowsFills()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        await using var accounts = new StreamRecorder<Account>(exchange.SubscribeAccountAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the user stream is connected");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await exchange.PlaceOrderAsync(Limit(last + 10m, "taker") with { Quantity = 0.01m });
        var account = await accounts.WaitForAsync(a => a.Positions.Count == 1, "an account with the new position");
        Assert.Equal(0.01m, account.Positions[0].Size);
        Assert.True(account.WalletBalance < 10_000m, "the taker fee was charged");
    }
}
