using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Okx;
using OpenSqt.Exchanges.Tests.Binance;

namespace OpenSqt.Exchanges.Tests.Okx;

/// <summary>Every recorded OKX v5 payload parses to the right domain values (sizes converted from contracts with ctVal).</summary>
public sealed class OkxGoldenTests
{
    private const string Folder = "okx";
    private const decimal BtcCtVal = 0.01m;

    [Fact]
    public void EveryOkxVectorHasAGoldenTest()
    {
        var tested = typeof(OkxGoldenTests).GetMethods()
            .SelectMany(m => m.GetCustomAttributes(typeof(VectorAttribute), false).Cast<VectorAttribute>())
            .Select(a => a.Name)
            .ToHashSet();
        var missing = Vectors.Names(Folder, "okx_").Where(n => !tested.Contains(n)).ToArray();
        Assert.True(missing.Length == 0, "no golden test for: " + string.Join(", ", missing));
    }

    [Fact]
    public void SymbolsMapToSwapInstrumentIds()
    {
        Assert.Equal("BTC-USDT-SWAP", OkxParsers.Symbols.ToVenue("BTCUSDT"));
        Assert.Equal("BTCUSDT", OkxParsers.Symbols.FromVenue("BTC-USDT-SWAP"));
        Assert.Equal("abcDEF123", OkxParsers.CheckClientOrderId("abcDEF123"));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, Assert.Throws<ExchangeException>(() => OkxParsers.CheckClientOrderId("client_order_123")).Kind);
        Assert.Throws<ExchangeException>(() => OkxParsers.CheckClientOrderId(new string('a', 33)));
    }

    [Fact]
    [Vector("okx_rest_instruments_swap")]
    public void InstrumentRulesAreConvertedFromContractsToBase()
    {
        var items = OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_instruments_swap")).ToArray();
        Assert.False(OkxParsers.IsLiveLinearSwap(items[0]));
        var btc = items.Single(i => i.GetProperty("instId").GetString() == "BTC-USDT-SWAP");
        Assert.True(OkxParsers.IsLiveLinearSwap(btc));
        var rules = OkxParsers.ParseInstrument(btc);
        Assert.Equal("BTCUSDT", rules.Symbol);
        Assert.Equal("BTC", rules.BaseAsset);
        Assert.Equal("USDT", rules.QuoteAsset);
        Assert.Equal(0.1m, rules.TickSize);
        Assert.Equal(0.0001m, rules.StepSize);
        Assert.Equal(0.0001m, rules.MinQuantity);
        Assert.Equal(BtcCtVal, rules.ContractSize);
        Assert.Equal(0.2m, ContractSize.ToContracts(0.002m, rules.ContractSize, 0.01m));
        Assert.Throws<ExchangeException>(() => ContractSize.ToContracts(0.00005m, rules.ContractSize, 0.01m));
    }

    [Fact]
    [Vector("okx_rest_orders_pending")]
    public void PendingOrderSizeIsContractsTimesCtVal()
    {
        var order = OkxParsers.ParseOrder(OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_orders_pending")).Single(), BtcCtVal);
        Assert.Equal("1234567890123456789", order.ExchangeOrderId);
        Assert.Equal("client-order-1", order.ClientOrderId);
        Assert.Equal("BTCUSDT", order.Symbol);
        Assert.Equal(OrderStatus.New, order.Status);
        Assert.Equal(103500m, order.Price);
        Assert.Equal(0.001m, order.Quantity);
        Assert.Equal(TimeInForce.Gtc, order.TimeInForce);
        Assert.False(order.ReduceOnly);
    }

    [Fact]
    [Vector("okx_rest_orders_history")]
    public void FilledMarketOrderFromHistory()
    {
        var order = OkxParsers.ParseOrder(OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_orders_history")).Single(), BtcCtVal);
        Assert.Equal(OrderStatus.Filled, order.Status);
        Assert.Equal(OrderType.Market, order.Type);
        Assert.Equal(0.0003m, order.FilledQuantity);
        Assert.Equal(103698.9m, order.AveragePrice);
        Assert.Null(order.ClientOrderId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1746947317401), order.CreatedAt);
    }

    [Fact]
    [Vector("okx_ws_orders")]
    public async Task OrdersPushCarriesTheFillInBaseUnitsAndIsDeduplicated()
    {
        var push = OkxParsers.ParseOrderPush(Vectors.Payload(Folder, "okx_ws_orders").GetProperty("data")[0], BtcCtVal);
        Assert.Equal("001BTCUSDT20250106001", push.ClientOrderId);
        Assert.Equal(OrderStatus.Filled, push.Status);
        var fill = push.LastFill!;
        Assert.Equal("1518905529", fill.TradeId);
        Assert.Equal(103698.9m, fill.Price);
        Assert.Equal(0.0003m, fill.Quantity);
        Assert.True(fill.IsMaker);

        await using var stream = NewPrivateStream(new Dictionary<string, decimal> { ["BTC-USDT-SWAP"] = BtcCtVal });
        await stream.LoadContractSizesAsync(CancellationToken.None);
        var orders = stream.Orders.Subscribe(null, CancellationToken.None);
        stream.HandleMessage(Vectors.RawBytes(Folder, "okx_ws_orders"));
        stream.HandleMessage(Vectors.RawBytes(Folder, "okx_ws_orders"));
        stream.Orders.Complete();
        var all = new List<OrderUpdate>();
        await foreach (var u in orders)
        {
            all.Add(u);
        }

        Assert.Single(all);
    }

    [Fact]
    [Vector("okx_ws_orders_ccxt")]
    public void SpotOrderPushWithoutFillHasNoLastFill()
    {
        var push = OkxParsers.ParseOrderPush(Vectors.Payload(Folder, "okx_ws_orders_ccxt").GetProperty("data")[0], 1m);
        Assert.Equal(OrderStatus.New, push.Status);
        Assert.Null(push.LastFill);
        Assert.Equal(60000m, push.Price);
        Assert.Equal(OrderSide.Sell, push.Side);
    }

    [Fact]
    [Vector("okx_rest_order_detail_ccxt")]
    public void MalformedNumbersAreRefusedNamingTheField()
    {
        var ex = Assert.Throws<ExchangeException>(() => OkxParsers.ParseOrder(OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_order_detail_ccxt")).Single(), 1m));
        Assert.Contains("'px'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Vector("okx_rest_place_order_item")]
    [Vector("okx_rest_batch_orders_ccxt")]
    public void PerItemResultsCarryIds()
    {
        var (orderId, clientId, error) = OkxParsers.ParseItemResult(Vectors.Payload(Folder, "okx_rest_place_order_item"));
        Assert.Equal("12345678901234567890", orderId);
        Assert.Equal("client_order_123", clientId);
        Assert.Null(error);
        var batch = OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_batch_orders_ccxt")).Select(OkxParsers.ParseItemResult).ToArray();
        Assert.Equal(["636305438765568000", "636305438765568001"], batch.Select(b => b.OrderId));
        Assert.All(batch, b => Assert.Null(b.Error));
    }

    [Fact]
    [Vector("okx_rest_error_insufficient_balance_ccxt")]
    [Vector("okx_rest_error_param_ccxt")]
    public void PerItemFailuresAreMappedBySCode()
    {
        var (_, _, insufficient) = OkxParsers.ParseItemResult(OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_error_insufficient_balance_ccxt")).Single());
        Assert.Equal(ExchangeErrorKind.InsufficientMargin, insufficient!.Kind);
        Assert.Equal("51119", insufficient.VenueCode);
        var (_, _, param) = OkxParsers.ParseItemResult(OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_error_param_ccxt")).Single());
        Assert.Equal(ExchangeErrorKind.InvalidArgument, param!.Kind);
        Assert.Equal(OkxErrors.ParameterError, param.VenueCode);
    }

    [Fact]
    [Vector("okx_rest_account_balance")]
    public void AccountBalanceReadsTheUsdtDetail()
    {
        var account = OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_account_balance")).Single();
        var parsed = OkxParsers.ParseAccount(account, []);
        Assert.Equal(94.42612990333333m, parsed.WalletBalance);
        Assert.Equal(99.89469657000001m, parsed.MarginBalance);
        Assert.Equal(94.42612990333333m, parsed.AvailableBalance);
        Assert.Equal(-0.0273000000000002m, parsed.UnrealizedPnl);
        Assert.Equal(94.42612990333333m, OkxParsers.ParseCashBalance(account, "USDT"));
        Assert.Equal(0m, OkxParsers.ParseCashBalance(account, "BTC"));
    }

    [Fact]
    [Vector("okx_rest_balance_ccxt")]
    public void MalformedEquityIsRefusedNamingTheField()
    {
        var account = OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_balance_ccxt")).Single();
        var ex = Assert.Throws<ExchangeException>(() => OkxParsers.ParseAccount(account, []));
        Assert.Contains("'eq'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(28.21006347m, OkxParsers.ParseCashBalance(account, "USDT"));
    }

    [Fact]
    [Vector("okx_ws_account")]
    public async Task AccountChannelBecomesAnAccount()
    {
        await using var stream = NewPrivateStream(new Dictionary<string, decimal>());
        var accounts = stream.Accounts.Subscribe(null, CancellationToken.None);
        stream.HandleMessage(Vectors.RawBytes(Folder, "okx_ws_account"));
        var account = await FirstAsync(accounts);
        Assert.Equal(100.52768569797846m, account.WalletBalance);
        Assert.Equal(100.52768569797846m, account.AvailableBalance);
        Assert.True(account.IsUnified);
    }

    [Fact]
    [Vector("okx_rest_positions")]
    [Vector("okx_rest_positions_ccxt")]
    public void LongShortModePositionsAreRefusedAsAPositionModeMismatch()
    {
        var item = OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_positions")).Single();
        var ex = Assert.Throws<ExchangeException>(() => OkxParsers.ParsePosition(item, BtcCtVal));
        Assert.Equal(ExchangeErrorKind.PositionModeMismatch, ex.Kind);
        var futures = OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_positions_ccxt")).Single();
        Assert.Equal(ExchangeErrorKind.PositionModeMismatch, Assert.Throws<ExchangeException>(() => OkxParsers.ParsePosition(futures, 10m)).Kind);
        using var net = System.Text.Json.JsonDocument.Parse(item.GetRawText().Replace("\"posSide\":\"long\"", "\"posSide\":\"net\"", StringComparison.Ordinal).Replace("\"posSide\": \"long\"", "\"posSide\": \"net\"", StringComparison.Ordinal));
        var position = OkxParsers.ParsePosition(net.RootElement, BtcCtVal);
        Assert.Equal(0.005m, position.Size);
        Assert.Equal(10000m, position.EntryPrice);
        Assert.Equal(9000m, position.LiquidationPrice);
        Assert.Equal("isolated", position.MarginType);
    }

    [Fact]
    [Vector("okx_rest_set_leverage_ccxt")]
    [Vector("okx_ws_mass_cancel_response_ccxt")]
    public void EnvelopesWithCodeZeroAreSuccesses()
    {
        Assert.Equal("0", Vectors.Payload(Folder, "okx_rest_set_leverage_ccxt").GetProperty("code").GetString());
        var mass = Vectors.Payload(Folder, "okx_ws_mass_cancel_response_ccxt");
        Assert.Equal("0", mass.GetProperty("code").GetString());
        Assert.True(mass.GetProperty("data")[0].GetProperty("result").GetBoolean());
    }

    [Fact]
    [Vector("okx_rest_ticker_ccxt")]
    [Vector("okx_ws_tickers")]
    public void TickersParse()
    {
        var ticker = OkxParsers.ParseTicker(OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_ticker_ccxt")).Single());
        Assert.Equal(0.07319m, ticker.LastPrice);
        Assert.Equal(0.07319m - 0.07801m, ticker.PriceChange);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1621440583784), ticker.Timestamp);
        var ws = OkxParsers.ParseTicker(Vectors.Payload(Folder, "okx_ws_tickers").GetProperty("data")[0]);
        Assert.Equal(9999.99m, ws.LastPrice);
    }

    [Fact]
    [Vector("okx_rest_candles")]
    [Vector("okx_ws_candle")]
    public void CandlesParseOldestFirstWithTheConfirmFlag()
    {
        var candles = OkxParsers.ParseCandles(OkxParsers.Data(Vectors.Payload(Folder, "okx_rest_candles")).Reverse(), "BTCUSDT", "1m");
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1625097600000), candles[0].OpenTime);
        Assert.Equal(33783.9m, candles[0].Close);
        Assert.Equal(0m, candles[0].Volume);
        Assert.False(candles[0].IsClosed);
        var ws = OkxParsers.ParseCandle(Vectors.Payload(Folder, "okx_ws_candle").GetProperty("data")[0], "BTCUSDT", "1d");
        Assert.True(ws.IsClosed);
        Assert.Equal(8548.26m, ws.Close);
        Assert.Equal(529.5858061m, ws.Volume);
        Assert.Equal("1Dutc", OkxParsers.FormatBar("1d"));
        Assert.Equal("1h", OkxParsers.ParseBar("1H"));
    }

    [Fact]
    [Vector("okx_ws_bbo_tbt")]
    [Vector("okx_ws_trades")]
    public async Task ChannelsNobodySubscribedProduceNothingAndPongAndNoticeAreRecognised()
    {
        await using var stream = new OkxMarketStream("market", new Uri("ws://127.0.0.1:9"), LoopbackOptions(), TimeProvider.System, NullLogger.Instance, new VenueMetrics());
        stream.HandleMessage(Vectors.RawBytes(Folder, "okx_ws_bbo_tbt"));
        stream.HandleMessage(Vectors.RawBytes(Folder, "okx_ws_trades"));
        Assert.False(stream.IsConnected);
        Assert.True(OkxMarketStream.IsPong(Encoding.UTF8.GetBytes("pong")));
        Assert.False(OkxMarketStream.IsPong(Encoding.UTF8.GetBytes("{\"event\":\"pong\"}")));
        using var notice = System.Text.Json.JsonDocument.Parse("{\"event\":\"notice\",\"code\":\"64008\",\"msg\":\"The connection will soon be closed for a service upgrade. Please reconnect.\"}");
        Assert.True(OkxMarketStream.IsServiceUpgradeNotice(notice.RootElement));
    }

    [Theory]
    [InlineData("50102", ExchangeErrorKind.Unavailable, true)]
    [InlineData("50113", ExchangeErrorKind.Unauthenticated, false)]
    [InlineData("50011", ExchangeErrorKind.RateLimited, false)]
    [InlineData("50061", ExchangeErrorKind.RateLimited, false)]
    [InlineData("50004", ExchangeErrorKind.UnknownOutcome, false)]
    [InlineData("51000", ExchangeErrorKind.InvalidArgument, false)]
    [InlineData("51008", ExchangeErrorKind.InsufficientMargin, false)]
    [InlineData("51400", ExchangeErrorKind.NotFound, false)]
    [InlineData("51603", ExchangeErrorKind.NotFound, false)]
    public void ErrorTableMapsTheDocumentedCodes(string code, ExchangeErrorKind kind, bool clock)
    {
        var failure = OkxErrors.Table.ToFailure(code, "m", 200);
        Assert.Equal(kind, failure.Exception.Kind);
        Assert.Equal(clock, failure.IsClockError);
        var published = Vectors.File("errors", "okx_error_codes_ccxt").GetProperty("entries").EnumerateArray()
            .Any(e => e.GetProperty("code_or_message").GetString() == code);
        Assert.True(published, $"code {code} is in the published error list");
    }

    private static OkxOptions LoopbackOptions() => new()
    {
        RestBaseUrl = "http://127.0.0.1:9",
        WsBaseUrl = "ws://127.0.0.1:9/ws/v5/public",
        WsPrivateUrl = "ws://127.0.0.1:9/ws/v5/private",
        WsBusinessUrl = "ws://127.0.0.1:9/ws/v5/business",
    };

    private static OkxUserStream NewPrivateStream(IReadOnlyDictionary<string, decimal> sizes) =>
        new(LoopbackOptions(), new VenueCredentials("k", "s", "p"), new ServerClock(TimeProvider.System), _ => Task.FromResult(sizes), TimeProvider.System, NullLogger.Instance, new VenueMetrics());

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
