using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bybit;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Tests.Binance;

namespace OpenSqt.Exchanges.Tests.Bybit;

/// <summary>Every recorded Bybit v5 payload parses to the right domain values.</summary>
public sealed class BybitGoldenTests
{
    private const string Folder = "bybit";

    [Fact]
    public void EveryBybitVectorHasAGoldenTest()
    {
        var tested = typeof(BybitGoldenTests).GetMethods()
            .SelectMany(m => m.GetCustomAttributes(typeof(VectorAttribute), false).Cast<VectorAttribute>())
            .Select(a => a.Name)
            .ToHashSet();
        var missing = Vectors.Names(Folder, "bybit_").Where(n => !tested.Contains(n)).ToArray();
        Assert.True(missing.Length == 0, "no golden test for: " + string.Join(", ", missing));
    }

    [Fact]
    [Vector("bybit_rest_create_order")]
    public void CreateAnswerCarriesOnlyTheIds()
    {
        var (orderId, linkId) = BybitParsers.ParseAck(Vectors.Payload(Folder, "bybit_rest_create_order"));
        Assert.Equal("1321003749386327552", orderId);
        Assert.Equal("spot-test-postonly", linkId);
    }

    [Fact]
    [Vector("bybit_rest_cancel_order")]
    public void CancelAnswerCarriesOnlyTheIds()
    {
        var (orderId, linkId) = BybitParsers.ParseAck(Vectors.Payload(Folder, "bybit_rest_cancel_order"));
        Assert.Equal("c6f055d9-7f21-4079-913d-e6523a9cfffa", orderId);
        Assert.Equal("linear-004", linkId);
    }

