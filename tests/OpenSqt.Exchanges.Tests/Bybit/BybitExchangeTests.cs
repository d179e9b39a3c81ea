using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bybit;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bybit;

namespace OpenSqt.Exchanges.Tests.Bybit;

/// <summary>Bybit-specific behaviour over real HTTP and WebSocket against the simulator.</summary>
public sealed class BybitExchangeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Symbol = "BTCUSDT";

    [Fact]
    public async Task MarketDataAccountAndRulesComeFromTheV5Endpoints()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        var engineRules = await sim.Engine.GetSymbolInfoAsync(Symbol);
        var rules = await exchange.GetSymbolInfoAsync(Symbol);
        Assert.Equal(engineRules.TickSize, rules.TickSize);
        Assert.Equal(engineRules.StepSize, rules.StepSize);
        Assert.Equal(engineRules.MinQuantity, rules.MinQuantity);
        Assert.Equal(engineRules.MinNotional, rules.MinNotional);
        Assert.Contains(Symbol, await exchange.GetSymbolsAsync());
        Assert.Equal(await sim.Engine.GetLatestPriceAsync(Symbol), await exchange.GetLatestPriceAsync(Symbol));

        var candles = await exchange.GetHistoricalKlinesAsync(Symbol, "1m", 30);
        var engineCandles = await sim.Engine.GetHistoricalKlinesAsync(Symbol, "1m", 30);
        Assert.Equal(engineCandles.Select(c => (c.OpenTime, c.Close)), candles.Select(c => (c.OpenTime, c.Close)));
        Assert.Contains(sim.Journal.All, r => r.Path == "/v5/market/kline" && r.RawQuery.Contains("interval=1&", StringComparison.Ordinal));

        var funding = await exchange.GetFundingRateAsync(Symbol);
        Assert.Equal((await sim.Engine.GetFundingRateAsync(Symbol)).Rate, funding.Rate);
        Assert.NotEmpty(await exchange.GetTickersAsync());
        Assert.Equal(await sim.Engine.GetOpenInterestAsync(Symbol), await exchange.GetOpenInterestAsync(Symbol));

        var account = await exchange.GetAccountAsync();
        var engineAccount = await sim.Engine.GetAccountAsync();
        Assert.True(account.IsUnified);
        Assert.Equal(engineAccount.WalletBalance, account.WalletBalance);
        Assert.Equal(engineAccount.WalletBalance, await exchange.GetBalanceAsync("USDT"));
        Assert.Contains(sim.Journal.All, r => r.Path == "/v5/account/wallet-balance" && r.RawQuery.StartsWith("accountType=UNIFIED", StringComparison.Ordinal));
        await Assert.ThrowsAsync<ExchangeException>(() => exchange.GetHistoricalKlinesAsync(Symbol, "8h", 10));
    }

    [Fact]
    public async Task OrdersAreSentAsSignedJsonWithOrderLinkIdPostOnlyAndReduceOnly()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await exchange.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.01m });
        var placed = await exchange.PlaceOrderAsync(new OrderRequest
        {
            Symbol = Symbol,
            Side = OrderSide.Sell,
            Type = OrderType.Limit,
            Price = last + 500m,
            Quantity = 0.005m,
            PostOnly = true,
            ReduceOnly = true,
            ClientOrderId = "AbC123xyz",
        });
        Assert.Equal("AbC123xyz", placed.ClientOrderId);
        Assert.True(placed.PostOnly);
        var create = sim.Journal.All.Last(r => r.Path == "/v5/order/create");
        using var body = JsonDocument.Parse(create.Body);
        Assert.Equal("linear", body.RootElement.GetProperty("category").GetString());
        Assert.Equal("PostOnly", body.RootElement.GetProperty("timeInForce").GetString());
        Assert.True(body.RootElement.GetProperty("reduceOnly").GetBoolean());
        Assert.Equal("AbC123xyz", body.RootElement.GetProperty("orderLinkId").GetString());
        Assert.Equal(0, body.RootElement.GetProperty("positionIdx").GetInt32());

        var duplicate = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(new OrderRequest
        {
            Symbol = Symbol, Side = OrderSide.Sell, Type = OrderType.Limit, Price = last + 600m, Quantity = 0.005m, ClientOrderId = "AbC123xyz",
        }));
        Assert.Equal(ExchangeErrorKind.AlreadyExists, duplicate.Kind);
        Assert.Equal(BybitErrors.DuplicateOrderLinkId, duplicate.VenueCode);
        var tooSmall = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(new OrderRequest
        {
            Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = 1m, Quantity = 0.001m, ClientOrderId = "tiny",
        }));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, tooSmall.Kind);
        Assert.Equal(BybitErrors.BelowMinNotional, tooSmall.VenueCode);
    }

    [Fact]
    public async Task WrongSecretIsUnauthenticatedAndNothingIsPlaced()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim, secret: "wrong-secret");
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.GetOpenOrdersAsync(Symbol));
        Assert.Equal(ExchangeErrorKind.Unauthenticated, ex.Kind);
        Assert.Equal(BybitErrors.BadSignature, ex.VenueCode);
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync(Symbol));
    }

    [Fact]
    public async Task StreamsSendTheTextPingAndCarryKlinesFundingAccountAndPositions()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim, new Dictionary<string, string> { ["PingInterval"] = "00:00:00.200" });
        await using var klines = new StreamRecorder<Candle>(ct => exchange.SubscribeKlinesAsync([Symbol], "1m", ct));
        await using var funding = new StreamRecorder<FundingRate>(ct => exchange.SubscribeFundingRateAsync(Symbol, ct));
        await using var accounts = new StreamRecorder<Account>(exchange.SubscribeAccountAsync);
        await using var positions = new StreamRecorder<Position>(ct => exchange.SubscribePositionsAsync(Symbol, ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0 && sim.SubscriptionsReceived >= 2, Timeout, "both streams are subscribed");
        await funding.WaitForAsync(f => f.Symbol == Symbol, "the funding rate of the ticker snapshot");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await exchange.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 10m, Quantity = 0.003m, ClientOrderId = "strm1" });
        sim.Engine.Trade(Symbol, last - 10m, 1m);
        await klines.WaitForAsync(c => c.Symbol == Symbol && c.Interval == "1m" && c.Close == last - 10m, "the kline of the trade");
        await positions.WaitForAsync(p => p.Size == 0.003m, "the position after the fill");
        var account = await accounts.WaitForAsync(a => a.Positions.Any(p => p.Symbol == Symbol), "an account update carrying the position");
        Assert.True(account.IsUnified);
        await Eventually.TrueAsync(() => sim.PingsReceived >= 2, Timeout, "the client sent {\"op\":\"ping\"}");
    }

    [Fact]
    public async Task IdleConnectionsAreCutAndTheStreamComesBack()
    {
        await using var sim = await BybitSimulator.StartAsync();
        sim.IdleTimeout = TimeSpan.FromMilliseconds(700);
        await using var exchange = BybitConformanceTests.CreateBybit(sim, new Dictionary<string, string> { ["PingInterval"] = "00:00:30", ["ReconnectInitialDelay"] = "00:00:00.050" });
        var reconnects = 0;
        exchange.StreamReconnected += (_, _) => Interlocked.Increment(ref reconnects);
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => Volatile.Read(ref reconnects) >= 1, Timeout, "a client that never pings is cut and reconnects");
    }

    [Fact]
    public async Task RefusedAuthIsRetriedWithGrowingDelaysNotInATightLoop()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim, new Dictionary<string, string> { ["ReconnectInitialDelay"] = "00:00:00.200" }, secret: "wrong-secret");
        var started = TimeProvider.System.GetTimestamp();
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.ConnectionsAccepted >= 3, Timeout, "the client tried again after the refused auth");
        Assert.True(TimeProvider.System.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(600), "two retries waited 200 ms and 400 ms");
        Assert.Equal(0, sim.PrivateStreamsReady);
    }

    [Fact]
    public async Task BybitIsRegisteredAndDefaultsToProductionUrls()
    {
        Assert.Contains("bybit", VenueRegistration.Supported);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["EXCHANGE"] = "bybit", ["API_KEY"] = "k", ["API_SECRET"] = "s" }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddVenue(configuration);
        await using var sp = services.BuildServiceProvider();
        sp.GetRequiredService<IStartupValidator>().Validate();
        var options = sp.GetRequiredService<IOptions<BybitOptions>>().Value;
        Assert.Equal("https://api.bybit.com", options.RestBaseUrl);
        Assert.Equal("wss://stream.bybit.com", options.WsBaseUrl);
        Assert.IsType<BybitExchange>(sp.GetRequiredService<IExchange>());

        var missing = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["EXCHANGE"] = "bybit" }).Build();
        var bare = new ServiceCollection();
        bare.AddSingleton<IConfiguration>(missing);
        bare.AddLogging();
        bare.AddVenue(missing);
        await using var bad = bare.BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("API_KEY", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bybit_v5_rest_get")]
    [InlineData("bybit_v5_rest_post")]
    public async Task SimulatorChecksThePublishedSigningVectorsByteForByte(string name)
    {
        var v = Vectors.File("signing", name);
        await using var sim = await BybitSimulator.StartAsync(apiKey: v.GetProperty("api_key").GetString()!, apiSecret: v.GetProperty("secret").GetString()!);
        var timestamp = v.GetProperty("timestamp").GetString()!;
        sim.Clock.Skew = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture) + 100) - DateTimeOffset.UtcNow;
        using var http = new HttpClient();
        var method = v.GetProperty("method").GetString()!;
        var queryOrBody = v.GetProperty("query_or_body").GetString()!;
        async Task<int> SendAsync(string signed, string signature)
        {
            using var request = method == "GET"
                ? new HttpRequestMessage(HttpMethod.Get, $"{sim.RestBaseUrl}/v5/order/realtime?{signed}")
                : new HttpRequestMessage(HttpMethod.Post, $"{sim.RestBaseUrl}/v5/order/cancel-all") { Content = new StringContent(signed, Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation(BybitSigner.ApiKeyHeader, v.GetProperty("api_key").GetString());
            request.Headers.TryAddWithoutValidation(BybitSigner.TimestampHeader, timestamp);
            request.Headers.TryAddWithoutValidation(BybitSigner.RecvWindowHeader, v.GetProperty("recv_window").GetString());
            request.Headers.TryAddWithoutValidation(BybitSigner.SignHeader, signature);
            using var response = await http.SendAsync(request);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return doc.RootElement.GetProperty("retCode").GetInt32();
        }

        var signature = v.GetProperty("expected_signature").GetString()!;

        // The vectors ask for category=option, which the linear simulator refuses only after the signature passed.
        Assert.Equal(10001, await SendAsync(queryOrBody, signature));
        Assert.Equal(10004, await SendAsync(queryOrBody.Replace("option", "optioN", StringComparison.Ordinal), signature));
        sim.Clock.Skew += TimeSpan.FromSeconds(10);
        Assert.Equal(10002, await SendAsync(queryOrBody, signature));
    }
}
