using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bitget;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Tests.Binance;
using OpenSqt.TestSupport;

namespace OpenSqt.Exchanges.Tests.Bitget;

/// <summary>Every recorded Bitget v2 mix payload parses to the right domain values.</summary>
public sealed class BitgetGoldenTests
{
    private const string Folder = "bitget";

    [Fact]
    public void EveryFuturesVectorHasAGoldenTest()
    {
        // The tape's payloads (trade; books5, the shape of books1) are parsed in BitgetTapeTests.
        var tested = new[] { typeof(BitgetGoldenTests), typeof(BitgetTapeTests) }.SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetCustomAttributes(typeof(VectorAttribute), false).Cast<VectorAttribute>())
            .Select(a => a.Name)
            .ToHashSet();

        var missing = Vectors.Names(Folder, "bitget_").Where(n => !tested.Contains(n)).ToArray();
        Assert.True(missing.Length == 0, "no golden test for: " + string.Join(", ", missing));
    }

    private static JsonElement Data(string name) => BitgetParsers.Data(Vectors.Payload(Folder, name));

    [Fact]
    [Vector("bitget_rest_all_position_ccxt")]
    public void AllPositions()
    {
        var position = BitgetParsers.ParsePosition(Assert.Single(Data("bitget_rest_all_position_ccxt").EnumerateArray()));
        Assert.Equal("BTCUSDT", position.Symbol);
        Assert.Equal(0.002m, position.Size);
        Assert.Equal(37355.5m, position.EntryPrice);
        Assert.Equal(37370.5m, position.MarkPrice);
        Assert.Equal(0.03m, position.UnrealizedPnl);
        Assert.Equal(20, position.Leverage);
        Assert.Equal("cross", position.MarginType);
        Assert.Equal(31725.023602417m, position.LiquidationPrice);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700807507275), position.UpdateTime);
    }

    [Fact]
    public void ShortHoldSideIsNegative()
    {
        var e = JsonDocument.Parse("{\"symbol\":\"BTCUSDT\",\"holdSide\":\"short\",\"total\":\"0.5\"}").RootElement;
        Assert.Equal(-0.5m, BitgetParsers.ParsePosition(e).Size);
    }

    [Fact]
    [Vector("bitget_rest_batch_cancel_ccxt")]
    public void BatchCancelAnswer()
    {
        var (ok, failed) = BitgetParsers.ParseBatch(Data("bitget_rest_batch_cancel_ccxt"));
        var item = Assert.Single(ok);
        Assert.Equal("1111428059067125761", item.OrderId);
        Assert.Equal("1111428059067125760", item.ClientOid);
        Assert.Empty(failed);
    }

    [Fact]
    public void BatchFailureCarriesItsCode()
    {
        var data = JsonDocument.Parse("{\"successList\":[],\"failureList\":[{\"orderId\":\"\",\"clientOid\":\"a1\",\"errorMsg\":\"Insufficient balance\",\"errorCode\":\"43012\"}]}").RootElement;
        var (_, failed) = BitgetParsers.ParseBatch(data);
        var item = Assert.Single(failed);
        Assert.Null(item.OrderId);
        Assert.Equal("a1", item.ClientOid);
        Assert.Equal(ExchangeErrorKind.InsufficientMargin, item.Error.Exception.Kind);
    }

    [Fact]
    [Vector("bitget_rest_cancel_order_ccxt")]
    [Vector("bitget_rest_place_order_ccxt")]
    public void PlaceAndCancelAnswerIdsOnly()
    {
        Assert.Equal("1098758604547850241", Data("bitget_rest_cancel_order_ccxt").GetRequiredString("orderId"));
        var placed = Data("bitget_rest_place_order_ccxt");
        Assert.Equal("881669078313766912", placed.GetRequiredString("orderId"));
        Assert.Equal("iauIBf#a45b595f96474d888d0ada", BitgetParsers.ClientOid(placed));
    }

    [Fact]
    [Vector("bitget_rest_candles_ccxt")]
    public void CandleRows()
    {
        var row = Assert.Single(Vectors.Payload(Folder, "bitget_rest_candles_ccxt").EnumerateArray());
        var candle = BitgetParsers.ParseCandle(row, "BTCUSDT", "1m", DateTimeOffset.FromUnixTimeMilliseconds(1645911960000 + 120_000));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1645911960000), candle.OpenTime);
        Assert.Equal(39406m, candle.Open);
        Assert.Equal(39407m, candle.High);
        Assert.Equal(39374.5m, candle.Low);
        Assert.Equal(39379m, candle.Close);
        Assert.Equal(35.526m, candle.Volume);
        Assert.Equal(1399132.341m, candle.QuoteVolume);
        Assert.True(candle.IsClosed);
    }

    [Fact]
    [Vector("bitget_rest_mix_accounts_ccxt")]
    public void Accounts()
    {
        var account = BitgetParsers.ParseAccount(Data("bitget_rest_mix_accounts_ccxt"), [], DateTimeOffset.UnixEpoch);
        Assert.Equal(0m, account.WalletBalance);
        Assert.Equal(0m, account.AvailableBalance);
        Assert.Equal(0m, account.UnrealizedPnl);
    }

    [Fact]
    [Vector("bitget_rest_mix_contract_ccxt")]
    public void ContractRulesFromPlacesAndMultiplier()
    {
        var element = Vectors.Payload(Folder, "bitget_rest_mix_contract_ccxt");
        var array = JsonDocument.Parse("[" + element.GetRawText() + "]").RootElement;
        var rules = Assert.Single(BitgetParsers.ParseContracts(array));
        Assert.Equal("BTCUSDT", rules.Symbol);
        Assert.Equal("BTC", rules.BaseAsset);
        Assert.Equal(0.1m, rules.TickSize);
        Assert.Equal(0.001m, rules.StepSize);
        Assert.Equal(0.001m, rules.MinQuantity);
        Assert.Equal(5m, rules.MinNotional);
        Assert.Equal(8, BitgetParsers.ParseFundingIntervals(array)["BTCUSDT"]);
        Assert.Equal(DateTimeOffset.Parse("2026-01-01T16:00:00Z", System.Globalization.CultureInfo.InvariantCulture), BitgetParsers.NextFundingTime(DateTimeOffset.Parse("2026-01-01T09:30:00Z", System.Globalization.CultureInfo.InvariantCulture), 8));
    }

    [Fact]
    [Vector("bitget_rest_mix_ticker_ccxt")]
    public void RestTicker()
    {
        var item = Assert.Single(Data("bitget_rest_mix_ticker_ccxt").EnumerateArray());
        var ticker = BitgetParsers.ParseTicker(item);
        Assert.Equal("BTCUSDT", ticker.Symbol);
        Assert.Equal(104823.8m, ticker.LastPrice);
        Assert.Equal(0.471m, ticker.PriceChangePercent);
        Assert.Equal(104823.8m - 104332.3m, ticker.PriceChange);
        Assert.Equal(79089.5675m, ticker.Volume);
        Assert.Equal(7452.6421m, ticker.OpenInterest);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1750332210370), ticker.Timestamp);
        Assert.Equal(-0.000014m, BitgetParsers.ParseTickerFunding(item).Rate);
    }

    [Fact]
    [Vector("bitget_rest_order_detail_ccxt")]
    public void OrderDetail()
    {
        var order = BitgetParsers.ParseOrder(Data("bitget_rest_order_detail_ccxt"));
        Assert.Equal("1111465253393825792", order.ExchangeOrderId);
        Assert.Equal("1111465253431574529", order.ClientOrderId);
        Assert.Equal(OrderStatus.New, order.Status);
        Assert.Equal(OrderSide.Buy, order.Side);
        Assert.Equal(OrderType.Limit, order.Type);
        Assert.Equal(27000m, order.Price);
        Assert.Equal(0.001m, order.Quantity);
        Assert.Equal(0m, order.AveragePrice);
        Assert.False(order.ReduceOnly);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1700719887120), order.CreatedAt);
    }

    [Fact]
    [Vector("bitget_rest_orders_pending_ccxt")]
    public void OrdersPending()
    {
        var order = BitgetParsers.ParseOrder(Assert.Single(Data("bitget_rest_orders_pending_ccxt").GetProperty("entrustedList").EnumerateArray()));
        Assert.Equal("1111488897767604224", order.ExchangeOrderId);
        Assert.Equal(OrderStatus.New, order.Status);
        Assert.Equal(0.002m, order.Quantity);
        Assert.Equal(25000m, order.Price);
    }

    [Fact]
    [Vector("bitget_rest_time_ccxt")]
    public void ServerTime()
    {
        Assert.Equal(1700111073740, BitgetParsers.ParseServerTime(Vectors.Payload(Folder, "bitget_rest_time_ccxt")));
    }

    [Fact]
    [Vector("bitget_ws_account_futures_ccxt")]
    public async Task AccountPushTriggersAFreshAccountSnapshot()
    {
        var snapshot = new Account { WalletBalance = 26.14m, MarginBalance = 26.14m, AvailableBalance = 20.77m };
        await using var stream = NewUserStream(_ => Task.FromResult(snapshot));
        stream.EnsureStarted();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var reader = stream.Accounts.Subscribe(null, cts.Token).GetAsyncEnumerator(cts.Token);
        stream.HandleMessage(Vectors.RawBytes(Folder, "bitget_ws_account_futures_ccxt"));
        Assert.True(await reader.MoveNextAsync());
        Assert.Same(snapshot, reader.Current);
        await reader.DisposeAsync();
    }

    [Fact]
    [Vector("bitget_ws_fill_futures_ccxt")]
    public void FillChannelRecord()
    {
        var fill = BitgetParsers.ParseFillRecord(Vectors.Payload(Folder, "bitget_ws_fill_futures_ccxt").GetProperty("data")[0]);
        Assert.Equal("1169142761312637004", fill.TradeId);
        Assert.Equal("1169142761031114781", fill.ExchangeOrderId);
        Assert.Equal("LTCUSDT", fill.Symbol);
        Assert.Equal(OrderSide.Buy, fill.Side);
        Assert.Equal(80.87m, fill.Price);
        Assert.Equal(0.1m, fill.Quantity);
        Assert.Equal(0.0048522m, fill.Fee);
        Assert.False(fill.IsMaker);
    }

    [Fact]
    [Vector("bitget_ws_orders_subscribe_request_doc")]
    [Vector("bitget_ws_orders_subscribe_ack_doc")]
    public async Task OrdersSubscribeRequestIsTheDocumentedOneAndItsAckIsNotData()
    {
        var request = JsonSerializer.Serialize(new BitgetOpRequest("subscribe", [new BitgetChannelArg("USDT-FUTURES", "orders", "default")]));
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(Vectors.Payload(Folder, "bitget_ws_orders_subscribe_request_doc").GetRawText()), System.Text.Json.Nodes.JsonNode.Parse(request)), request);
        await using var stream = NewUserStream(_ => Task.FromException<Account>(new ExchangeException(ExchangeErrorKind.Unavailable, "unused")));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var reader = stream.Orders.Subscribe(null, cts.Token).GetAsyncEnumerator(cts.Token);
        stream.HandleMessage(Vectors.RawBytes(Folder, "bitget_ws_orders_subscribe_ack_doc"));
        stream.HandleMessage(OrderPush("o1", "c1", "live", acc: "0", fill: null));
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal("o1", reader.Current.ExchangeOrderId);
        await reader.DisposeAsync();
    }

    [Fact]
    [Vector("bitget_ws_positions_item_ccxt")]
    public void PositionPushItem()
    {
        var position = BitgetParsers.ParsePosition(Vectors.Payload(Folder, "bitget_ws_positions_item_ccxt"));
        Assert.Equal("BTCUSDT", position.Symbol);
        Assert.Equal(0.001m, position.Size);
        Assert.Equal(43849m, position.EntryPrice);
        Assert.Equal(20, position.Leverage);
        Assert.Equal(-0.0032m, position.UnrealizedPnl);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1701913016923), position.UpdateTime);
    }

    [Fact]
    [Vector("bitget_ws_ticker_futures_ccxt")]
    public void TickerPushCarriesPriceAndNextFunding()
    {
        var item = Vectors.Payload(Folder, "bitget_ws_ticker_futures_ccxt").GetProperty("data")[0];
        var ticker = BitgetParsers.ParseTicker(item);
        Assert.Equal(43480.4m, ticker.LastPrice);
        Assert.Equal(50670.787m, ticker.OpenInterest);
        var funding = BitgetParsers.ParseTickerFunding(item);
        Assert.Equal(0.000096m, funding.Rate);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1701849600000), funding.NextFundingTime);
    }

    [Fact]
    public async Task OrderPushesCarryTheirFillAndRepeatsAreDropped()
    {
        await using var stream = NewUserStream(_ => Task.FromException<Account>(new ExchangeException(ExchangeErrorKind.Unavailable, "unused")));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var reader = stream.Orders.Subscribe(null, cts.Token).GetAsyncEnumerator(cts.Token);
        stream.HandleMessage(OrderPush("o2", "c2", "partially_filled", acc: "0.3", fill: ("t1", "0.3", "100.5", "-0.01")));
        stream.HandleMessage(OrderPush("o2", "c2", "partially_filled", acc: "0.3", fill: ("t1", "0.3", "100.5", "-0.01")));
        stream.HandleMessage(OrderPush("o2", "c2", "filled", acc: "1", fill: ("t2", "0.7", "100.4", "-0.02")));
        Assert.True(await reader.MoveNextAsync());
        var partial = reader.Current;
        Assert.Equal(OrderStatus.PartiallyFilled, partial.Status);
        Assert.Equal(0.3m, partial.FilledQuantity);
        Assert.Equal("t1", partial.LastFill!.TradeId);
        Assert.Equal(0.01m, partial.LastFill.Fee);
        Assert.Equal("c2", partial.ClientOrderId);
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(OrderStatus.Filled, reader.Current.Status);
        Assert.Equal("t2", reader.Current.LastFill!.TradeId);
        Assert.Equal(0.7m, reader.Current.LastFill.Quantity);
        await reader.DisposeAsync();
    }

    [Fact]
    public void StatusesAndClientIdSpellings()
    {
        Assert.Equal(OrderStatus.New, BitgetParsers.ParseStatus("live"));
        Assert.Equal(OrderStatus.Canceled, BitgetParsers.ParseStatus("cancelled"));
        Assert.Equal("x1", BitgetParsers.ClientOid(JsonDocument.Parse("{\"clientOId\":\"x1\"}").RootElement));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, Assert.Throws<ExchangeException>(() => BitgetParsers.Granularity("8h")).Kind);
        Assert.Equal("4H", BitgetParsers.Granularity("4h"));
    }

    private static byte[] OrderPush(string id, string clientOid, string status, string acc, (string TradeId, string Size, string Price, string Fee)? fill)
    {
        var fillFields = fill is { } f ? $",\"tradeId\":\"{f.TradeId}\",\"baseVolume\":\"{f.Size}\",\"fillPrice\":\"{f.Price}\",\"fillFee\":\"{f.Fee}\",\"fillTime\":\"1700000000100\"" : "";
        return Encoding.UTF8.GetBytes($"{{\"action\":\"snapshot\",\"arg\":{{\"instType\":\"USDT-FUTURES\",\"channel\":\"orders\",\"instId\":\"default\"}},\"data\":[{{\"instId\":\"BTCUSDT\",\"orderId\":\"{id}\",\"clientOid\":\"{clientOid}\",\"side\":\"buy\",\"orderType\":\"limit\",\"force\":\"gtc\",\"price\":\"100.5\",\"size\":\"1\",\"accBaseVolume\":\"{acc}\",\"priceAvg\":\"100.5\",\"status\":\"{status}\",\"cTime\":\"1700000000000\",\"uTime\":\"1700000000100\"{fillFields}}}],\"ts\":1700000000100}}");
    }

    private static BitgetUserStream NewUserStream(Func<CancellationToken, Task<Account>> fetchAccount) =>
        new(new BitgetOptions { WsBaseUrl = Loopback.UnreachableWs, WsPrivateUrl = Loopback.UnreachableWs }, new VenueCredentials("k", "s", "p"), fetchAccount, new ServerClock(TimeProvider.System), _ => Task.CompletedTask, TimeProvider.System, NullLogger.Instance, new VenueMetrics());

    /// <summary>
    /// Codes in Bitget's own table (https://www.bitget.com/api-doc/contract/error-code/restapi; sebastianganser/Bitget_API
    /// contract/error-code/restapi.md) that the connector once did not know and so reported as a plain rejection, and
    /// 40010 "Request timed out", which it read as a refused signature.
    /// </summary>
    [Theory]
    [InlineData("40304", ExchangeErrorKind.InvalidArgument)]
    [InlineData("45034", ExchangeErrorKind.AlreadyExists)]
    [InlineData("43118", ExchangeErrorKind.AlreadyExists)]
    [InlineData("22002", ExchangeErrorKind.ReduceOnlyRejected)]
    [InlineData("43001", ExchangeErrorKind.NotFound)]
    [InlineData("40010", ExchangeErrorKind.UnknownOutcome)]
    public void ErrorTableMapsBitgetsDocumentedCodes(string code, ExchangeErrorKind kind)
    {
        var failure = BitgetErrors.Table.ToFailure(code, "m", 400);
        Assert.Equal(kind, failure.Exception.Kind);
        Assert.False(failure.IsClockError);
    }
}
