using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Okx;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Okx;

namespace OpenSqt.Exchanges.Tests.Okx;

/// <summary>OKX-specific behaviour over real HTTP and WebSocket against the simulator.</summary>
public sealed class OkxExchangeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Symbol = "BTCUSDT";

    [Fact]
    public async Task RulesSizesAndMarketDataAreConvertedFromContracts()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var engineRules = await sim.Engine.GetSymbolInfoAsync(Symbol);
        var rules = await exchange.GetSymbolInfoAsync(Symbol);
        Assert.Equal(engineRules.StepSize, rules.StepSize);
        Assert.Equal(engineRules.MinQuantity, rules.MinQuantity);
        Assert.Equal(engineRules.TickSize, rules.TickSize);
        Assert.Equal(sim.ContractValue(engineRules), rules.ContractSize);
        Assert.Equal(await sim.Engine.GetLatestPriceAsync(Symbol), await exchange.GetLatestPriceAsync(Symbol));
        var candles = await exchange.GetHistoricalKlinesAsync(Symbol, "1h", 24);
        var engineCandles = await sim.Engine.GetHistoricalKlinesAsync(Symbol, "1h", 24);
        Assert.Equal(engineCandles.Select(c => (c.OpenTime, c.Close, c.Volume)), candles.Select(c => (c.OpenTime, c.Close, c.Volume)));
        Assert.Contains(sim.Journal.All, r => r.Path == "/api/v5/market/candles" && r.RawQuery.Contains("bar=1H", StringComparison.Ordinal));
        Assert.Equal(await sim.Engine.GetOpenInterestAsync(Symbol), await exchange.GetOpenInterestAsync(Symbol));
        Assert.Equal((await sim.Engine.GetFundingRateAsync(Symbol)).Rate, (await exchange.GetFundingRateAsync(Symbol)).Rate);
        var listed = (await sim.Engine.GetSymbolsAsync()).Count;
        Assert.Equal(listed, (await exchange.GetFundingRatesAsync()).Count);
        Assert.NotEmpty(await exchange.GetHistoricalFundingRatesAsync(Symbol, 10));
        Assert.Equal(listed, (await exchange.GetTickersAsync()).Count);
        var account = await exchange.GetAccountAsync();
        Assert.Equal((await sim.Engine.GetAccountAsync()).WalletBalance, account.WalletBalance);
        Assert.Equal(account.WalletBalance, await exchange.GetBalanceAsync("USDT"));
    }

    [Fact]
    public async Task OrdersGoOutInContractsWithPostOnlyOrdTypeAndComeBackInBase()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var placed = await exchange.PlaceOrderAsync(new OrderRequest
        {
            Symbol = Symbol, Side = OrderSide.Sell, Type = OrderType.Limit, Price = last + 700m, Quantity = 0.013m, PostOnly = true, ClientOrderId = "CaseSensitive1",
        });
        Assert.Equal(0.013m, placed.Quantity);
        Assert.Equal("CaseSensitive1", placed.ClientOrderId);
        Assert.True(placed.PostOnly);
        using var body = JsonDocument.Parse(sim.Journal.All.Last(r => r.Method == "POST" && r.Path == "/api/v5/trade/order").Body);
        Assert.Equal("post_only", body.RootElement.GetProperty("ordType").GetString());
        Assert.Equal("1.3", body.RootElement.GetProperty("sz").GetString());
        Assert.Equal("BTC-USDT-SWAP", body.RootElement.GetProperty("instId").GetString());
        Assert.Equal(0.013m, Assert.Single(await exchange.GetOpenOrdersAsync(Symbol)).Quantity);

        var offLot = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(new OrderRequest
        {
            Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 700m, Quantity = 0.0015m, ClientOrderId = "offlot",
        }));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, offLot.Kind);
        var badId = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(new OrderRequest
        {
            Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 700m, Quantity = 0.002m, ClientOrderId = "has-dash",
        }));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, badId.Kind);
        Assert.Equal(1, sim.Journal.Count("POST", "/api/v5/trade/order"));
        var duplicate = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(new OrderRequest
        {
            Symbol = Symbol, Side = OrderSide.Sell, Type = OrderType.Limit, Price = last + 800m, Quantity = 0.002m, ClientOrderId = "CaseSensitive1",
        }));
        Assert.Equal(ExchangeErrorKind.AlreadyExists, duplicate.Kind);
        Assert.Equal(OkxErrors.DuplicateClOrdId, duplicate.VenueCode);
    }

    [Fact]
    public async Task WrongPassphraseIsUnauthenticated()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim, passphrase: "wrong");
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.GetOpenOrdersAsync(Symbol));
        Assert.Equal(ExchangeErrorKind.Unauthenticated, ex.Kind);
        Assert.Equal("50105", ex.VenueCode);
    }

    [Fact]
    public async Task CandlesComeFromTheBusinessEndpointAndTheTextPingKeepsStreamsAlive()
    {
        await using var sim = await OkxSimulator.StartAsync();
        // Pings every 300 ms against a 4 s idle timeout: a loaded machine may delay a ping by a second or two, never by four.
        sim.IdleTimeout = TimeSpan.FromSeconds(4);
        await using var exchange = OkxConformanceTests.CreateOkx(sim, new Dictionary<string, string> { ["PingInterval"] = "00:00:00.300" });
        var reconnects = 0;
        exchange.StreamReconnected += (_, _) => Interlocked.Increment(ref reconnects);
        await using var candles = new StreamRecorder<Candle>(ct => exchange.SubscribeKlinesAsync([Symbol], "1m", ct));
        await using var funding = new StreamRecorder<FundingRate>(ct => exchange.SubscribeFundingRateAsync(Symbol, ct));
        await using var positions = new StreamRecorder<Position>(ct => exchange.SubscribePositionsAsync(Symbol, ct));
        await using var accounts = new StreamRecorder<Account>(exchange.SubscribeAccountAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0 && sim.SubscriptionsReceived >= 2, Timeout, "every stream is subscribed");
        await funding.WaitForAsync(f => f.Symbol == Symbol, "the funding rate push");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await exchange.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 10m, Quantity = 0.003m, ClientOrderId = "strm1" });
        sim.Engine.Trade(Symbol, last - 10m, 1m);
        await candles.WaitForAsync(c => c.Close == last - 10m && c.Interval == "1m", "the candle of the trade from /business");
        await positions.WaitForAsync(p => p.Size == 0.003m, "the position in base units");
        await accounts.WaitForAsync(a => a.Positions.Any(p => p.Symbol == Symbol), "the account push");
        // 45 pings on the three connections (public, private, business) at 300 ms: each lived 4.5 s, past the idle
        // timeout, on its pings alone.
        await Eventually.TrueAsync(() => sim.PingsReceived >= 45, Timeout, "text pings went out");
        Assert.Equal(0, Volatile.Read(ref reconnects));
    }

    [Fact]
    public async Task ServiceUpgradeNoticeMakesEveryStreamReconnectAndResubscribe()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim, new Dictionary<string, string> { ["ReconnectInitialDelay"] = "00:00:00.050" });
        var reconnected = new List<string>();
        exchange.StreamReconnected += (_, e) =>
        {
            lock (reconnected)
            {
                reconnected.Add(e.Stream);
            }
        };
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await using var prices = new StreamRecorder<PriceChange>(ct => exchange.SubscribePriceAsync([Symbol], ct));
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0 && sim.SubscriptionsReceived >= 1, Timeout, "both streams are up");
        var accepted = sim.ConnectionsAccepted;
        var subscriptions = sim.SubscriptionsReceived;
        await sim.AnnounceServiceUpgradeAsync();
        await Eventually.TrueAsync(() => sim.ConnectionsAccepted >= accepted + 2, Timeout, "both streams opened new connections");
        await Eventually.TrueAsync(() => sim.SubscriptionsReceived > subscriptions && sim.PrivateStreamsReady > 0, Timeout, "subscriptions and login came back");
        var price = (await sim.Engine.GetLatestPriceAsync(Symbol)) + 5m;
        sim.Engine.Trade(Symbol, price, 0.1m);
        await prices.WaitForAsync(p => p.Price == price, "a price on the new connection");
    }

    [Fact]
    public async Task RefusedLoginIsRetriedWithGrowingDelaysNotInATightLoop()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim, new Dictionary<string, string> { ["ReconnectInitialDelay"] = "00:00:00.200" }, secret: "wrong-secret");
        var started = TimeProvider.System.GetTimestamp();
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.ConnectionsAccepted >= 3, Timeout, "the client tried again after the refused login");
        Assert.True(TimeProvider.System.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(600), "two retries waited 200 ms and 400 ms");
        Assert.Equal(0, sim.PrivateStreamsReady);
    }

    [Fact]
    public async Task SilentConnectionsAreClosedWith4004AndTheStreamComesBack()
    {
        await using var sim = await OkxSimulator.StartAsync();
        sim.IdleTimeout = TimeSpan.FromMilliseconds(700);
        await using var exchange = OkxConformanceTests.CreateOkx(sim, new Dictionary<string, string> { ["PingInterval"] = "00:00:20", ["ReconnectInitialDelay"] = "00:00:00.050" });
        var reconnects = 0;
        exchange.StreamReconnected += (_, _) => Interlocked.Increment(ref reconnects);
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => Volatile.Read(ref reconnects) >= 1, Timeout, "a client that never pings is closed and reconnects");
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the new connection logged in again");
    }

    [Fact]
    public async Task OkxIsRegisteredNeedsThePassphraseAndDefaultsToProductionUrls()
    {
        Assert.Contains("okx", VenueRegistration.Supported);
        static ServiceProvider Build(Dictionary<string, string?> settings)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(configuration);
            services.AddLogging();
            services.AddVenue(configuration);
            return services.BuildServiceProvider();
        }

        await using var sp = Build(new() { ["EXCHANGE"] = "okx", ["API_KEY"] = "k", ["API_SECRET"] = "s", ["PASSPHRASE"] = "p" });
        sp.GetRequiredService<IStartupValidator>().Validate();
        var options = sp.GetRequiredService<IOptions<OkxOptions>>().Value;
        Assert.Equal("https://www.okx.com", options.RestBaseUrl);
        Assert.Equal("wss://ws.okx.com:8443/ws/v5/public", options.WsBaseUrl);
        Assert.Equal("wss://ws.okx.com:8443/ws/v5/private", options.WsPrivateUrl);
        Assert.Equal("wss://ws.okx.com:8443/ws/v5/business", options.WsBusinessUrl);
        Assert.IsType<OkxExchange>(sp.GetRequiredService<IExchange>());

        await using var noPassphrase = Build(new() { ["EXCHANGE"] = "okx", ["API_KEY"] = "k", ["API_SECRET"] = "s" });
        var missing = Assert.Throws<OptionsValidationException>(() => noPassphrase.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("PASSPHRASE", missing.Message, StringComparison.Ordinal);

        await using var badUrl = Build(new() { ["EXCHANGE"] = "okx", ["API_KEY"] = "k", ["API_SECRET"] = "s", ["PASSPHRASE"] = "p", ["Exchanges:Okx:WsBusinessUrl"] = "http://127.0.0.1:1" });
        var bad = Assert.Throws<OptionsValidationException>(() => badUrl.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Exchanges:Okx:WsBusinessUrl", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulatorChecksThePublishedGetVectorByteForByte()
    {
        var v = Vectors.File("signing", "okx_rest_get");
        await using var sim = await OkxSimulator.StartAsync(apiSecret: v.GetProperty("secret").GetString()!);
        var timestamp = v.GetProperty("timestamp").GetString()!;
        sim.Clock.Skew = DateTimeOffset.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture) + TimeSpan.FromSeconds(1) - DateTimeOffset.UtcNow;
        using var http = new HttpClient();
        async Task<string> SendAsync(string path, string stamp, string signature)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, sim.RestBaseUrl + path);
            request.Headers.TryAddWithoutValidation(OkxSigner.KeyHeader, OkxSimulator.DefaultApiKey);
            request.Headers.TryAddWithoutValidation(OkxSigner.PassphraseHeader, OkxSimulator.DefaultPassphrase);
            request.Headers.TryAddWithoutValidation(OkxSigner.TimestampHeader, stamp);
            request.Headers.TryAddWithoutValidation(OkxSigner.SignHeader, signature);
            using var response = await http.SendAsync(request);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return doc.RootElement.GetProperty("code").GetString()!;
        }

        var path = v.GetProperty("request_path").GetString()!;
        var signature = v.GetProperty("expected_signature").GetString()!;
        Assert.Equal("0", await SendAsync(path, timestamp, signature));
        Assert.Equal("50113", await SendAsync(path.Replace("BTC", "ETH", StringComparison.Ordinal), timestamp, signature));
        Assert.Equal("50112", await SendAsync(path, timestamp.Replace(".715Z", "+00:00", StringComparison.Ordinal), signature));
        sim.Clock.Skew += TimeSpan.FromMinutes(1);
        Assert.Equal(OkxErrors.TimestampExpired, await SendAsync(path, timestamp, signature));
    }
}
