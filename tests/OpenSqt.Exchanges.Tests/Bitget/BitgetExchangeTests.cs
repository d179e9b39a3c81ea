using System.Globalization;
using System.Net;
using System.Text;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bitget;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bitget;

namespace OpenSqt.Exchanges.Tests.Bitget;

/// <summary>Bitget's own oddities, against the simulator: one-way mode, passphrase, post-only accept-then-cancel, market data, heartbeat.</summary>
public sealed class BitgetExchangeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task HedgeModeAccountIsRefusedAsAPositionModeMismatch()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        sim.HedgeMode = true;
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => bitget.PlaceOrderAsync(new OrderRequest
        {
            Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 1000m, Quantity = 0.002m, ClientOrderId = "hedge1",
        }));
        Assert.Equal(ExchangeErrorKind.PositionModeMismatch, ex.Kind);
        Assert.Contains("one-way", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await sim.Engine.GetOpenOrdersAsync("BTCUSDT"));
    }

    [Fact]
    public async Task WrongPassphraseOrSecretIsUnauthenticatedOnRestAndStream()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using (var wrongPassphrase = BitgetConformanceTests.CreateBitget(sim, passphrase: "nope"))
        {
            var ex = await Assert.ThrowsAsync<ExchangeException>(() => wrongPassphrase.GetOpenOrdersAsync("BTCUSDT"));
            Assert.Equal(ExchangeErrorKind.Unauthenticated, ex.Kind);
            Assert.Equal("40012", ex.VenueCode);
            Assert.Contains("PASSPHRASE", ex.Message, StringComparison.Ordinal);
        }

        await using var wrongSecret = BitgetConformanceTests.CreateBitget(sim, secret: "nope");
        var signature = await Assert.ThrowsAsync<ExchangeException>(() => wrongSecret.GetAccountAsync());
        Assert.Equal("40009", signature.VenueCode);
        await using var orders = new StreamRecorder<OrderUpdate>(wrongSecret.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.ConnectionsAccepted >= 2, Timeout, "the private stream tried to log in again after a refused login");
        Assert.Equal(0, sim.PrivateStreamsReady);
    }

    [Fact]
    public async Task PostOnlyThatWouldCrossIsAcceptedCancelledAndReportedAsRejected()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        await using var orders = new StreamRecorder<OrderUpdate>(bitget.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is logged in");
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => bitget.PlaceOrderAsync(new OrderRequest
        {
            Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Price = last + 100m, Quantity = 0.002m, PostOnly = true, ClientOrderId = "po1",
        }));
        Assert.Equal(ExchangeErrorKind.PostOnlyRejected, ex.Kind);
        Assert.Contains("\"force\":\"post_only\"", sim.Journal.All.Single(r => r.Path == "/api/v2/mix/order/place-order").Body, StringComparison.Ordinal);
        var cancelled = await orders.WaitForAsync(u => u.ClientOrderId == "po1", "the cancel of the post-only order on the stream");
        Assert.Equal(OrderStatus.Canceled, cancelled.Status);
        Assert.Equal(OrderStatus.Canceled, (await bitget.GetOrderAsync("BTCUSDT", OrderRef.ByClientId("po1"))).Status);
    }

    [Fact]
    public async Task MarketDataAccountAndStreamsWithTheTextPing()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        // Pings every 200 ms against a 4 s idle timeout: a loaded machine may delay a ping by a second or two, never by four.
        sim.IdleTimeout = TimeSpan.FromSeconds(4);
        await using var bitget = BitgetConformanceTests.CreateBitget(sim, new Dictionary<string, string> { ["PingInterval"] = "00:00:00.200" });
        var rules = await bitget.GetSymbolInfoAsync("XRPUSDT");
        Assert.Equal(0.0001m, rules.TickSize);
        Assert.Equal(0.1m, rules.StepSize);
        Assert.Equal(5m, rules.MinNotional);
        var candles = await bitget.GetHistoricalKlinesAsync("BTCUSDT", "1h", 3);
        var engine = await sim.Engine.GetHistoricalKlinesAsync("BTCUSDT", "1h", 3);
        Assert.Equal(engine.Select(c => (c.OpenTime, c.Close, c.Volume)), candles.Select(c => (c.OpenTime, c.Close, c.Volume)));
        var funding = await bitget.GetFundingRateAsync("BTCUSDT");
        var engineFunding = await sim.Engine.GetFundingRateAsync("BTCUSDT");
        Assert.Equal(engineFunding.Rate, funding.Rate);
        Assert.Equal(engineFunding.NextFundingTime.ToUnixTimeMilliseconds(), funding.NextFundingTime.ToUnixTimeMilliseconds());
        Assert.Equal(5, (await bitget.GetFundingRatesAsync()).Count);
        Assert.NotEmpty(await bitget.GetHistoricalFundingRatesAsync("BTCUSDT", 3));
        Assert.Equal(await sim.Engine.GetOpenInterestAsync("BTCUSDT"), await bitget.GetOpenInterestAsync("BTCUSDT"));
        Assert.Equal(10_000m, await bitget.GetBalanceAsync("USDT"));
        Assert.Equal(ExchangeErrorKind.NotFound, (await Assert.ThrowsAsync<ExchangeException>(() => bitget.GetLatestPriceAsync("NOPEUSDT"))).Kind);
        Assert.True((await bitget.CheckHealthAsync()).IsHealthy);

        await using var prices = new StreamRecorder<PriceChange>(ct => bitget.SubscribePriceAsync(["BTCUSDT"], ct));
        await using var klines = new StreamRecorder<Candle>(ct => bitget.SubscribeKlinesAsync(["BTCUSDT"], "1m", ct));
        await using var rates = new StreamRecorder<FundingRate>(ct => bitget.SubscribeFundingRateAsync("BTCUSDT", ct));
        await using var positions = new StreamRecorder<Position>(ct => bitget.SubscribePositionsAsync("BTCUSDT", ct));
        await using var accounts = new StreamRecorder<Account>(bitget.SubscribeAccountAsync);
        await Eventually.TrueAsync(() => sim.SubscriptionsReceived >= 2 && sim.PrivateStreamsReady > 0, Timeout, "public and private channels are subscribed");
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        sim.Engine.Trade("BTCUSDT", last + 7m, 0.5m);
        await prices.WaitForAsync(p => p.Price == last + 7m, "the traded price");
        await klines.WaitForAsync(c => c.Close == last + 7m, "the candle of the trade");
        await rates.WaitForAsync(f => f.Rate == engineFunding.Rate && f.NextFundingTime == engineFunding.NextFundingTime, "funding from the ticker");
        await bitget.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Sell, Type = OrderType.Market, Quantity = 0.01m, ClientOrderId = "mkt1" });
        await positions.WaitForAsync(p => p.Size == -0.01m, "the short position");
        await accounts.WaitForAsync(a => a.Positions.Any(p => p.Size == -0.01m), "an account snapshot after the account push");
        var reduce = await bitget.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.01m, ReduceOnly = true, ClientOrderId = "mkt2" });
        Assert.True(reduce.ReduceOnly);
        Assert.Contains("\"reduceOnly\":\"YES\"", sim.Journal.All.Last(r => r.Path == "/api/v2/mix/order/place-order").Body, StringComparison.Ordinal);
        Assert.Empty(await bitget.GetPositionsAsync("BTCUSDT"));
        var refused = await Assert.ThrowsAsync<ExchangeException>(() => bitget.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.01m, ReduceOnly = true, ClientOrderId = "mkt3" }));
        Assert.Equal(ExchangeErrorKind.ReduceOnlyRejected, refused.Kind);
        // 50 pings over two connections: each has been open 5 s, past the idle timeout, on its pings alone.
        await Eventually.TrueAsync(() => sim.PingsAnswered >= 50, Timeout, "pings kept both connections open past the idle timeout");
        Assert.True(sim.ConnectionsAccepted == 2, $"connections accepted: {sim.ConnectionsAccepted}, pings {sim.PingsAnswered}");
    }

    [Fact]
    public async Task SimulatorRefusesATamperedSignatureAndAnOffScaleSize()
    {
        var vector = Vectors.File("signing", "bitget_rest_post_place_order");
        var secret = vector.GetProperty("secret").GetString()!;
        await using var sim = await BitgetSimulator.StartAsync(apiSecret: secret);
        using var http = new HttpClient();
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");

        HttpRequestMessage Signed(string body, Func<string, string>? tamper = null)
        {
            var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var message = new HttpRequestMessage(HttpMethod.Post, sim.RestBaseUrl + "/api/v2/mix/order/place-order") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            var sign = BitgetSigner.Sign(secret, BitgetSigner.RestPayload(ms, "POST", "/api/v2/mix/order/place-order", "", body));
            message.Headers.Add(BitgetSigner.KeyHeader, BitgetSimulator.DefaultApiKey);
            message.Headers.Add(BitgetSigner.TimestampHeader, ms.ToString(CultureInfo.InvariantCulture));
            message.Headers.Add(BitgetSigner.PassphraseHeader, BitgetSimulator.DefaultPassphrase);
            message.Headers.Add(BitgetSigner.SignHeader, tamper is null ? sign : tamper(sign));
            return message;
        }

        var price = (last - 1000m).ToString(CultureInfo.InvariantCulture);
        var good = $"{{\"symbol\":\"BTCUSDT\",\"productType\":\"USDT-FUTURES\",\"marginMode\":\"crossed\",\"marginCoin\":\"USDT\",\"size\":\"0.002\",\"price\":\"{price}\",\"side\":\"buy\",\"orderType\":\"limit\",\"force\":\"gtc\"}}";
        using (var tampered = await http.SendAsync(Signed(good, s => (s[0] == 'A' ? "B" : "A") + s[1..])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tampered.StatusCode);
            Assert.Contains("\"40009\"", await tampered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var scale = await http.SendAsync(Signed(good.Replace("\"0.002\"", "\"0.0025\"", StringComparison.Ordinal))))
        {
            Assert.Contains("\"40808\"", await scale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var oneWay = await http.SendAsync(Signed(good.Replace("\"force\":\"gtc\"", "\"force\":\"gtc\",\"tradeSide\":\"open\"", StringComparison.Ordinal))))
        {
            Assert.Contains("\"40774\"", await oneWay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Empty(await sim.Engine.GetOpenOrdersAsync("BTCUSDT"));
        using var ok = await http.SendAsync(Signed(good));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("\"00000\"", await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(await sim.Engine.GetOpenOrdersAsync("BTCUSDT"));
    }
}
