using System.Text;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bybit;
using OpenSqt.Exchanges.Tests.Binance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Bybit;

namespace OpenSqt.Exchanges.Tests.Bybit;

/// <summary>
/// Bybit's public tape for the connector's recording: every trade with its size and taker side from
/// <c>publicTrade.{symbol}</c>, and the best bid and ask with their sizes from <c>orderbook.1.{symbol}</c>, parsed from
/// the published payload and streamed from the simulator over a real WebSocket.
/// </summary>
public sealed class BybitTapeTests
{
    private const string Folder = "bybit";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    [Vector("bybit_ws_public_trade")]
    public void ThePublishedPublicTradeParsesToTheTapeWithTheCrossSequenceForItsUuidId()
    {
        var push = Vectors.Payload(Folder, "bybit_ws_public_trade");
        var trade = BybitParsers.ParseWsPublicTrade(push.GetProperty("data")[0]);

        // "i" is the UUID 20f43950-d8dd-...: the id is the cross sequence "seq". "S":"Buy" is a buying taker.
        Assert.Equal(new TapeTrade("BTCUSDT", 1783284617, 16578.50m, 0.001m, false, DateTimeOffset.FromUnixTimeMilliseconds(1672304486865)), trade);
    }

    [Theory]
    [InlineData("\"i\":\"123456\",\"S\":\"Sell\"", 123456L, true)]
    [InlineData("\"i\":\"2b4a-uuid\",\"S\":\"Buy\"", 99L, false)]
    public void ANumericTradeIdIsKeptAndTheSellingTakerMeansTheBuyerMadeTheMarket(string fields, long id, bool buyerIsMaker)
    {
        using var doc = System.Text.Json.JsonDocument.Parse($"{{\"T\":1700000000123,\"s\":\"ETHUSDT\",{fields},\"v\":\"1.5\",\"p\":\"3000.5\",\"seq\":99}}");
        var trade = BybitParsers.ParseWsPublicTrade(doc.RootElement);
        Assert.Equal((id, buyerIsMaker, 1.5m, 3000.5m), (trade.TradeId, trade.BuyerIsMaker, trade.Quantity, trade.Price));
    }

    [Fact]
    public async Task TradesWithSizesAndAggressorAndTheLevelOneTopStreamFromTheSimulator()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        using var stop = new CancellationTokenSource(Timeout);
        await using var printed = sim.Engine.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var books = sim.Engine.SubscribeBookTopAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var trades = exchange.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var tops = exchange.SubscribeBookTopAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        var first = trades.MoveNextAsync();
        var firstTop = tops.MoveNextAsync();
        await Eventually.TrueAsync(() => exchange.MarketStream.IsConnected, Timeout, "the public stream is connected");

        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var down = last - 5m;

        // The simulator starts its pumps when it confirms the subscription: print until the first trade arrives.
        await Eventually.TrueAsync(() =>
        {
            sim.Engine.Trade("BTCUSDT", down, 0.75m);
            return first.IsCompleted;
        }, Timeout, "the first trade arrives");
        Assert.True(await first);
        var sold = trades.Current;
        Assert.Equal(("BTCUSDT", down, 0.75m, true), (sold.Symbol, sold.Price, sold.Quantity, sold.BuyerIsMaker));

        // A buying taker one tick above: its own id, later than the first, and the engine's fill time.
        var up = down + 0.1m;
        sim.Engine.Trade("BTCUSDT", up, 1.25m);
        var bought = await Eventually.NextMatchingAsync(trades, t => t.Price == up, Timeout, "the buy");
        Assert.Equal(("BTCUSDT", 1.25m, false), (bought.Symbol, bought.Quantity, bought.BuyerIsMaker));
        Assert.True(bought.TradeId > sold.TradeId, $"trade ids increase: {sold.TradeId} then {bought.TradeId}");
        var engineBuy = await Eventually.NextMatchingAsync(printed, t => t.Price == up, Timeout, "the engine's print of the buy");
        Assert.Equal(engineBuy.Timestamp.ToUnixTimeMilliseconds(), bought.Timestamp.ToUnixTimeMilliseconds());

        await Eventually.TrueAsync(() =>
        {
            sim.Engine.SetBook("BTCUSDT", down, 2.5m, up, 3.5m);
            return firstTop.IsCompleted;
        }, Timeout, "the first book top arrives");
        Assert.True(await firstTop);
        var top = tops.Current;
        Assert.Equal(("BTCUSDT", down, 2.5m, up, 3.5m), (top.Symbol, top.BidPrice, top.BidQuantity, top.AskPrice, top.AskQuantity));