    [Fact]
    [Vector("bybit_rest_batch_place")]
    public void BatchPlaceAnswerHasParallelResultAndCodeLists()
    {
        var payload = Vectors.Payload(Folder, "bybit_rest_batch_place");
        var items = BybitParsers.List(payload).ToArray();
        var codes = payload.GetProperty("retExtInfo").GetProperty("list").EnumerateArray().ToArray();
        Assert.Equal(2, items.Length);
        Assert.Equal(items.Length, codes.Length);
        Assert.Equal("spot-atom-03", items[1].GetProperty("orderLinkId").GetString());
        Assert.All(codes, c => Assert.Equal("0", c.GetRequiredString("code")));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1713434102752), BybitParsers.Time(items[0], "createAt"));
    }

    [Fact]
    [Vector("bybit_rest_open_orders")]
    public void RealtimeOrderParses()
    {
        var order = BybitParsers.ParseOrder(BybitParsers.List(Vectors.Payload(Folder, "bybit_rest_open_orders")).Single());
        Assert.Equal("fd4300ae-7847-404e-b947-b46980a4d140", order.ExchangeOrderId);
        Assert.Equal("test-000005", order.ClientOrderId);
        Assert.Equal("ETHUSDT", order.Symbol);
        Assert.Equal(OrderSide.Buy, order.Side);
        Assert.Equal(OrderType.Limit, order.Type);
        Assert.Equal(1600.00m, order.Price);
        Assert.Equal(0.10m, order.Quantity);
        Assert.Equal(0m, order.FilledQuantity);
        Assert.Equal(OrderStatus.New, order.Status);
        Assert.Null(order.RejectReason);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1684738540559), order.CreatedAt);
    }

    [Fact]
    [Vector("bybit_rest_order_history")]
    public void HistoryOrderShowsThePostOnlyCancel()
    {
        var order = BybitParsers.ParseOrder(BybitParsers.List(Vectors.Payload(Folder, "bybit_rest_order_history")).First());
        Assert.Equal("YLxaWKMiHU", order.ClientOrderId);
        Assert.Equal(OrderStatus.Canceled, order.Status);
        Assert.Equal(BybitErrors.PostOnlyWillTakeLiquidity, order.RejectReason);
        Assert.Equal(TimeInForce.Gtx, order.TimeInForce);
        Assert.True(order.PostOnly);
        Assert.Equal(26864.40m, order.Price);
    }

    [Fact]
    [Vector("bybit_rest_position_list")]
    public void PositionListSellIsAShort()
    {
        var item = BybitParsers.List(Vectors.Payload(Folder, "bybit_rest_position_list")).Single();
        var position = BybitParsers.ParsePosition(item);
        Assert.Equal(-300m, position.Size);
        Assert.Equal(27464.50441675m, position.EntryPrice);
        Assert.Equal(28224.50m, position.MarkPrice);
        Assert.Equal(-0.00029413m, position.UnrealizedPnl);
        Assert.Equal(10, position.Leverage);
        Assert.Equal(0m, position.LiquidationPrice);
        Assert.Equal(0, BybitParsers.PositionIndex(item));
    }

    [Fact]
    [Vector("bybit_rest_server_time")]
    public void ServerTimeUsesTheNanosecondClock()
    {
        Assert.Equal(1688639403423, BybitParsers.ParseServerTime(Vectors.Payload(Folder, "bybit_rest_server_time")));
    }

    [Fact]
    [Vector("bybit_rest_instruments_linear")]
    public void InstrumentRulesCarryTickStepMinQtyAndMinNotional()
    {
        var item = BybitParsers.List(Vectors.Payload(Folder, "bybit_rest_instruments_linear")).First();
        Assert.True(BybitParsers.IsTradingPerpetual(item));
        var rules = BybitParsers.ParseInstrument(item);
        Assert.Equal("BTCUSDT", rules.Symbol);
        Assert.Equal("BTC", rules.BaseAsset);
        Assert.Equal("USDT", rules.QuoteAsset);
        Assert.Equal(0.10m, rules.TickSize);
        Assert.Equal(0.001m, rules.StepSize);
        Assert.Equal(0.001m, rules.MinQuantity);
        Assert.Equal(1190m, rules.MaxQuantity);
        Assert.Equal(5m, rules.MinNotional);
    }

    [Fact]
    [Vector("bybit_rest_kline")]
    public void KlinesComeNewestFirstAndAreReturnedOldestFirst()
    {
        var candles = BybitParsers.ParseKlines(Vectors.Payload(Folder, "bybit_rest_kline"), "BTCUSD", "1h", DateTimeOffset.FromUnixTimeMilliseconds(1670610000000));
        Assert.Equal(3, candles.Count);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1670601600000), candles[0].OpenTime);
        Assert.Equal(17086.5m, candles[0].Open);
        Assert.Equal(16978m, candles[0].Low);
        Assert.Equal(0.37288112m, candles[0].QuoteVolume);
        Assert.True(candles[0].IsClosed);
        Assert.Equal(17055.5m, candles[2].Close);
        Assert.Equal(268611m, candles[2].Volume);
        Assert.False(candles[2].IsClosed);
    }

    [Fact]
    [Vector("bybit_rest_tickers_inverse")]
    public void TickerAndFundingFromTheTickersList()
    {
        var item = BybitParsers.List(Vectors.Payload(Folder, "bybit_rest_tickers_inverse")).Single();
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1760352369814);
        var ticker = BybitParsers.ParseTicker(item, now);
        Assert.Equal(120635.50m, ticker.LastPrice);
        Assert.Equal(120635.50m - 105595.90m, ticker.PriceChange);
        Assert.Equal(14.2425m, ticker.PriceChangePercent);
        Assert.Equal(240113967m, ticker.OpenInterest);
        var funding = BybitParsers.ParseFunding(item, now);
        Assert.Equal(0.0001m, funding.Rate);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1760371200000), funding.NextFundingTime);
    }

    [Fact]
    [Vector("bybit_rest_wallet_balance")]
    public void UnifiedWalletParses()
    {
        var account = BybitParsers.List(Vectors.Payload(Folder, "bybit_rest_wallet_balance")).Single();
        var parsed = BybitParsers.ParseWallet(account, [], DateTimeOffset.UnixEpoch);
        Assert.True(parsed.IsUnified);
        Assert.Equal(3.00326056m, parsed.WalletBalance);
        Assert.Equal(3.00326056m, parsed.AvailableBalance);
        Assert.Equal(0m, BybitParsers.ParseCoinBalance(account, "BTC"));
        Assert.Equal(0m, BybitParsers.ParseCoinBalance(account, "USDT"));
    }

    [Fact]
    [Vector("bybit_ws_wallet")]
    public async Task WalletTopicBecomesAnAccount()
    {
        await using var stream = NewPrivateStream();
        var accounts = stream.Accounts.Subscribe(null, CancellationToken.None);
        stream.HandleMessage(Vectors.RawBytes(Folder, "bybit_ws_wallet"));
        var account = await FirstAsync(accounts);
        Assert.Equal(9684.46297164m, account.WalletBalance);
        Assert.Equal(9556.6056555m, account.AvailableBalance);
        Assert.True(account.IsUnified);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700034722104), account.UpdateTime);
        Assert.Equal(0.00102964m, BybitParsers.ParseCoinBalance(Vectors.Payload(Folder, "bybit_ws_wallet").GetProperty("data")[0], "BTC"));
    }

    [Fact]
    [Vector("bybit_ws_position")]
    public async Task PositionTopicFlatPositionHasSizeZero()
    {
        await using var stream = NewPrivateStream();
        var positions = stream.Positions.Subscribe(null, CancellationToken.None);
        stream.HandleMessage(Vectors.RawBytes(Folder, "bybit_ws_position"));
        var position = await FirstAsync(positions);
        Assert.Equal("BTCUSDT", position.Symbol);
        Assert.Equal(0m, position.Size);
        Assert.Equal(28184.5m, position.MarkPrice);
        Assert.Equal(-25.06579337m, position.RealizedPnl);
    }

    [Fact]
    [Vector("bybit_ws_order")]
    public async Task OrderTopicOfAnotherCategoryIsIgnored()
    {
        await using var stream = NewPrivateStream();
        var orders = stream.Orders.Subscribe(null, CancellationToken.None);
        stream.HandleMessage(Vectors.RawBytes(Folder, "bybit_ws_order"));
        stream.HandleMessage(Vectors.RawBytes(Folder, "bybit_ws_order_filled_nautilus"));
        var update = await FirstAsync(orders);
        Assert.Equal("BTCUSDT", update.Symbol);
        var option = BybitParsers.ParseOrderUpdate(Vectors.Payload(Folder, "bybit_ws_order").GetProperty("data")[0]);
        Assert.Equal(OrderStatus.Filled, option.Status);
        Assert.Equal(75m, option.AveragePrice);
        Assert.Null(option.ClientOrderId);
    }

    [Fact]
    [Vector("bybit_ws_order_filled_nautilus")]
    public void OrderTopicFilled()
    {
        var update = BybitParsers.ParseOrderUpdate(Vectors.Payload(Folder, "bybit_ws_order_filled_nautilus").GetProperty("data")[0]);
        Assert.Equal("5cf98598-39a7-459e-97bf-76ca765ee020", update.ExchangeOrderId);
        Assert.Equal("test-client-order-001", update.ClientOrderId);
        Assert.Equal(OrderStatus.Filled, update.Status);
        Assert.Equal(0.100m, update.FilledQuantity);
        Assert.Equal(30000.50m, update.AveragePrice);
        Assert.Null(update.RejectReason);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1672364262457), update.UpdateTime);
    }

    [Fact]
    [Vector("bybit_ws_order_partially_filled_rejected_nautilus")]
    public void RejectedOrderKeepsItsExecutedQuantity()
    {
        var update = BybitParsers.ParseOrderUpdate(Vectors.Payload(Folder, "bybit_ws_order_partially_filled_rejected_nautilus").GetProperty("data")[0]);
        Assert.Equal(OrderStatus.Rejected, update.Status);
        Assert.Equal(50.0m, update.FilledQuantity);
        Assert.Equal("UNKNOWN", update.RejectReason);
        Assert.Equal("O-20251001-164609-APEX-000-49", update.ClientOrderId);
    }

    [Fact]
    [Vector("bybit_ws_execution")]
    public async Task ExecutionIsAttachedToTheOrderEventAndDeduplicatedByExecId()
    {
        var execution = Vectors.Payload(Folder, "bybit_ws_execution");
        var fill = BybitParsers.ParseExecution(execution.GetProperty("data")[0])!;
        Assert.Equal("0ab1bdf7-4219-438b-b30a-32ec863018f7", fill.TradeId);
        Assert.Equal(95900.1m, fill.Price);
        Assert.Equal(0.5m, fill.Quantity);
        Assert.Equal(26.3725275m, fill.Fee);
        Assert.Equal(0.05m, fill.RealizedPnl);
        Assert.False(fill.IsMaker);
        Assert.Equal(OrderSide.Sell, fill.Side);

        await using var stream = NewPrivateStream();
        var orders = stream.Orders.Subscribe(null, CancellationToken.None);
        var raw = Vectors.RawBytes(Folder, "bybit_ws_execution");
        stream.HandleMessage(raw);
        stream.HandleMessage(raw);
        var order = $$"""{"topic":"order","data":[{"category":"linear","symbol":"BTCUSDT","orderId":"9aac161b-8ed6-450d-9cab-c5cc67c21784","orderLinkId":"","side":"Sell","orderType":"Market","price":"94942.5","qty":"0.5","timeInForce":"IOC","orderStatus":"Filled","cumExecQty":"0.5","avgPrice":"95900.1","reduceOnly":false,"createdTime":"1746270400350","updatedTime":"1746270400355","rejectReason":"EC_NoError"}]}""";
        stream.HandleMessage(Encoding.UTF8.GetBytes(order));
        stream.HandleMessage(Encoding.UTF8.GetBytes(order));
        stream.Orders.Complete();
        var all = new List<OrderUpdate>();
        await foreach (var u in orders)
        {
            all.Add(u);
        }

        var update = Assert.Single(all);
        Assert.Equal(OrderStatus.Filled, update.Status);
        Assert.Equal(fill.TradeId, update.LastFill!.TradeId);
    }

    [Fact]
    public async Task TwoExecutionsBeforeOneOrderEventAreBothDelivered()
    {
        await using var stream = NewPrivateStream();
        var orders = stream.Orders.Subscribe(null, CancellationToken.None);
        static string Execution(string execId, string qty, string leaves) =>
            $$"""{"topic":"execution","data":[{"category":"linear","symbol":"BTCUSDT","execId":"{{execId}}","execPrice":"100","execQty":"{{qty}}","execType":"Trade","execFee":"0.01","leavesQty":"{{leaves}}","orderId":"o1","orderLinkId":"c1","orderQty":"0.004","side":"Buy","execTime":"1","isMaker":true}]}""";
        stream.HandleMessage(Encoding.UTF8.GetBytes(Execution("e1", "0.001", "0.003")));
        stream.HandleMessage(Encoding.UTF8.GetBytes(Execution("e2", "0.002", "0.001")));
        stream.HandleMessage(Encoding.UTF8.GetBytes("""{"topic":"order","data":[{"category":"linear","symbol":"BTCUSDT","orderId":"o1","orderLinkId":"c1","side":"Buy","orderType":"Limit","price":"100","qty":"0.004","timeInForce":"GTC","orderStatus":"PartiallyFilled","cumExecQty":"0.003","avgPrice":"100","createdTime":"1","updatedTime":"2"}]}"""));
        stream.Orders.Complete();
        var all = new List<OrderUpdate>();
        await foreach (var u in orders)
        {
            all.Add(u);
        }

        Assert.Equal([(0.001m, "e1"), (0.003m, "e2")], all.Select(u => (u.FilledQuantity, u.LastFill!.TradeId)));
        Assert.All(all, u => Assert.Equal(OrderStatus.PartiallyFilled, u.Status));
    }

    [Fact]
    [Vector("bybit_ws_ticker_linear")]
    public void TickerSnapshotThenDeltaAreMerged()
    {
        var book = new BybitTickerBook();
        var snapshot = Vectors.Payload(Folder, "bybit_ws_ticker_linear");
        var (price, funding) = book.Apply("tickers.BTCUSDT", "snapshot", snapshot.GetProperty("data"), DateTimeOffset.UnixEpoch);
        Assert.Equal(66666.60m, price!.Price);
        Assert.Equal(-0.005m, funding!.Rate);
        using var delta = System.Text.Json.JsonDocument.Parse("""{"symbol":"BTCUSDT","bid1Price":"66666.50"}""");
        var (noPrice, noFunding) = book.Apply("tickers.BTCUSDT", "delta", delta.RootElement, DateTimeOffset.UnixEpoch);
        Assert.Null(noPrice);
        Assert.Null(noFunding);
        using var priceDelta = System.Text.Json.JsonDocument.Parse("""{"symbol":"BTCUSDT","lastPrice":"66670.10"}""");
        var (moved, _) = book.Apply("tickers.BTCUSDT", "delta", priceDelta.RootElement, DateTimeOffset.UnixEpoch);
        Assert.Equal(66670.10m, moved!.Price);
        Assert.Equal("66666.50", book.Field("tickers.BTCUSDT", "bid1Price"));
        Assert.Equal("-0.005", book.Field("tickers.BTCUSDT", "fundingRate"));
        var (orphan, _) = book.Apply("tickers.ETHUSDT", "delta", priceDelta.RootElement, DateTimeOffset.UnixEpoch);
        Assert.Null(orphan);
    }

    [Fact]
    [Vector("bybit_ws_kline")]
    public void KlineTopicItemParses()
    {
        var candle = BybitParsers.ParseWsKline(Vectors.Payload(Folder, "bybit_ws_kline").GetProperty("data")[0], "BTCUSDT");
        Assert.Equal("5m", candle.Interval);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1672324800000), candle.OpenTime);
        Assert.Equal(16649.5m, candle.Open);
        Assert.Equal(16677m, candle.Close);
        Assert.Equal(2.081m, candle.Volume);
        Assert.False(candle.IsClosed);
    }

    [Fact]
    [Vector("bybit_ws_auth_success")]
    [Vector("bybit_ws_pong_private")]
    [Vector("bybit_ws_pong_public_linear")]
    public void PongsAreRecognisedAndAuthSuccessIsNot()
    {
        Assert.True(BybitMarketStream.IsPong(Vectors.RawBytes(Folder, "bybit_ws_pong_private")));
        Assert.True(BybitMarketStream.IsPong(Vectors.RawBytes(Folder, "bybit_ws_pong_public_linear")));
        Assert.False(BybitMarketStream.IsPong(Vectors.RawBytes(Folder, "bybit_ws_auth_success")));
        Assert.True(Vectors.Payload(Folder, "bybit_ws_auth_success").GetProperty("success").GetBoolean());
    }

    [Fact]
    [Vector("bybit_ws_orderbook_delta")]
    [Vector("bybit_ws_public_trade")]
    public async Task TopicsNobodySubscribedProduceNothing()
    {
        await using var stream = new BybitMarketStream(LoopbackOptions(), TimeProvider.System, NullLogger.Instance, new VenueMetrics());
        stream.HandleMessage(Vectors.RawBytes(Folder, "bybit_ws_orderbook_delta"));
        stream.HandleMessage(Vectors.RawBytes(Folder, "bybit_ws_public_trade"));
        Assert.Equal("orderbook.50.BTCUSDT", Vectors.Payload(Folder, "bybit_ws_orderbook_delta").GetProperty("topic").GetString());
        Assert.False(stream.IsConnected);
    }

    [Fact]
    [Vector("bybit_wstrade_error_insufficient_balance")]
    [Vector("bybit_wstrade_order_create_response")]
    public void RetCodeAloneDecides()
    {
        var error = Vectors.Payload(Folder, "bybit_wstrade_error_insufficient_balance");
        var failure = BybitErrors.Table.ToFailure(error.GetRequiredString("retCode"), error.GetStringOrNull("retMsg"), 200);
        Assert.Equal(ExchangeErrorKind.InsufficientMargin, failure.Exception.Kind);
        Assert.Equal("170131", failure.Exception.VenueCode);
        var ok = Vectors.Payload(Folder, "bybit_wstrade_order_create_response");
        Assert.Equal("0", ok.GetRequiredString("retCode"));
        Assert.Equal("a4c1718e-fe53-4659-a118-1f6ecce04ad9", ok.GetProperty("data").GetRequiredString("orderId"));
    }

    [Theory]
    [InlineData("10002", ExchangeErrorKind.Unavailable, true)]
    [InlineData("10004", ExchangeErrorKind.Unauthenticated, false)]
    [InlineData("10006", ExchangeErrorKind.RateLimited, false)]
    [InlineData("110001", ExchangeErrorKind.NotFound, false)]
    [InlineData("110007", ExchangeErrorKind.InsufficientMargin, false)]
    [InlineData("110017", ExchangeErrorKind.ReduceOnlyRejected, false)]
    [InlineData("110072", ExchangeErrorKind.AlreadyExists, false)]
    [InlineData("110094", ExchangeErrorKind.InvalidArgument, false)]
    public void ErrorTableMapsTheDocumentedCodes(string code, ExchangeErrorKind kind, bool clock)
    {
        var failure = BybitErrors.Table.ToFailure(code, "m", 200);
        Assert.Equal(kind, failure.Exception.Kind);
        Assert.Equal(clock, failure.IsClockError);
        var ccxt = Vectors.File("errors", "bybit_error_codes_ccxt").GetProperty("entries").EnumerateArray()
            .Any(e => e.GetProperty("code_or_message").GetString() == code);
        Assert.True(ccxt, $"code {code} is in the published error list");
    }

    private static BybitOptions LoopbackOptions() => new() { RestBaseUrl = "http://127.0.0.1:9", WsBaseUrl = "ws://127.0.0.1:9" };

    private static BybitUserStream NewPrivateStream() =>
        new(LoopbackOptions(), new VenueCredentials("k", "s", null), new ServerClock(TimeProvider.System), TimeProvider.System, NullLogger.Instance, new VenueMetrics());

    private static async Task<T> FirstAsync<T>(IAsyncEnumerable<T> items)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await foreach (var item in items.WithCancellation(timeout.Token))
        {
            return item;
        }

        throw new InvalidOperationException("nothing arrived");
    }
}
