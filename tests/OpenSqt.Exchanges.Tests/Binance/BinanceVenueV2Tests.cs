using System.Net.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Binance;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Sim;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Binance;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.Exchanges.Tests.Binance;

/// <summary>
/// Issue 12 for Binance, against the corrected simulator on loopback: the routed WebSocket URLs (the legacy ones
/// deliver nothing since 2026-04-23), the no-data watchdog, cancels settled by a query, how unknown enum values are
/// mapped, the 429 without Retry-After charged to the order counters and coalesced account refreshes. The shared
/// conformance suite covers the rest of section 4 (120-order list, batch refused by rate limit, unknown statuses).
/// </summary>
public sealed class BinanceVenueV2Tests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private const string Symbol = "BTCUSDT";

    private static OrderRequest Limit(decimal price, string clientId, decimal quantity = 0.002m) => new()
    {
        Symbol = Symbol,
        Side = OrderSide.Buy,
        Type = OrderType.Limit,
        Price = price,
        Quantity = quantity,
        ClientOrderId = clientId,
    };

    /// <summary>
    /// GET /fapi/v1/fundingRate is on its own "500/5min/IP" limit, not on request weight (Binance "Get Funding Rate
    /// History"): reading it leaves the weight the venue reports where it was.
    /// </summary>
    [Fact]
    public async Task FundingHistoryIsChargedToItsOwnLimitNotToRequestWeight()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        var tracker = exchange.Rest.RateLimits;
        Assert.NotEmpty(await exchange.GetHistoricalFundingRatesAsync(Symbol, 10));
        var weight = tracker.Used(BinanceRateLimits.Weight);

        Assert.NotEmpty(await exchange.GetHistoricalFundingRatesAsync(Symbol, 10));
        Assert.NotEmpty(await exchange.GetHistoricalFundingRatesAsync(Symbol, 10));

        // The venue's X-MBX-USED-WEIGHT-1M wins over local counting; a minute boundary can only lower it.
        Assert.True(tracker.Used(BinanceRateLimits.Weight) <= weight, $"weight {weight} -> {tracker.Used(BinanceRateLimits.Weight)}");
        Assert.Equal(3, tracker.Used(BinanceRateLimits.Funding));
        Assert.Equal(500, tracker.Limit(BinanceRateLimits.Funding));
    }

    [Fact]
    public async Task UserStreamConnectsOnThePrivateRouteAndCarriesOrderUpdates()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the user stream is connected on /private/ws");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await exchange.PlaceOrderAsync(Limit(last - 1000m, "routed1"));
        await orders.WaitForAsync(u => u.ClientOrderId == "routed1" && u.Status == OrderStatus.New, "the order update on the routed user stream");
        Assert.Equal(0, sim.LegacyConnections);
    }

    [Fact]
    public async Task MarketStreamsArriveOnTheMarketRouteAndNotOnTheRetiredStreamUrl()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        await using var prices = new StreamRecorder<PriceChange>(ct => exchange.SubscribePriceAsync([Symbol], ct));
        await Eventually.TrueAsync(() => sim.SubscriptionsReceived >= 1, Timeout, "the price stream is subscribed");
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        sim.Engine.Trade(Symbol, last + 10m, 0.5m);
        await prices.WaitForAsync(p => p.Price == last + 10m, "the aggTrade price on /market/stream");
        Assert.Equal(0, sim.LegacyConnections);

        // The retired unrouted URL accepts the same subscription and stays silent, while /market delivers.
        using var legacy = await ConnectAsync(sim, "stream");
        using var routed = await ConnectAsync(sim, "market/stream");
        await SendAsync(legacy, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@aggTrade\"],\"id\":1}");
        await SendAsync(routed, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@aggTrade\"],\"id\":1}");
        Assert.Equal("{\"result\":null,\"id\":1}", await ReceiveAsync(legacy));
        Assert.Equal("{\"result\":null,\"id\":1}", await ReceiveAsync(routed));
        sim.Engine.Trade(Symbol, last + 20m, 0.5m);
        Assert.Contains("\"stream\":\"btcusdt@aggTrade\"", await ReceiveAsync(routed), StringComparison.Ordinal);
        await SendAsync(legacy, "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@aggTrade\"],\"id\":2}");
        Assert.Equal("{\"result\":null,\"id\":2}", await ReceiveAsync(legacy));
        Assert.Equal(1, sim.LegacyConnections);
    }

    [Fact]
    public async Task RetiredListenKeyUrlIsSilentAndThePrivateRouteIsLive()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        using var http = new HttpClient();
        using var create = new HttpRequestMessage(HttpMethod.Post, sim.RestBaseUrl.TrimEnd('/') + "/fapi/v1/listenKey");
        create.Headers.Add(BinanceRestClient.ApiKeyHeader, BinanceSimulator.DefaultApiKey);
        using var answer = await http.SendAsync(create);
        using var doc = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        var key = doc.RootElement.GetProperty("listenKey").GetString()!;

        using var legacy = await ConnectAsync(sim, "ws/" + key);
        await Eventually.TrueAsync(() => sim.LegacyConnections == 1, Timeout, "the legacy connection is open");
        Assert.Equal(0, sim.PrivateStreamsReady);
        using var routed = await ConnectAsync(sim, "private/ws?listenKey=" + key + "&events=ORDER_TRADE_UPDATE");
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady == 1, Timeout, "the routed user stream is live");
        using var byPath = await ConnectAsync(sim, "private/ws/" + key);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady == 2, Timeout, "the path form is live too");
    }

    [Fact]
    public async Task SilentSubscribedMarketSocketIsReconnectedByTheWatchdog()
    {
        // The engine does not tick by itself here: nothing trades, so the subscribed kline stream stays silent.
        await using var sim = await BinanceSimulator.StartAsync(new SimVenueOptions { AutoAdvance = false });
        await using var exchange = BinanceConformanceTests.CreateBinance(sim, new Dictionary<string, string>
        {
            ["NoDataTimeout"] = "00:00:00.500",
            ["ReconnectInitialDelay"] = "00:00:00.050",
        });
        await using var candles = new StreamRecorder<Candle>(ct => exchange.SubscribeKlinesAsync([Symbol], "1m", ct));
        await Eventually.TrueAsync(() => exchange.MarketStream.Connections >= 3, Timeout, "the silent market socket was reconnected twice");
        await Eventually.TrueAsync(() => sim.SubscriptionsReceived >= 3, Timeout, "the kline stream was subscribed again on every new connection");
    }

    [Fact]
    public async Task SilentUserSocketIsReconnectedByTheWatchdog()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim, new Dictionary<string, string>
        {
            ["UserNoDataTimeout"] = "00:00:00.500",
            ["ReconnectInitialDelay"] = "00:00:00.050",
        });
        var reconnects = 0;
        exchange.StreamReconnected += (_, e) => Interlocked.Increment(ref reconnects);
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => exchange.UserStream.Connections >= 2 && Volatile.Read(ref reconnects) >= 1, Timeout, "the silent user socket was reconnected and reported");
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the user stream is connected again");
    }

    [Fact]
    public async Task CancelAnsweredMinus2011IsSettledByAQuery()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var placed = await exchange.PlaceOrderAsync(Limit(last - 1000m, "cxl1"));
        await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(placed.ExchangeOrderId));

        // Binance answers -2011 to the second cancel; the query finds the order cancelled, so the goal is met.
        await exchange.CancelOrderAsync(Symbol, OrderRef.ByClientId("cxl1"));
        Assert.Equal(1, sim.Journal.Count("GET", "/fapi/v1/order"));

        var open = await exchange.PlaceOrderAsync(Limit(last - 1001m, "cxl2"));
        var errors = await exchange.BatchCancelOrdersAsync(Symbol, [open.ExchangeOrderId, placed.ExchangeOrderId, "987654321"]);
        Assert.Equal((2, ExchangeErrorKind.NotFound, "987654321"), (Assert.Single(errors).Index, errors[0].Kind, errors[0].ExchangeOrderId));
        Assert.Equal(OrderStatus.Canceled, (await exchange.GetOrderAsync(Symbol, OrderRef.ByClientId("cxl2"))).Status);
    }

    [Fact]
    public async Task UnknownTimeInForceAndOrderTypeAreMappedAndCountedNotFailed()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        await using var orders = new StreamRecorder<OrderUpdate>(exchange.SubscribeOrdersAsync);
        await Eventually.TrueAsync(() => sim.PrivateStreamsReady > 0, Timeout, "the user stream is connected");
        sim.Faults.ReportUnknownValue("enum1", OrderField.TimeInForce);
        sim.Faults.ReportUnknownValue("enum1", OrderField.OrderType);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var placed = await exchange.PlaceOrderAsync(Limit(last - 1000m, "enum1"));
        Assert.Equal((OrderType.Limit, TimeInForce.Gtc, OrderStatus.New), (placed.Type, placed.TimeInForce, placed.Status));
        var update = await orders.WaitForAsync(u => u.ClientOrderId == "enum1", "the order update with the unknown values");
        Assert.Equal((OrderType.Limit, TimeInForce.Gtc), (update.Type, update.TimeInForce));
        var listed = Assert.Single(await exchange.GetOpenOrdersAsync(Symbol));
        Assert.Equal("enum1", listed.ClientOrderId);
        Assert.Equal(placed.ExchangeOrderId, (await exchange.GetOrderAsync(Symbol, OrderRef.ByClientId("enum1"))).ExchangeOrderId);
        Assert.True(exchange.UnknownValuesSeen >= 8, $"every unknown value was counted ({exchange.UnknownValuesSeen})");
    }

    [Fact]
    public async Task PlaceAnswersFromTheAcknowledgementWithoutAReadBack()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);

        // Every call after the placement is refused: a read-back would turn the live order into a failure.
        var placed = await exchange.PlaceOrderAsync(Limit(last - 1000m, "ack1"));
        Assert.Equal(("ack1", OrderStatus.New), (placed.ClientOrderId, placed.Status));
        Assert.Equal(0, sim.Journal.Count("GET", "/fapi/v1/order"));
        Assert.Equal(1, sim.Journal.Count("POST", "/fapi/v1/order"));
    }

    [Fact]
    public async Task OrderRateLimitWithoutRetryAfterBacksOffOrdersOnlyAndCancelsGoOnAtOnce()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        var resting = await exchange.PlaceOrderAsync(Limit(last - 1000m, "rl0"));
        sim.Faults.RefusePlacementsWithoutRetryAfter(2);

        var first = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(last - 1001m, "rl1")));
        Assert.Equal((ExchangeErrorKind.RateLimited, "-1015"), (first.Kind, first.VenueCode));
        Assert.Equal(TimeSpan.FromSeconds(1), first.RetryAfter);
        var tracker = exchange.Rest.RateLimits;
        Assert.NotNull(tracker.RuleBlockedUntil(BinanceRateLimits.Orders10S));
        Assert.Null(tracker.RuleBlockedUntil(BinanceRateLimits.Weight));
        Assert.Null(tracker.BlockedUntil);

        // The cancel is charged on request weight, not on the order counters: it goes out without waiting.
        var waits = tracker.Waits;
        await exchange.CancelOrderAsync(Symbol, OrderRef.ByExchangeId(resting.ExchangeOrderId));
        Assert.Equal(waits, tracker.Waits);

        // The next placement waits out the 1 s pause; the venue refuses again and the pause doubles.
        var second = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(last - 1002m, "rl2")));
        Assert.Equal(TimeSpan.FromSeconds(2), second.RetryAfter);
        Assert.True(tracker.Waits > waits, "the placement waited for the pause instead of being sent into it");
        var placed = await exchange.PlaceOrderAsync(Limit(last - 1003m, "rl3"));
        Assert.Equal("rl3", placed.ClientOrderId);
        Assert.Equal(0, sim.RateLimiter.Bans);

        // Success reset the backoff: the next refusal pauses 1 s again.
        sim.Faults.RefusePlacementsWithoutRetryAfter(1);
        var third = await Assert.ThrowsAsync<ExchangeException>(() => exchange.PlaceOrderAsync(Limit(last - 1004m, "rl4")));
        Assert.Equal(TimeSpan.FromSeconds(1), third.RetryAfter);
    }

    [Fact]
    public async Task AccountUpdatesAreFoldedIntoAtMostOneRefreshPerInterval()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        var interval = TimeSpan.FromSeconds(7);
        var time = new DelayCountingTimeProvider(interval);
        var options = new BinanceOptions { RestBaseUrl = sim.RestBaseUrl, WsBaseUrl = sim.WsBaseUrl, AccountRefreshInterval = interval };
        using var http = new HttpClient();
        var rest = new BinanceRestClient(http, options, new VenueCredentials(BinanceSimulator.DefaultApiKey, BinanceSimulator.DefaultApiSecret, null), new ServerClock(time), time, NullLogger.Instance, new VenueMetrics());
        var calls = new List<DateTimeOffset>();
        var firstRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<Account> FetchAsync(CancellationToken ct)
        {
            lock (calls)
            {
                calls.Add(time.GetUtcNow());
            }

            await firstRelease.Task.WaitAsync(ct);
            return new Account { WalletBalance = 1m, MarginBalance = 1m, AvailableBalance = 1m };
        }

        int Calls()
        {
            lock (calls)
            {
                return calls.Count;
            }
        }

        await using var stream = new BinanceUserStream(rest, options, FetchAsync, time, NullLogger.Instance, new VenueMetrics());
        stream.EnsureStarted();
        var push = "{\"e\":\"ACCOUNT_UPDATE\",\"E\":1,\"T\":1,\"a\":{\"m\":\"ORDER\",\"B\":[{\"a\":\"USDT\",\"wb\":\"1\",\"cw\":\"1\",\"bc\":\"0\"}],\"P\":[]}}"u8.ToArray();
        for (var i = 0; i < 20; i++)
        {
            stream.HandleMessage(push);
        }

        await Eventually.TrueAsync(() => Calls() == 1, Timeout, "the first push refreshed at once");
        for (var i = 0; i < 20; i++)
        {
            stream.HandleMessage(push);
        }

        firstRelease.SetResult();
        await Eventually.TrueAsync(() => Calls() == 2 || time.DelaysOfInterval > 0, Timeout, "the refresh loop either refreshed again or rests");
        Assert.Equal(1, Calls());
        time.Advance(interval);
        await Eventually.TrueAsync(() => Calls() == 2, Timeout, "the folded pushes refreshed once after the interval");
        Assert.Equal(interval, calls[1] - calls[0]);
        Assert.Equal(2, stream.AccountRefreshes);
    }

    private static async Task<ClientWebSocket> ConnectAsync(BinanceSimulator sim, string path)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(sim.WsBaseUrl.TrimEnd('/') + "/" + path), CancellationToken.None).WaitAsync(Timeout);
        return socket;
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(Timeout);

    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var count = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None).AsTask().WaitAsync(Timeout);
            count += result.Count;
            if (result.EndOfMessage)
            {
                return System.Text.Encoding.UTF8.GetString(buffer, 0, count);
            }
        }
    }

    /// <summary>A fake clock that counts the waits of exactly one length (the refresh loop's rest).</summary>
    private sealed class DelayCountingTimeProvider(TimeSpan counted) : FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero))
    {
        private int _delays;

        public int DelaysOfInterval => Volatile.Read(ref _delays);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime == counted)
            {
                Interlocked.Increment(ref _delays);
            }

            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
