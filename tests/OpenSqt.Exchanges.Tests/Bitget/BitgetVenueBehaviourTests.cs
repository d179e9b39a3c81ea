using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bitget;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bitget;

namespace OpenSqt.Exchanges.Tests.Bitget;

/// <summary>
/// Bitget as the venue behaves (issue 12, section 3), against the corrected simulator: positions snapshots, T/M
/// tradeScope, the account's margin mode, the UTC candle lines, the login on the venue clock, coalesced account refreshes.
/// </summary>
public sealed class BitgetVenueBehaviourTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Symbol = "BTCUSDT";

    [Fact]
    public async Task SnapshotWithoutASymbolPublishesItFlatOnceAndKeepsTheOthers()
    {
        await using var stream = NewUserStream(TimeProvider.System, TimeSpan.FromSeconds(1), _ => Task.FromException<Account>(new ExchangeException(ExchangeErrorKind.Unavailable, "unused")));
        using var cts = new CancellationTokenSource(Timeout);
        var reader = stream.Positions.Subscribe(null, cts.Token).GetAsyncEnumerator(cts.Token);
        stream.HandleMessage(PositionsPush(("BTCUSDT", "long", "0.5"), ("ETHUSDT", "short", "2")));
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(("BTCUSDT", 0.5m), (reader.Current.Symbol, reader.Current.Size));
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(("ETHUSDT", -2m), (reader.Current.Symbol, reader.Current.Size));
        stream.HandleMessage(PositionsPush(("ETHUSDT", "short", "2")));
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(("ETHUSDT", -2m), (reader.Current.Symbol, reader.Current.Size));
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(("BTCUSDT", 0m), (reader.Current.Symbol, reader.Current.Size));
        stream.HandleMessage(PositionsPush());
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(("ETHUSDT", 0m), (reader.Current.Symbol, reader.Current.Size));
        await reader.DisposeAsync();
    }

    [Fact]
    public async Task MakerAndTakerFillsAreReadFromTheMAndTScope()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        await using var orders = new StreamRecorder<OrderUpdate>(bitget.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is logged in");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await bitget.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 100m, Quantity = 0.002m, ClientOrderId = "maker1" });
        sim.Engine.Trade(Symbol, last - 100m, 0.01m);
        var maker = await orders.WaitForAsync(u => u.ClientOrderId == "maker1" && u.LastFill is not null, "the resting order's fill");
        Assert.True(maker.LastFill!.IsMaker);
        await bitget.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Sell, Type = OrderType.Market, Quantity = 0.002m, ClientOrderId = "taker1" });
        var taker = await orders.WaitForAsync(u => u.ClientOrderId == "taker1" && u.LastFill is not null, "the market order's fill");
        Assert.False(taker.LastFill!.IsMaker);
    }

    [Fact]
    public async Task OrdersCarryTheMarginModeTheAccountHoldsForTheSymbol()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        sim.MarginModes[Symbol] = "isolated";
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await bitget.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 500m, Quantity = 0.002m, ClientOrderId = "iso1" });
        var batch = await bitget.BatchPlaceOrdersAsync([new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 600m, Quantity = 0.002m, ClientOrderId = "iso2" }]);
        Assert.Empty(batch.Errors);
        Assert.Contains("\"marginMode\":\"isolated\"", sim.Journal.All.Single(r => r.Path == "/api/v2/mix/order/place-order").Body, StringComparison.Ordinal);
        Assert.Contains("\"marginMode\":\"isolated\"", sim.Journal.All.Single(r => r.Path == "/api/v2/mix/order/batch-place-order").Body, StringComparison.Ordinal);
        Assert.Equal("isolated", sim.MarginModeOf(Symbol));
        Assert.Equal("crossed", sim.MarginModeOf("ETHUSDT"));
    }

    [Fact]
    public async Task BatchCancelFailuresWithoutAnOrderIdAreNeverChargedToAnotherOrder()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        sim.OmitOrderIdOfFailedCancels = true;
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var open = await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 500m, Quantity = 0.002m, ClientOrderId = "open1" });
        var done = await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Limit, Price = last - 510m, Quantity = 0.002m, ClientOrderId = "done1" });
        await sim.Engine.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(done.ExchangeOrderId));
        const string Unknown = "987654321";

        // The first order is cancelled; Bitget refuses the other two without an orderId: the finished one named by its
        // clientOid, the unknown one by nothing. Neither refusal is charged to the first order.
        var errors = await bitget.BatchCancelOrdersAsync(Symbol, [open.ExchangeOrderId, done.ExchangeOrderId, Unknown]);

        var error = Assert.Single(errors);
        Assert.Equal((2, ExchangeErrorKind.NotFound, Unknown), (error.Index, error.Kind, error.ExchangeOrderId));
        Assert.Equal(OrderStatus.Canceled, (await sim.Engine.GetOrderAsync(Symbol, OrderRef.ByExchangeId(open.ExchangeOrderId))).Status);
        Assert.Contains(sim.Journal.All, r => r.Path == "/api/v2/mix/order/detail" && r.RawQuery.Contains("clientOid=done1", StringComparison.Ordinal));
        Assert.Contains(sim.Journal.All, r => r.Path == "/api/v2/mix/order/detail" && r.RawQuery.Contains("orderId=" + Unknown, StringComparison.Ordinal));
        Assert.DoesNotContain(sim.Journal.All, r => r.Path == "/api/v2/mix/order/detail" && r.RawQuery.Contains("orderId=" + open.ExchangeOrderId, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("1d", "1Dutc")]
    [InlineData("12h", "12Hutc")]
    [InlineData("6h", "6Hutc")]
    public async Task LongCandlesAreTheUtcLines(string interval, string granularity)
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        var candles = await bitget.GetHistoricalKlinesAsync(Symbol, interval, 3);
        var engine = await sim.Engine.GetHistoricalKlinesAsync(Symbol, interval, 3);
        Assert.Equal(engine.Select(c => (c.OpenTime, c.Close)), candles.Select(c => (c.OpenTime, c.Close)));
        Assert.All(candles, c => Assert.Equal(TimeSpan.Zero, TimeSpan.FromTicks(c.OpenTime.UtcTicks % KlineInterval.ToTimeSpan(interval).Ticks)));
        Assert.Contains("granularity=" + granularity, sim.Journal.All.Single(r => r.Path == "/api/v2/mix/market/candles").RawQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2h")]
    [InlineData("8h")]
    public async Task IntervalsWithoutABitgetGranularityAreRefusedBeforeAnythingIsSent(string interval)
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => bitget.GetHistoricalKlinesAsync(Symbol, interval, 3));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(interval, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(sim.Journal.All, r => r.Path == "/api/v2/mix/market/candles");
        Assert.NotEmpty(await bitget.GetHistoricalKlinesAsync(Symbol, "4h", 3));
    }

    [Fact]
    public async Task DailyCandleChannelIsTheUtcLine()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        await using var klines = new StreamRecorder<Candle>(ct => bitget.SubscribeKlinesAsync([Symbol], "1d", ct));
        await Eventually.TrueAsync(() => sim.PublicChannels.ContainsKey("candle1Dutc:" + Symbol), Timeout, "the candle1Dutc channel is subscribed");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);

        // The venue may list the channel a moment before its pushes reach the stream: trade until one arrives.
        await Eventually.TrueAsync(() =>
        {
            sim.Engine.Trade(Symbol, last + 3m, 0.1m);
            return klines.Items.Any(c => c.Close == last + 3m);
        }, Timeout, "the daily candle of the trade");
        var candle = klines.Items.First(c => c.Close == last + 3m);
        Assert.Equal(TimeSpan.Zero, candle.OpenTime.TimeOfDay);
        Assert.False(sim.PublicChannels.ContainsKey("candle1D:" + Symbol));
    }

    [Fact]
    public async Task PrivateLoginIsSignedWithTheVenueClock()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        sim.TimestampTolerance = TimeSpan.FromSeconds(10);
        sim.Clock.Skew = TimeSpan.FromSeconds(25);
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        await using var orders = new StreamRecorder<OrderUpdate>(bitget.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the login, signed 25 s ahead of the local clock, was accepted");
        Assert.True(bitget.Clock.Offset > TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task AccountPushesTriggerAtMostOneRefreshPerInterval()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        var fetches = 0;
        var account = new Account { WalletBalance = 1m, MarginBalance = 1m, AvailableBalance = 1m };
        await using var stream = NewUserStream(time, TimeSpan.FromSeconds(2), _ =>
        {
            Interlocked.Increment(ref fetches);
            return Task.FromResult(account);
        });
        var push = Encoding.UTF8.GetBytes("{\"action\":\"snapshot\",\"arg\":{\"instType\":\"USDT-FUTURES\",\"channel\":\"account\",\"coin\":\"default\"},\"data\":[{\"marginCoin\":\"USDT\",\"available\":\"1\"}],\"ts\":1}");
        for (var i = 0; i < 50; i++)
        {
            stream.HandleMessage(push);
        }

        await Eventually.TrueAsync(() => Volatile.Read(ref fetches) == 1, Timeout, "one refresh at once");
        for (var i = 0; i < 50; i++)
        {
            stream.HandleMessage(push);
        }

        // The loop takes the next request and waits out the interval on the (frozen) clock: no second fetch meanwhile.
        await Eventually.TrueAsync(() => stream.AccountRefreshesDeferred == 1, Timeout, "the next refresh waits for the interval");
        Assert.Equal(100, stream.AccountPushes);
        Assert.Equal(1, Volatile.Read(ref fetches));
        // The counter moves just before the loop arms its delay on the fake clock: keep advancing until the delay has
        // seen the interval pass (advancing before it is armed would leave it waiting on a clock that never moves).
        await Eventually.TrueAsync(() =>
        {
            if (Volatile.Read(ref fetches) >= 2)
            {
                return true;
            }

            time.Advance(TimeSpan.FromSeconds(2));
            return false;
        }, Timeout, "one trailing refresh for the pushes of the interval");
        Assert.Equal(2, Volatile.Read(ref fetches));
        time.Advance(TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(2));
        await Eventually.TrueAsync(() => stream.AccountRefreshes == Volatile.Read(ref fetches), Timeout, "refreshes settle");
        Assert.InRange(Volatile.Read(ref fetches), 2, 3);
    }

    [Fact]
    public async Task TradingBurstCostsOneAccountRefreshNotOnePerPush()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim, new Dictionary<string, string> { ["AccountRefreshInterval"] = "01:00:00" });
        await using var accounts = new StreamRecorder<Account>(bitget.SubscribeAccountAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the private stream is logged in");
        async Task BurstAsync(int from)
        {
            for (var i = from; i < from + 3; i++)
            {
                await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = i % 2 == 0 ? OrderSide.Buy : OrderSide.Sell, Type = OrderType.Market, Quantity = 0.002m, ClientOrderId = $"burst{i}" });
            }
        }

        await BurstAsync(0);
        await accounts.WaitForAsync(_ => true, "the refresh at the first push");
        await BurstAsync(3);
        await Eventually.TrueAsync(() => bitget.UserStream.AccountPushes >= 6, Timeout, "the account pushes of both bursts arrived");
        await Eventually.TrueAsync(() => bitget.UserStream.AccountRefreshesDeferred == 1, Timeout, "the later pushes wait for the interval");
        Assert.Equal(1, bitget.UserStream.AccountRefreshes);
        Assert.Equal(1, sim.Journal.Count("GET", "/api/v2/mix/position/all-position"));
        Assert.Equal(1, sim.Journal.Count("GET", "/api/v2/mix/account/accounts"));
    }

    private static BitgetUserStream NewUserStream(TimeProvider time, TimeSpan refreshInterval, Func<CancellationToken, Task<Account>> fetchAccount) =>
        new(new BitgetOptions { AccountRefreshInterval = refreshInterval, WsBaseUrl = Loopback.UnreachableWs, WsPrivateUrl = Loopback.UnreachableWs }, new VenueCredentials("k", "s", "p"), fetchAccount, new ServerClock(time), _ => Task.CompletedTask, time, NullLogger.Instance, new VenueMetrics());

    private static byte[] PositionsPush(params (string Symbol, string Side, string Total)[] positions)
    {
        var items = string.Join(',', positions.Select(p =>
            $"{{\"instId\":\"{p.Symbol}\",\"marginCoin\":\"USDT\",\"marginMode\":\"crossed\",\"holdSide\":\"{p.Side}\",\"posMode\":\"one_way_mode\",\"total\":\"{p.Total}\",\"available\":\"{p.Total}\",\"openPriceAvg\":\"100\",\"leverage\":10,\"achievedProfits\":\"0\",\"unrealizedPL\":\"0\",\"liquidationPrice\":\"0\",\"cTime\":\"1\",\"uTime\":\"2\"}}"));
        return Encoding.UTF8.GetBytes($"{{\"action\":\"snapshot\",\"arg\":{{\"instType\":\"USDT-FUTURES\",\"channel\":\"positions\",\"instId\":\"default\"}},\"data\":[{items}],\"ts\":3}}");
    }
}
