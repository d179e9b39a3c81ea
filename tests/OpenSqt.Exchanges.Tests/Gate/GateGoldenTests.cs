using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Gate;
using OpenSqt.Exchanges.Tests.Binance;
using OpenSqt.TestSupport;

namespace OpenSqt.Exchanges.Tests.Gate;

/// <summary>Every recorded Gate futures payload parses to the right domain values, sizes turned from contracts into base units.</summary>
public sealed class GateGoldenTests
{
    private const string Folder = "gate";

    [Fact]
    public void EveryFuturesVectorHasAGoldenTest()
    {
        // The tape's payloads (futures.trades, futures.book_ticker) are parsed in GateTapeTests.
        var tested = new[] { typeof(GateGoldenTests), typeof(GateTapeTests) }.SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetCustomAttributes(typeof(VectorAttribute), false).Cast<VectorAttribute>())
            .Select(a => a.Name)
            .ToHashSet();

        // gate_rest_spot_* are spot endpoints, which a USDT-futures connector never calls.
        var missing = Vectors.Names(Folder, "gate_").Where(n => !n.StartsWith("gate_rest_spot_", StringComparison.Ordinal) && !tested.Contains(n)).ToArray();
        Assert.True(missing.Length == 0, "no golden test for: " + string.Join(", ", missing));
    }

    [Fact]
    [Vector("gate_rest_batch_order_error_item_ccxt")]
    public void BatchItemThatFailedCarriesItsLabel()
    {
        var item = Vectors.Payload(Folder, "gate_rest_batch_order_error_item_ccxt");
        var results = GateParsers.ParseBatchOrders(System.Text.Json.JsonDocument.Parse("[" + item.GetRawText() + "]").RootElement, _ => 1m);
        var (order, error) = Assert.Single(results);
        Assert.Null(order);
        Assert.Equal(ExchangeErrorKind.InsufficientMargin, error!.Exception.Kind);
        Assert.Equal("BALANCE_NOT_ENOUGH", error.Exception.VenueCode);
    }

    [Fact]
    [Vector("gate_rest_futures_accounts_ccxt")]
    public void AccountsAnswer()
    {
        var e = Vectors.Payload(Folder, "gate_rest_futures_accounts_ccxt");
        var account = GateParsers.ParseAccount(e, [], DateTimeOffset.UnixEpoch);
        Assert.Equal(32m, account.WalletBalance);
        Assert.Equal(32m, account.AvailableBalance);
        Assert.Equal(32m, account.MarginBalance);
        Assert.Equal(0m, account.MaintenanceMargin);
        Assert.Equal("5691076", GateParsers.ParseUserId(e));
    }

    [Fact]
    [Vector("gate_rest_futures_candlesticks_shape")]
    public void CandlesticksHaveSecondsAndContractVolume()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1685178000 + 1800);
        var candles = Vectors.Payload(Folder, "gate_rest_futures_candlesticks_shape").EnumerateArray().Select(e => GateParsers.ParseCandle(e, "XUSDT", "1h", 10m, now)).ToArray();
        Assert.Equal(4, candles.Length);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1685167200), candles[0].OpenTime);
        Assert.Equal(1.032m, candles[0].Close);
        Assert.Equal(971510m, candles[0].Volume);
        Assert.Equal(3580m, candles[0].QuoteVolume);
        Assert.True(candles[2].IsClosed);
        Assert.False(candles[3].IsClosed);
    }

    [Fact]
    [Vector("gate_rest_futures_contracts_btc_settle")]
    public void InverseContractsAreLeftOut()
    {
        Assert.Empty(GateParsers.ParseContracts(Vectors.Payload(Folder, "gate_rest_futures_contracts_btc_settle")));
    }

    [Fact]
    [Vector("gate_rest_futures_contracts_ccxt")]
    public void ContractRulesAreInBaseUnitsThroughTheQuantoMultiplier()
    {
        var contract = Assert.Single(GateParsers.ParseContracts(Vectors.Payload(Folder, "gate_rest_futures_contracts_ccxt")));
        Assert.Equal("BTC_USDT", contract.Name);
        Assert.Equal(0.0001m, contract.Multiplier);
        var rules = contract.Rules;
        Assert.Equal("BTCUSDT", rules.Symbol);
        Assert.Equal("BTC", rules.BaseAsset);
        Assert.Equal("USDT", rules.QuoteAsset);
        Assert.Equal(0.1m, rules.TickSize);
        Assert.Equal(0.0001m, rules.StepSize);
        Assert.Equal(0.0001m, rules.MinQuantity);
        Assert.Equal(100m, rules.MaxQuantity);
        Assert.Equal(0.0001m, rules.ContractSize);
        var funding = GateParsers.ContractFunding(contract, DateTimeOffset.FromUnixTimeSeconds(1610035200 - 60));
        Assert.Equal(0.002053m, funding.Rate);
        Assert.Equal(0.000219m, funding.PredictedRate);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1610035200), funding.NextFundingTime);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1610035200 + (2 * 28800)), contract.NextFundingAfter(DateTimeOffset.FromUnixTimeSeconds(1610035200 + 28801)));
    }

    [Fact]
    [Vector("gate_rest_futures_create_order_ccxt")]
    public void CreatedLimitOrder()
    {
        var order = GateParsers.ParseOrder(Vectors.Payload(Folder, "gate_rest_futures_create_order_ccxt"), 0.01m);
        Assert.Equal("95938572327", order.ExchangeOrderId);
        Assert.Null(order.ClientOrderId);
        Assert.Equal("ETHUSDT", order.Symbol);
        Assert.Equal(OrderSide.Buy, order.Side);
        Assert.Equal(OrderType.Limit, order.Type);
        Assert.Equal(TimeInForce.Gtc, order.TimeInForce);
        Assert.Equal(OrderStatus.New, order.Status);
        Assert.Equal(3000m, order.Price);
        Assert.Equal(0.01m, order.Quantity);
        Assert.Equal(0m, order.FilledQuantity);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1637384600080), order.CreatedAt);
    }

    [Fact]
    [Vector("gate_rest_futures_create_order_market_filled")]
    public void FilledMarketOrderWithStringNumbersAndFractionalSeconds()
    {
        var order = GateParsers.ParseOrder(Vectors.Payload(Folder, "gate_rest_futures_create_order_market_filled"), 10m);
        Assert.Equal("299207900263708423", order.ExchangeOrderId);
        Assert.Equal("人生K线USDT", order.Symbol);
        Assert.Equal(OrderType.Market, order.Type);
        Assert.Equal(TimeInForce.Ioc, order.TimeInForce);
        Assert.Equal(OrderStatus.Filled, order.Status);
        Assert.Equal(1000m, order.Quantity);
        Assert.Equal(1000m, order.FilledQuantity);
        Assert.Equal(0.005416m, order.AveragePrice);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1768397866662), order.CreatedAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1768397866663), order.UpdatedAt);
    }

    [Fact]
    [Vector("gate_rest_futures_finished_orders")]
    public void NegativeSizeIsASell()
    {
        var order = Assert.Single(Vectors.Payload(Folder, "gate_rest_futures_finished_orders").EnumerateArray().Select(e => GateParsers.ParseOrder(e, 0.1m)));
        Assert.Equal(OrderSide.Sell, order.Side);
        Assert.Equal(0.1m, order.Quantity);
        Assert.Equal(0.1m, order.FilledQuantity);
        Assert.Equal(OrderStatus.Filled, order.Status);
        Assert.Equal(68.42m, order.AveragePrice);
        Assert.Equal("LTCUSDT", order.Symbol);
    }

    [Fact]
    [Vector("gate_rest_futures_my_trades")]
    public void MyTradesItemIsAFill()
    {
        var trade = GateParsers.ParseUserTrade(Assert.Single(Vectors.Payload(Folder, "gate_rest_futures_my_trades").EnumerateArray()));
        Assert.Equal("29768497", trade.TradeId);
        Assert.Equal("402052804778", trade.OrderId);
        Assert.Equal(-1m, trade.Size);
        Assert.Equal(68.42m, trade.Price);
        Assert.Equal(0.003421m, trade.Fee);
        Assert.False(trade.IsMaker);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1705950365664), trade.Time);
    }

    [Fact]
    [Vector("gate_rest_futures_order_ccxt")]
    public void QueriedIocOrderThatFilled()
    {
        var order = GateParsers.ParseOrder(Vectors.Payload(Folder, "gate_rest_futures_order_ccxt"), 10m);
        Assert.Equal("123028481731", order.ExchangeOrderId);
        Assert.Equal("ADAUSDT", order.Symbol);
        Assert.Equal(OrderStatus.Filled, order.Status);
        Assert.Equal(OrderType.Market, order.Type);
        Assert.Equal(10m, order.Quantity);
        Assert.Equal(1.05273m, order.AveragePrice);
    }

    [Fact]
    [Vector("gate_rest_futures_positions")]
    public void IsolatedPositionWithStringNumbers()
    {
        var position = GateParsers.ParsePosition(Assert.Single(Vectors.Payload(Folder, "gate_rest_futures_positions").EnumerateArray()), 0.1m, DateTimeOffset.UnixEpoch);
        Assert.Equal("LTCUSDT", position.Symbol);
        Assert.Equal(0.1m, position.Size);
        Assert.Equal(74.35m, position.EntryPrice);
        Assert.Equal(74.43m, position.MarkPrice);
        Assert.Equal(0.008m, position.UnrealizedPnl);
        Assert.Equal(-0.0037175m, position.RealizedPnl);
        Assert.Equal(5, position.Leverage);
        Assert.Equal("isolated", position.MarginType);
        Assert.Equal(60.07m, position.LiquidationPrice);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1705052585), position.UpdateTime);
    }

    [Fact]
    [Vector("gate_rest_futures_positions_ccxt")]
    public void LeverageZeroIsCrossMargin()
    {
        var position = GateParsers.ParsePosition(Assert.Single(Vectors.Payload(Folder, "gate_rest_futures_positions_ccxt").EnumerateArray()), 0.0001m, DateTimeOffset.UnixEpoch);
        Assert.Equal("BTCUSDT", position.Symbol);
        Assert.Equal(0.0001m, position.Size);
        Assert.Equal("cross", position.MarginType);
        Assert.Equal(46030.3m, position.EntryPrice);
    }

    [Fact]
    public void DualModePositionIsRefusedAsAPositionModeMismatch()
    {
        var json = System.Text.Json.JsonDocument.Parse("{\"contract\":\"BTC_USDT\",\"size\":1,\"mode\":\"dual_long\",\"leverage\":\"0\"}").RootElement;
        var ex = Assert.Throws<ExchangeException>(() => GateParsers.ParsePosition(json, 0.0001m, DateTimeOffset.UnixEpoch));
        Assert.Equal(ExchangeErrorKind.PositionModeMismatch, ex.Kind);
    }

    [Fact]
    [Vector("gate_rest_futures_ticker_ccxt")]
    public void TickerWithOpenInterestInContracts()
    {
        var ticker = GateParsers.ParseTicker(Vectors.Payload(Folder, "gate_rest_futures_ticker_ccxt"), 0.0001m, DateTimeOffset.UnixEpoch);
        Assert.Equal("BTCUSDT", ticker.Symbol);
        Assert.Equal(6432m, ticker.LastPrice);
        Assert.Equal(4.43m, ticker.PriceChangePercent);
        Assert.Equal(28613220m, ticker.Volume);
        Assert.Equal(184040233284m, ticker.QuoteVolume);
        Assert.Equal(3232.3904m, ticker.OpenInterest);
        Assert.Equal(6432m - (6432m / 1.0443m), ticker.PriceChange);
    }

    [Fact]
    [Vector("gate_rest_server_time")]
    public void ServerTimeWrittenAsAString()
    {
        Assert.Equal(1731448079476, GateParsers.ParseServerTime(Vectors.Payload(Folder, "gate_rest_server_time")));
    }

    [Fact]
    [Vector("gate_ws_futures_balances")]
    [Vector("gate_ws_futures_balances_ccxt")]
    public void BalancePushesWithFloats()
    {
        var first = GateParsers.ParseBalanceUpdate(Vectors.Payload(Folder, "gate_ws_futures_balances").GetProperty("result")[0]);
        Assert.Equal(15m, first.Balance);
        Assert.Equal(5m, first.Change);
        Assert.Equal("fee", first.Type);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1547199246123), first.Time);
        var second = GateParsers.ParseBalanceUpdate(Vectors.Payload(Folder, "gate_ws_futures_balances_ccxt").GetProperty("result")[0]);
        Assert.Equal(25.035008537m, second.Balance);
        Assert.Equal("dnw", second.Type);
    }

    [Fact]
    [Vector("gate_ws_futures_candlesticks")]
    public void CandlestickPushNamesIntervalAndContract()
    {
        var item = Vectors.Payload(Folder, "gate_ws_futures_candlesticks").GetProperty("result")[0];
        Assert.Equal(("1m", "BTC_USD"), GateParsers.ParseCandleName(item.GetProperty("n").GetString()!));
        var candle = GateParsers.ParseCandle(item, "BTCUSD", "1m", 1m, DateTimeOffset.FromUnixTimeSeconds(1545129300 + 30));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1545129300), candle.OpenTime);
        Assert.Equal(94.3m, candle.Open);
        Assert.Equal(96.9m, candle.High);
        Assert.Equal(89.5m, candle.Low);
        Assert.Equal(95.4m, candle.Close);
        Assert.Equal(27525555m, candle.Volume);
        Assert.False(candle.IsClosed);
    }

    [Fact]
    [Vector("gate_ws_futures_positions")]
    public async Task PositionPushWithFloatsAndExponentsReachesThePositionStream()
    {
        await using var stream = NewUserStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var reader = stream.Positions.Subscribe(null, cts.Token).GetAsyncEnumerator(cts.Token);
        stream.HandleMessage(Vectors.RawBytes(Folder, "gate_ws_futures_positions"));
        Assert.True(await reader.MoveNextAsync());
        var position = reader.Current;
        Assert.Equal("BTCUSDT", position.Symbol);
        Assert.Equal(0.0003m, position.Size);
        Assert.Equal(40000.36666661111m, position.EntryPrice);
        Assert.Equal(-0.0000000125m, position.RealizedPnl);
        Assert.Equal(0.1m, position.LiquidationPrice);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1628736848321), position.UpdateTime);

        // The push has no mark price or unrealised PnL: both come from the mark price source, never a zero.
        Assert.Equal(Mark, position.MarkPrice);
        Assert.Equal(0.0003m * (Mark - 40000.36666661111m), position.UnrealizedPnl);
        await reader.DisposeAsync();
    }

    [Fact]
    [Vector("gate_ws_futures_usertrades_ccxt")]
    public void UserTradePush()
    {
        var trade = GateParsers.ParseUserTrade(Vectors.Payload(Folder, "gate_ws_futures_usertrades_ccxt").GetProperty("result")[0]);
        Assert.Equal("3335259", trade.TradeId);
        Assert.Equal("4872460", trade.OrderId);
        Assert.Equal(1m, trade.Size);
        Assert.Equal(40000.4m, trade.Price);
        Assert.True(trade.IsMaker);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1628736848321), trade.Time);
    }

    [Fact]
    public void FinishAsMapsOntoFilledCancelledAndExpired()
    {
        Assert.Equal(OrderStatus.Filled, Status("finished", "filled", true, true));
        Assert.Equal(OrderStatus.Filled, Status("finished", "liquidated", true, true));
        Assert.Equal(OrderStatus.Canceled, Status("finished", "cancelled", false, false));
        Assert.Equal(OrderStatus.Canceled, Status("finished", "reduce_only", false, false));
        Assert.Equal(OrderStatus.Expired, Status("finished", "ioc", true, false));
        Assert.Equal(OrderStatus.Expired, Status("finished", "stp", false, false));
        Assert.Equal(OrderStatus.New, Status("open", "_new", false, false));
        Assert.Equal(OrderStatus.PartiallyFilled, Status("open", "_update", true, false));
    }

    /// <summary>
    /// An outcome this connector does not know does not fail the parse (it used to throw): the order is kept with the
    /// state Gate's other fields imply, and the value is reported for logging and counting.
    /// </summary>
    [Fact]
    public void UnknownFinishAsStatusAndTifAreReportedNotThrown()
    {
        Assert.Equal(OrderStatus.Filled, GateParsers.ParseStatus("finished", "mystery", true, nothingLeft: true, out var known));
        Assert.False(known);
        Assert.Equal(OrderStatus.Canceled, GateParsers.ParseStatus("finished", "mystery", true, nothingLeft: false, out _));
        Assert.Equal(OrderStatus.New, GateParsers.ParseStatus("pending", null, false, nothingLeft: false, out known));
        Assert.False(known);
        using var doc = System.Text.Json.JsonDocument.Parse(Order("91", size: 5, left: 5, status: "open", finishAs: "_new").Replace("\"gtc\"", "\"gtd\"", StringComparison.Ordinal));
        var order = GateParsers.ParseOrder(doc.RootElement, 0.0001m, out var unknown);
        Assert.Equal("tif=gtd", unknown);
        Assert.Equal(TimeInForce.Gtc, order.TimeInForce);
        Assert.Equal(OrderStatus.New, order.Status);
    }

    private static OrderStatus Status(string status, string finishAs, bool partlyFilled, bool nothingLeft)
    {
        var result = GateParsers.ParseStatus(status, finishAs, partlyFilled, nothingLeft, out var known);
        Assert.True(known, $"{status}/{finishAs} is known");
        return result;
    }

    [Fact]
    public async Task TradesAreMatchedToTheirOrderUpdateInEitherArrivalOrder()
    {
        await using var stream = NewUserStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var reader = stream.Orders.Subscribe(null, cts.Token).GetAsyncEnumerator(cts.Token);

        // Trade first, then the order state that covers it.
        stream.HandleMessage(Push("futures.usertrades", """{"id":"t1","order_id":"77","contract":"BTC_USDT","size":2,"price":"50000","fee":"0.02","role":"maker","create_time_ms":1700000000100}"""));
        stream.HandleMessage(Push("futures.orders", Order("77", size: 5, left: 3, status: "open", finishAs: "_update")));
        Assert.True(await reader.MoveNextAsync());
        var partial = reader.Current;
        Assert.Equal(OrderStatus.PartiallyFilled, partial.Status);
        Assert.Equal(0.0002m, partial.FilledQuantity);
        Assert.Equal("t1", partial.LastFill!.TradeId);
        Assert.Equal(0.0002m, partial.LastFill.Quantity);
        Assert.Equal(0.02m, partial.LastFill.Fee);
        Assert.Equal("c77", partial.ClientOrderId);

        // Order state first, its trade afterwards: the trade goes out on a copy of that state.
        stream.HandleMessage(Push("futures.orders", Order("77", size: 5, left: 0, status: "finished", finishAs: "filled")));
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(OrderStatus.Filled, reader.Current.Status);
        Assert.Null(reader.Current.LastFill);
        stream.HandleMessage(Push("futures.usertrades", """{"id":"t2","order_id":"77","contract":"BTC_USDT","size":3,"price":"50010","fee":"0.03","role":"maker","create_time_ms":1700000000200}"""));
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(OrderStatus.Filled, reader.Current.Status);
        Assert.Equal("t2", reader.Current.LastFill!.TradeId);
        Assert.Equal(0.0003m, reader.Current.LastFill.Quantity);
        Assert.Equal(50010m, reader.Current.LastFill.Price);

        // Repeats of both are dropped.
        stream.HandleMessage(Push("futures.usertrades", """{"id":"t2","order_id":"77","contract":"BTC_USDT","size":3,"price":"50010","fee":"0.03","role":"maker","create_time_ms":1700000000200}"""));
        stream.HandleMessage(Push("futures.orders", Order("77", size: 5, left: 0, status: "finished", finishAs: "filled")));
        stream.HandleMessage(Push("futures.orders", Order("78", size: -1, left: -1, status: "open", finishAs: "_new")));
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal("78", reader.Current.ExchangeOrderId);
        Assert.Equal(OrderSide.Sell, reader.Current.Side);
        await reader.DisposeAsync();
    }

    private static byte[] Push(string channel, string item) =>
        Encoding.UTF8.GetBytes($"{{\"time\":1700000000,\"time_ms\":1700000000000,\"channel\":\"{channel}\",\"event\":\"update\",\"error\":null,\"result\":[{item}]}}");

    private static string Order(string id, int size, int left, string status, string finishAs) =>
        $"{{\"id\":{id},\"contract\":\"BTC_USDT\",\"size\":{size},\"left\":{left},\"price\":50000,\"fill_price\":50000,\"tif\":\"gtc\",\"text\":\"t-c{id}\",\"status\":\"{status}\",\"finish_as\":\"{finishAs}\",\"is_reduce_only\":false,\"create_time\":1700000000,\"create_time_ms\":1700000000000}}";

    private const decimal Mark = 40100.5m;

    private static GateUnknownValues UnknownValues() => new(NullLogger.Instance, new VenueMetrics());

    private static GateUserStream NewUserStream()
    {
        var contract = GateParsers.ParseContracts(Vectors.Payload(Folder, "gate_rest_futures_contracts_ccxt"))[0];
        var stream = new GateUserStream(new GateOptions { WsBaseUrl = Loopback.UnreachableWs }, new VenueCredentials("k", "s", null), _ => Task.FromResult("1"),
            _ => Task.FromResult<IReadOnlyList<GateContract>>([contract]),
            _ => Task.FromException<Account>(new ExchangeException(ExchangeErrorKind.Unavailable, "no REST in this test")),
            (name, _) => Task.FromResult<decimal?>(name == "BTC_USDT" ? Mark : null),
            UnknownValues(), TimeProvider.System, NullLogger.Instance, new VenueMetrics());
        stream.AddContracts([contract]);
        return stream;
    }
}
