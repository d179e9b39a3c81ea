using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bitget;
using OpenSqt.Exchanges.Tests.Binance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bitget;

namespace OpenSqt.Exchanges.Tests.Bitget;

/// <summary>
/// Bitget's public tape for the connector's recording: every trade with its size and taker side from the <c>trade</c>
/// channel, and the best bid and ask from <c>books1</c>, parsed from the published payloads and streamed from the
/// simulator over a real WebSocket; a push item that does not parse is skipped and counted while the stream goes on.
/// </summary>
public sealed class BitgetTapeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    [Vector("bitget_ws_trade_futures_jkorf")]
    [Vector("bitget_ws_books5_spot_ccxt")]
    public void ThePublishedTradeAndBookPayloadsParseToTheTape()
    {
        var trades = Vectors.Payload("bitget", "bitget_ws_trade_futures_jkorf").GetProperty("data");
        Assert.Equal(new TapeTrade("BTCUSDT", 1111111111, 27000.5m, 0.001m, false, DateTimeOffset.FromUnixTimeMilliseconds(1695716760565)), BitgetParsers.ParseWsTapeTrade(trades[0], "BTCUSDT"));
        Assert.Equal(new TapeTrade("BTCUSDT", 1111111111, 27000.0m, 0.001m, true, DateTimeOffset.FromUnixTimeMilliseconds(1695716759514)), BitgetParsers.ParseWsTapeTrade(trades[1], "BTCUSDT"));

        // books1 has the shape of books5 with one level a side: the top is the first level; without seq the id is ts.
        var book = Vectors.Payload("bitget", "bitget_ws_books5_spot_ccxt").GetProperty("data")[0];
        Assert.Equal(new BookTop("BTCUSDT", 1656413855484, 21040.76m, 0.0417m, 21041.11m, 0.0445m, DateTimeOffset.FromUnixTimeMilliseconds(1656413855484)), BitgetParsers.ParseWsBookTop(book, "BTCUSDT"));
    }

    [Fact]
    public void ATradeIdThatIsNotANumberOrAMissingPriceIsMalformed()
    {
        using var badId = System.Text.Json.JsonDocument.Parse("""{"ts":"1695716760565","price":"27000.5","size":"0.001","side":"buy","tradeId":"abc"}""");
        Assert.Equal(ExchangeErrorKind.Internal, Assert.Throws<ExchangeException>(() => BitgetParsers.ParseWsTapeTrade(badId.RootElement, "BTCUSDT")).Kind);
        using var noPrice = System.Text.Json.JsonDocument.Parse("""{"ts":"1695716760565","size":"0.001","side":"buy","tradeId":"1"}""");
        Assert.Throws<ExchangeException>(() => BitgetParsers.ParseWsTapeTrade(noPrice.RootElement, "BTCUSDT"));
        using var oneSided = System.Text.Json.JsonDocument.Parse("""{"asks":[],"bids":[["27000","1"]],"ts":"1695716760565"}""");
        Assert.Null(BitgetParsers.ParseWsBookTop(oneSided.RootElement, "BTCUSDT"));
    }

    [Fact]
    public async Task TradesWithSizeAndTakerSideAndTheBookTopStreamFromTheSimulator()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var exchange = BitgetConformanceTests.CreateBitget(sim);
        using var stop = new CancellationTokenSource(Timeout);
        await using var printed = sim.Engine.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var trades = exchange.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var tops = exchange.SubscribeBookTopAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        var first = trades.MoveNextAsync();
        var firstTop = tops.MoveNextAsync();
        await Eventually.TrueAsync(() => sim.PublicChannels.ContainsKey("trade:BTCUSDT") && sim.PublicChannels.ContainsKey("books1:BTCUSDT"), Timeout, "both channels are subscribed");

        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var down = last - 5m;
        await Eventually.TrueAsync(() =>
        {
            sim.Engine.Trade("BTCUSDT", down, 0.75m);
            return first.IsCompleted;
        }, Timeout, "the first trade arrives");
        Assert.True(await first);
        var seller = trades.Current;
        Assert.Equal(("BTCUSDT", down, 0.75m, true), (seller.Symbol, seller.Price, seller.Quantity, seller.BuyerIsMaker));
        Assert.True(seller.TradeId > 1_116_461_060_594_286_593L, "the venue's 19-digit id is read whole");

        // A buy lifting the offer: the taker bought, so the buyer did not make the market; ids keep increasing.
        var up = down + 10m;
        sim.Engine.Trade("BTCUSDT", up, 1.25m);
        var buyer = await Eventually.NextMatchingAsync(trades, t => t.Price == up, Timeout, "the buy");
        Assert.Equal((1.25m, false), (buyer.Quantity, buyer.BuyerIsMaker));
        Assert.True(buyer.TradeId > seller.TradeId);

        // The time is the engine's print time of that trade, to the millisecond.
        var print = await Eventually.NextMatchingAsync(printed, t => t.Price == up, Timeout, "the engine's print of the buy");
        Assert.Equal(print.Timestamp.ToUnixTimeMilliseconds(), buyer.Timestamp.ToUnixTimeMilliseconds());

        await Eventually.TrueAsync(() =>
        {
            sim.Engine.SetBook("BTCUSDT", up - 0.1m, 2.5m, up, 3.5m);
            return firstTop.IsCompleted;
        }, Timeout, "the first book top arrives");
        Assert.True(await firstTop);
        var top = tops.Current;
        Assert.Equal(("BTCUSDT", up - 0.1m, 2.5m, up, 3.5m), (top.Symbol, top.BidPrice, top.BidQuantity, top.AskPrice, top.AskQuantity));
        Assert.True(top.UpdateId > 1_304_314_508_780_744_705L, "the update id is the push's seq");
        Assert.Equal(0, exchange.TapeItemsSkipped);
    }

    [Fact]
    public async Task TheOpeningSnapshotComesOldestFirstAndAReconnectRepeatsNoTrade()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var exchange = BitgetConformanceTests.CreateBitget(sim);
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        decimal[] before = [last - 3m, last - 2m, last - 1m];
        foreach (var price in before)
        {
            sim.Engine.Trade("BTCUSDT", price, 0.5m);
        }

        // The subscription opens with the venue's snapshot of those trades, which the simulator sends newest first.
        using var stop = new CancellationTokenSource(Timeout);
        await using var trades = exchange.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        var opening = new List<TapeTrade>();
        for (var i = 0; i < before.Length; i++)
        {
            Assert.True(await trades.MoveNextAsync());
            opening.Add(trades.Current);
        }

        Assert.Equal(before, opening.Select(t => t.Price));
        Assert.True(opening[0].TradeId < opening[1].TradeId && opening[1].TradeId < opening[2].TradeId, "oldest first");

        // A new connection opens with the snapshot again: none of it comes twice, the next trade is the new one.
        var connections = exchange.MarketStream.Connections;
        await sim.DropAllConnectionsAsync();
        await Eventually.TrueAsync(() => exchange.MarketStream.Connections > connections && exchange.MarketStream.IsConnected, Timeout, "the market stream reconnected");
        var next = trades.MoveNextAsync();
        var after = last + 4m;
        await Eventually.TrueAsync(() =>
        {
            sim.Engine.Trade("BTCUSDT", after, 0.25m);
            return next.IsCompleted;
        }, Timeout, "a trade after the reconnect arrives");
        Assert.True(await next);
        Assert.Equal((after, 0.25m), (trades.Current.Price, trades.Current.Quantity));
        Assert.True(trades.Current.TradeId > opening[2].TradeId);
    }

    [Fact]
    public async Task AMalformedTapeItemIsSkippedAndCountedWhileTheStreamGoesOn()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var exchange = BitgetConformanceTests.CreateBitget(sim);
        using var stop = new CancellationTokenSource(Timeout);
        await using var trades = exchange.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var tops = exchange.SubscribeBookTopAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        var next = trades.MoveNextAsync();
        var nextTop = tops.MoveNextAsync();
        await Eventually.TrueAsync(() => sim.PublicChannels.ContainsKey("trade:BTCUSDT") && sim.PublicChannels.ContainsKey("books1:BTCUSDT"), Timeout, "both channels are subscribed");

        const string Arg = "\"arg\":{\"instType\":\"USDT-FUTURES\",\"channel\":\"trade\",\"instId\":\"BTCUSDT\"}";
        await sim.SendToPublicAsync("{\"action\":\"snapshot\"," + Arg + ",\"data\":[{\"ts\":\"1695716760565\",\"price\":\"27000.5\",\"size\":\"0.001\",\"side\":\"buy\",\"tradeId\":\"not-a-number\"},{\"ts\":\"1695716760566\",\"price\":\"27001\",\"size\":\"0.002\",\"side\":\"sell\",\"tradeId\":\"77\"}],\"ts\":1695716761589}");
        await sim.SendToPublicAsync("{\"action\":\"snapshot\",\"arg\":{\"instType\":\"USDT-FUTURES\",\"channel\":\"books1\",\"instId\":\"BTCUSDT\"},\"data\":[{\"asks\":[[\"x\",\"1\"]],\"bids\":[[\"27000\",\"1\"]],\"checksum\":0,\"seq\":5,\"ts\":\"1695716760565\"}],\"ts\":1695716761589}");

        // The bad item is left out, the good one of the same push comes through.
        Assert.True(await next);
        Assert.Equal(new TapeTrade("BTCUSDT", 77, 27001m, 0.002m, true, DateTimeOffset.FromUnixTimeMilliseconds(1695716760566)), trades.Current);
        await Eventually.TrueAsync(() => exchange.TapeItemsSkipped == 2, Timeout, "both malformed items are counted");

        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        await Eventually.TrueAsync(() =>
        {
            sim.Engine.SetBook("BTCUSDT", last - 1m, 4m, last, 5m);
            return nextTop.IsCompleted;
        }, Timeout, "a good book top arrives after the bad one");
        Assert.True(await nextTop);
        Assert.Equal((last - 1m, 4m, last, 5m), (tops.Current.BidPrice, tops.Current.BidQuantity, tops.Current.AskPrice, tops.Current.AskQuantity));
        Assert.Equal(2, exchange.TapeItemsSkipped);
    }
}