        sim.Engine.SetBook("BTCUSDT", down - 0.1m, 4.25m, up, 0.5m);
        var moved = await Eventually.NextMatchingAsync(tops, t => t.BidPrice == down - 0.1m, Timeout, "the changed top");
        Assert.Equal((4.25m, up, 0.5m), (moved.BidQuantity, moved.AskPrice, moved.AskQuantity));
        Assert.True(moved.UpdateId > top.UpdateId, $"update ids increase: {top.UpdateId} then {moved.UpdateId}");
        var engineTop = await Eventually.NextMatchingAsync(books, t => t.BidPrice == down - 0.1m, Timeout, "the engine's changed top");
        Assert.Equal(engineTop.Timestamp.ToUnixTimeMilliseconds(), moved.Timestamp.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task TheThreeSecondRepushOfAnUnchangedLevelOneBookIsNotAChange()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        using var stop = new CancellationTokenSource(Timeout);
        await using var tops = exchange.SubscribeBookTopAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        var next = tops.MoveNextAsync();
        await Eventually.TrueAsync(() => exchange.MarketStream.IsConnected, Timeout, "the public stream is connected");

        // The shape of docs/v5/websocket/public/orderbook.mdx; the same "u" again is the re-push after 3 s.
        static byte[] Snapshot(long u, string bid) => Encoding.UTF8.GetBytes(
            $"{{\"topic\":\"orderbook.1.BTCUSDT\",\"ts\":1700000000100,\"type\":\"snapshot\",\"data\":{{\"s\":\"BTCUSDT\",\"b\":[[\"{bid}\",\"1.5\"]],\"a\":[[\"95000.1\",\"2\"]],\"u\":{u},\"seq\":7}},\"cts\":1700000000098}}");
        exchange.MarketStream.HandleMessage(Snapshot(41, "95000.0"));
        exchange.MarketStream.HandleMessage(Snapshot(41, "95000.0"));
        exchange.MarketStream.HandleMessage(Snapshot(42, "94999.9"));

        Assert.True(await next.AsTask().WaitAsync(Timeout));
        Assert.Equal(new BookTop("BTCUSDT", 41, 95000.0m, 1.5m, 95000.1m, 2m, DateTimeOffset.FromUnixTimeMilliseconds(1700000000098)), tops.Current);
        var after = await Eventually.NextAsync(tops, Timeout, "the next top");
        Assert.Equal((42L, 94999.9m), (after.UpdateId, after.BidPrice));
    }

    [Fact]
    public async Task AMalformedTapePushIsSkippedAndCountedWhileTheStreamGoesOn()
    {
        await using var sim = await BybitSimulator.StartAsync();
        await using var exchange = BybitConformanceTests.CreateBybit(sim);
        using var stop = new CancellationTokenSource(Timeout);
        await using var trades = exchange.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var tops = exchange.SubscribeBookTopAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        var first = trades.MoveNextAsync();
        var firstTop = tops.MoveNextAsync();
        await Eventually.TrueAsync(() => exchange.MarketStream.IsConnected, Timeout, "the public stream is connected");
        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        await Eventually.TrueAsync(() =>
        {
            sim.Engine.Trade("BTCUSDT", last, 0.5m);
            sim.Engine.SetBook("BTCUSDT", last - 0.1m, 1m, last, 1m);
            return first.IsCompleted && firstTop.IsCompleted;
        }, Timeout, "the first trade and book top arrive");
        Assert.True(await first);
        Assert.True(await firstTop);
        var skipped = exchange.Skips.Count;

        // Over the wire: a trade with a size that is no number, and a book whose bids are no list of levels.
        await sim.SendRawAsync("public", "{\"topic\":\"publicTrade.BTCUSDT\",\"type\":\"snapshot\",\"ts\":1700000000000,\"data\":[{\"T\":1700000000000,\"s\":\"BTCUSDT\",\"S\":\"Buy\",\"v\":\"lots\",\"p\":\"95000\",\"i\":\"bad\",\"seq\":1}]}");
        await sim.SendRawAsync("public", "{\"topic\":\"orderbook.1.BTCUSDT\",\"ts\":1700000000000,\"type\":\"snapshot\",\"data\":{\"s\":\"BTCUSDT\",\"b\":\"none\",\"a\":[[\"95000.1\",\"2\"]],\"u\":5,\"seq\":5}}");
        await Eventually.TrueAsync(() => exchange.Skips.Count == skipped + 2, Timeout, "both malformed pushes are skipped and counted");

        var up = last + 1m;
        sim.Engine.Trade("BTCUSDT", up, 0.25m);
        var after = await Eventually.NextMatchingAsync(trades, t => t.Price == up, Timeout, "a trade after the malformed one");
        Assert.Equal(0.25m, after.Quantity);
        sim.Engine.SetBook("BTCUSDT", up, 1m, up + 0.1m, 1m);
        var top = await Eventually.NextMatchingAsync(tops, t => t.BidPrice == up, Timeout, "a book top after the malformed one");
        Assert.Equal(up + 0.1m, top.AskPrice);
    }
}
