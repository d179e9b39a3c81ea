using OpenSqt.Contracts;
using OpenSqt.Exchanges.Binance;

namespace OpenSqt.Exchanges.Tests.Binance;

/// <summary>Every recorded USDT-M payload parses to the right domain values.</summary>
public sealed class BinanceGoldenTests
{
    private const string Folder = "binance";

    [Fact]
    public void EveryUsdtMarginedVectorHasAGoldenTest()
    {
        var tested = typeof(BinanceGoldenTests).GetMethods()
            .SelectMany(m => m.GetCustomAttributes(typeof(VectorAttribute), false).Cast<VectorAttribute>())
            .Select(a => a.Name)
            .ToHashSet();
        var missing = Vectors.Names(Folder, "binance_usdm_").Where(n => !tested.Contains(n)).ToArray();
        Assert.True(missing.Length == 0, "no golden test for: " + string.Join(", ", missing));
    }

    [Fact]
    [Vector("binance_usdm_rest_new_order")]
    public void NewOrderAnswer()
    {
        var order = BinanceParsers.ParseOrder(Vectors.Payload(Folder, "binance_usdm_rest_new_order"));
        Assert.Equal("22542179", order.ExchangeOrderId);
        Assert.Equal("testOrder", order.ClientOrderId);
        Assert.Equal("BTCUSDT", order.Symbol);
        Assert.Equal(OrderSide.Sell, order.Side);
        Assert.Equal(OrderType.Limit, order.Type);
        Assert.Equal(TimeInForce.Gtc, order.TimeInForce);
        Assert.Equal(OrderStatus.New, order.Status);
        Assert.Equal(10m, order.Quantity);
        Assert.Equal(0m, order.FilledQuantity);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1566818724722), order.UpdatedAt);
    }

    [Fact]
    [Vector("binance_usdm_rest_cancel_order")]
    public void CancelOrderAnswer()
    {
        var order = BinanceParsers.ParseOrder(Vectors.Payload(Folder, "binance_usdm_rest_cancel_order"));
        Assert.Equal("283194212", order.ExchangeOrderId);
        Assert.Equal("myOrder1", order.ClientOrderId);
        Assert.Equal(OrderStatus.Canceled, order.Status);
        Assert.Equal(OrderType.Market, order.Type);
        Assert.Equal(11m, order.Quantity);
        Assert.Equal(OrderSide.Buy, order.Side);
    }

    [Fact]
    [Vector("binance_usdm_rest_query_order")]
    public void QueryOrderAnswer()
    {
        var order = BinanceParsers.ParseOrder(Vectors.Payload(Folder, "binance_usdm_rest_query_order"));
        Assert.Equal("1573346959", order.ExchangeOrderId);
        Assert.Equal("abc", order.ClientOrderId);
        Assert.Equal(0.40m, order.Quantity);
        Assert.Equal(0m, order.AveragePrice);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1579276756075), order.CreatedAt);
        Assert.True(order.Status.IsOpen());
    }

    [Fact]
    [Vector("binance_usdm_rest_open_orders")]
    public void OpenOrdersAnswer()
    {
        var orders = Vectors.Payload(Folder, "binance_usdm_rest_open_orders").EnumerateArray().Select(BinanceParsers.ParseOrder).ToArray();
        var order = Assert.Single(orders);
        Assert.Equal("1917641", order.ExchangeOrderId);
        Assert.Equal(OrderStatus.New, order.Status);
        Assert.False(order.ReduceOnly);
    }

    [Fact]
    [Vector("binance_usdm_wsapi_order_place")]
    public void WebSocketApiOrderPlaceAnswer()
    {
        var order = BinanceParsers.ParseWsApiOrder(Vectors.Payload(Folder, "binance_usdm_wsapi_order_place"));
        Assert.Equal("325078477", order.ExchangeOrderId);
        Assert.Equal("iCXL1BywlBaf2sesNUrVl3", order.ClientOrderId);
        Assert.Equal(43187.00m, order.Price);
        Assert.Equal(0.100m, order.Quantity);
        Assert.Equal(OrderType.Limit, order.Type);
        Assert.Equal(OrderSide.Buy, order.Side);
    }

    [Fact]
    [Vector("binance_usdm_rest_batch_orders")]
    public void BatchOrdersItemWithCodeIsAnError()
    {
        var items = BinanceParsers.ParseBatchOrders(Vectors.Payload(Folder, "binance_usdm_rest_batch_orders"));
        var item = Assert.Single(items);
        Assert.Null(item.Order);
        Assert.Equal(ExchangeErrorKind.ReduceOnlyRejected, item.Error!.Exception.Kind);
        Assert.Equal("-2022", item.Error.Exception.VenueCode);
    }

    [Fact]
    [Vector("binance_usdm_rest_exchange_info")]
    public void ExchangeInfoGivesPerpetualRulesFromFilters()
    {
        var rules = BinanceParsers.ParseExchangeInfo(Vectors.Payload(Folder, "binance_usdm_rest_exchange_info"));
        Assert.Equal(["BTCUSDT", "ETHUSDT"], rules.Select(r => r.Symbol));
        var btc = rules[0];
        Assert.Equal(0.1m, btc.TickSize);
        Assert.Equal(0.001m, btc.StepSize);
        Assert.Equal(0.001m, btc.MinQuantity);
        Assert.Equal(1000m, btc.MaxQuantity);
        Assert.Equal(10m, btc.MinNotional);
        Assert.Equal("BTC", btc.BaseAsset);
        Assert.Equal("USDT", btc.QuoteAsset);
    }

    [Fact]
    public void ExchangeInfoRateLimitsMapOntoTheDeclaredRules()
    {
        var limits = BinanceParsers.ParseRateLimits(Vectors.Payload(Folder, "binance_usdm_rest_exchange_info"));
        Assert.Equal(6000, limits[BinanceRateLimits.Weight]);
        Assert.Equal(1200, limits[BinanceRateLimits.Orders1M]);
        Assert.Equal(300, limits[BinanceRateLimits.Orders10S]);
    }

    [Fact]
    [Vector("binance_usdm_rest_klines")]
    public void KlinesAnswer()
    {
        var candles = BinanceParsers.ParseKlines(Vectors.Payload(Folder, "binance_usdm_rest_klines"), "BTCUSDT", "1d", DateTimeOffset.UtcNow);
        var c = Assert.Single(candles);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1499040000000), c.OpenTime);
        Assert.Equal(0.01634790m, c.Open);
        Assert.Equal(0.80000000m, c.High);
        Assert.Equal(0.01575800m, c.Low);
        Assert.Equal(0.01577100m, c.Close);
        Assert.Equal(148976.11427815m, c.Volume);
        Assert.Equal(2434.19055334m, c.QuoteVolume);
        Assert.True(c.IsClosed);
    }

    [Fact]
    [Vector("binance_usdm_rest_account_v3")]
    public void AccountV3Answer()
    {
        var account = BinanceParsers.ParseAccount(Vectors.Payload(Folder, "binance_usdm_rest_account_v3"));
        Assert.Equal(126.72469206m, account.WalletBalance);
        Assert.Equal(126.72469206m, account.MarginBalance);
        Assert.Equal(126.72469206m, account.AvailableBalance);
        var position = Assert.Single(account.Positions);
        Assert.Equal("BTCUSDT", position.Symbol);
        Assert.Equal(1.000m, position.Size);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1625474304765), account.UpdateTime);
    }

    [Fact]
    [Vector("binance_usdm_rest_balance_v3")]
    public void BalanceV3Answer()
    {
        var payload = Vectors.Payload(Folder, "binance_usdm_rest_balance_v3");
        Assert.Equal(122607.35137903m, BinanceParsers.ParseBalance(payload, "USDT"));
        Assert.Equal(0m, BinanceParsers.ParseBalance(payload, "BTC"));
    }

    [Fact]
    [Vector("binance_usdm_rest_position_risk_v2")]
    public void PositionRiskV2LeavesFlatPositionsOut()
    {
        Assert.Empty(BinanceParsers.ParsePositions(Vectors.Payload(Folder, "binance_usdm_rest_position_risk_v2")));
    }

    [Fact]
    [Vector("binance_usdm_rest_position_risk_v3")]
    public void PositionRiskV3Answer()
    {
        var p = Assert.Single(BinanceParsers.ParsePositions(Vectors.Payload(Folder, "binance_usdm_rest_position_risk_v3")));
        Assert.Equal("ADAUSDT", p.Symbol);
        Assert.Equal(30m, p.Size);
        Assert.Equal(0.385m, p.EntryPrice);
        Assert.Equal(0.41047590m, p.MarkPrice);
        Assert.Equal(0.76427700m, p.UnrealizedPnl);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1720736417660), p.UpdateTime);
    }

    [Theory]
    [Vector("binance_usdm_rest_ticker_price")]
    [Vector("binance_usdm_rest_ticker_price_v2")]
    [InlineData("binance_usdm_rest_ticker_price")]
    [InlineData("binance_usdm_rest_ticker_price_v2")]
    public void TickerPriceAnswer(string name)
    {
        Assert.Equal(6000.01m, BinanceParsers.ParseTickerPrice(Vectors.Payload(Folder, name)));
    }

    [Fact]
    [Vector("binance_usdm_rest_book_ticker")]
    [Vector("binance_usdm_ws_book_ticker")]
    public void BookTickerRestAndWebSocket()
    {
        Assert.Equal(("BTCUSDT", 4.00000000m, 4.00000200m), BinanceParsers.ParseBookTicker(Vectors.Payload(Folder, "binance_usdm_rest_book_ticker")));
        Assert.Equal(("BNBUSDT", 25.35190000m, 25.36520000m), BinanceParsers.ParseBookTicker(Vectors.Payload(Folder, "binance_usdm_ws_book_ticker")));
    }

    [Fact]
    [Vector("binance_usdm_rest_listen_key_start")]
    [Vector("binance_usdm_rest_listen_key_keepalive")]
    [Vector("binance_usdm_rest_time")]
    public void ListenKeyAndServerTime()
    {
        Assert.Equal("pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1", BinanceParsers.ParseListenKey(Vectors.Payload(Folder, "binance_usdm_rest_listen_key_start")));
        Assert.Equal("3HBntNTepshgEdjIwSUIBgB9keLyOCg5qv3n6bYAtktG8ejcaW5HXz9Vx1JgIieg", BinanceParsers.ParseListenKey(Vectors.Payload(Folder, "binance_usdm_rest_listen_key_keepalive")));
        Assert.Equal(1499827319559, BinanceParsers.ParseServerTime(Vectors.Payload(Folder, "binance_usdm_rest_time")));
    }

    [Fact]
    [Vector("binance_usdm_ws_order_trade_update_new")]
    public void OrderTradeUpdateNew()
    {
        var bytes = Vectors.RawBytes(Folder, "binance_usdm_ws_order_trade_update_new");
        Assert.Equal(BinanceUserEventType.OrderTradeUpdate, BinanceParsers.PeekUserEventType(bytes));
        var u = BinanceParsers.ParseOrderTradeUpdate(bytes);
        Assert.Equal("8886774", u.ExchangeOrderId);
        Assert.Equal("TEST", u.ClientOrderId);
        Assert.Equal(OrderStatus.New, u.Status);
        Assert.Equal(OrderSide.Buy, u.Side);
        Assert.Equal(OrderType.Market, u.Type);
        Assert.Equal(0.001m, u.Quantity);
        Assert.Null(u.LastFill);
        Assert.Equal("binance", u.Exchange);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1568879465651), u.UpdateTime);
    }

    [Fact]
    [Vector("binance_usdm_ws_order_trade_update_partial_fill")]
    public void OrderTradeUpdatePartialFillCarriesTheFill()
    {
        var u = BinanceParsers.ParseOrderTradeUpdate(Vectors.RawBytes(Folder, "binance_usdm_ws_order_trade_update_partial_fill"));
        Assert.Equal(OrderStatus.PartiallyFilled, u.Status);
        Assert.Equal(OrderType.Limit, u.Type);
        Assert.Equal(7100.50m, u.Price);
        Assert.Equal(0.002m, u.Quantity);
        Assert.Equal(0.001m, u.FilledQuantity);
        Assert.Equal(7100.50m, u.AveragePrice);
        var fill = Assert.IsType<Fill>(u.LastFill);
        Assert.Equal("12345678", fill.TradeId);
        Assert.Equal("8886774", fill.ExchangeOrderId);
        Assert.Equal(0.001m, fill.Quantity);
        Assert.Equal(7100.50m, fill.Price);
        Assert.Equal(0.01m, fill.Fee);
        Assert.Equal("USDT", fill.FeeAsset);
        Assert.Equal(12.34m, fill.RealizedPnl);
        Assert.True(fill.IsMaker);
    }

    [Fact]
    [Vector("binance_usdm_ws_order_trade_update_liquidation_combined")]
    public void OrderTradeUpdateInCombinedEnvelopeWithNullsIsALiquidationFill()
    {
        var bytes = Vectors.RawBytes(Folder, "binance_usdm_ws_order_trade_update_liquidation_combined");
        Assert.Equal(BinanceUserEventType.OrderTradeUpdate, BinanceParsers.PeekUserEventType(bytes));
        var u = BinanceParsers.ParseOrderTradeUpdate(bytes);
        Assert.Equal("9876543210", u.ExchangeOrderId);
        Assert.Equal(OrderStatus.Filled, u.Status);
        Assert.Equal(OrderSide.Sell, u.Side);
        Assert.Equal(0.100m, u.FilledQuantity);
        Assert.Equal(50000.00m, u.AveragePrice);
        var fill = Assert.IsType<Fill>(u.LastFill);
        Assert.Equal("1122334455", fill.TradeId);
        Assert.Equal(5m, fill.Fee);
        Assert.Equal(-100m, fill.RealizedPnl);
        Assert.False(fill.IsMaker);
    }

    [Fact]
    [Vector("binance_usdm_ws_trade_lite")]
    public void TradeLiteIsTheSameFillAsTheOrderTradeUpdate()
    {
        var lite = BinanceParsers.ParseTradeLite(Vectors.Payload(Folder, "binance_usdm_ws_trade_lite"));
        var full = BinanceParsers.ParseOrderTradeUpdate(Vectors.RawBytes(Folder, "binance_usdm_ws_order_trade_update_partial_fill")).LastFill!;
        Assert.Equal(BinanceUserEventType.TradeLite, BinanceParsers.PeekUserEventType(Vectors.RawBytes(Folder, "binance_usdm_ws_trade_lite")));
        Assert.Equal((full.TradeId, full.ExchangeOrderId, full.Price, full.Quantity), (lite.TradeId, lite.ExchangeOrderId, lite.Price, lite.Quantity));
    }

    [Fact]
    [Vector("binance_usdm_ws_account_update")]
    public void AccountUpdateBalancesAndPositions()
    {
        Assert.Equal(BinanceUserEventType.AccountUpdate, BinanceParsers.PeekUserEventType(Vectors.RawBytes(Folder, "binance_usdm_ws_account_update")));
        var (balances, positions, reason) = BinanceParsers.ParseAccountUpdate(Vectors.Payload(Folder, "binance_usdm_ws_account_update"));
        Assert.Equal("ORDER", reason);
        Assert.Equal(122624.12345678m, balances["USDT"]);
        Assert.Equal([0m, 20m, -10m], positions.Select(p => p.Size));
        Assert.Equal(6563.6m, positions[1].EntryPrice);
        Assert.Equal(2850.21200m, positions[1].UnrealizedPnl);
        Assert.Equal("isolated", positions[2].MarginType);
        Assert.Equal(-45.04m, positions[2].RealizedPnl);
    }

    [Fact]
    [Vector("binance_usdm_ws_kline")]
    public void KlineEvent()
    {
        var c = BinanceParsers.ParseWsKline(Vectors.Payload(Folder, "binance_usdm_ws_kline"));
        Assert.Equal(("BTCUSDT", "1m", 0.0010m, 0.0025m, 0.0015m, 0.0020m, 1000m, false), (c.Symbol, c.Interval, c.Open, c.High, c.Low, c.Close, c.Volume, c.IsClosed));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1638747660000), c.OpenTime);
    }

    [Fact]
    [Vector("binance_usdm_ws_agg_trade")]
    public void AggTradeEventIsAPrice()
    {
        var p = BinanceParsers.ParseWsAggTrade(Vectors.Payload(Folder, "binance_usdm_ws_agg_trade"));
        Assert.Equal(new PriceChange("BNBUSDT", 0.001m, DateTimeOffset.FromUnixTimeMilliseconds(123456785), "binance"), p);
    }

    [Fact]
    [Vector("binance_usdm_ws_mark_price")]
    public void MarkPriceEventIsAFundingRate()
    {
        var f = BinanceParsers.ParseWsMarkPrice(Vectors.Payload(Folder, "binance_usdm_ws_mark_price"));
        Assert.Equal("BTCUSDT", f.Symbol);
        Assert.Equal(0.00038167m, f.Rate);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1562306400000), f.NextFundingTime);
    }

    [Fact]
    [Vector("binance_usdm_ws_24hr_ticker")]
    public void TickerEvent()
    {
        var t = BinanceParsers.ParseWsTicker(Vectors.Payload(Folder, "binance_usdm_ws_24hr_ticker"));
        Assert.Equal(("BNBUSDT", 0.0025m, 0.0015m, 250.00m, 10000m, 18m), (t.Symbol, t.LastPrice, t.PriceChange, t.PriceChangePercent, t.Volume, t.QuoteVolume));
    }

    [Fact]
    public void ListenKeyExpiredWithStringEventTimeIsRecognised()
    {
        var bytes = "{\"e\":\"listenKeyExpired\",\"E\":\"1693427319838\",\"listenKey\":\"abc\"}"u8.ToArray();
        Assert.Equal(BinanceUserEventType.ListenKeyExpired, BinanceParsers.PeekUserEventType(bytes));
    }

    [Fact]
    public void MalformedNumberNamesTheField()
    {
        var bytes = "{\"e\":\"ORDER_TRADE_UPDATE\",\"o\":{\"s\":\"BTCUSDT\",\"q\":\"abc\"}}"u8.ToArray();
        var ex = Assert.Throws<ExchangeException>(() => BinanceParsers.ParseOrderTradeUpdate(bytes));
        Assert.Contains("'q'", ex.Message, StringComparison.Ordinal);
    }
}

/// <summary>Marks which recorded vector a golden test covers.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
internal sealed class VectorAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
