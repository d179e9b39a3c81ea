using OpenSqt.Contracts;
using OpenSqt.Exchanges.Okx;
using OpenSqt.Exchanges.Tests.Binance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Okx;

namespace OpenSqt.Exchanges.Tests.Okx;

/// <summary>
/// OKX's public tape for the connector's recording: every trade with its size and taker side from the <c>trades</c>
/// channel, and the best bid and ask with their sizes from <c>bbo-tbt</c>, sizes converted from contracts to base units
/// with the instrument's <c>ctVal</c>; parsed from the published payloads and streamed from the simulator over a real
/// WebSocket.
/// </summary>
public sealed class OkxTapeTests
{
    private const string Folder = "okx";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    [Vector("okx_ws_trades")]
    [Vector("okx_ws_bbo_tbt")]
    public void ThePublishedTradesAndBboTbtPayloadsParseToTheTapeInBaseUnits()
    {
        var trade = Vectors.Payload(Folder, "okx_ws_trades").GetProperty("data")[0];
        Assert.Equal(new TapeTrade("BTCUSD", 130639474, 42219.9m, 0.12060306m, false, DateTimeOffset.FromUnixTimeMilliseconds(1630048897897)), OkxParsers.ParseWsTrade(trade, 1m));
        Assert.Equal(0.0012060306m, OkxParsers.ParseWsTrade(trade, 0.01m).Quantity);

        // 256 and 415 contracts of 0.01 BTC each.
        var top = OkxParsers.ParseWsBboTbt("BTC-USDT", Vectors.Payload(Folder, "okx_ws_bbo_tbt").GetProperty("data")[0], 0.01m);
        Assert.Equal(new BookTop("BTCUSDT", 123456, 8476.97m, 2.56m, 8476.98m, 4.15m, DateTimeOffset.FromUnixTimeMilliseconds(1597026383085)), top);
    }

    [Fact]
    public async Task TradesAndTheBestBidAndAskStreamFromTheSimulatorInBaseUnits()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var contractValue = sim.ContractValue(await sim.Engine.GetSymbolInfoAsync("BTCUSDT"));
        Assert.NotEqual(1m, contractValue);
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

        var up = down + 0.1m;
        sim.Engine.Trade("BTCUSDT", up, 1.25m);
        var bought = await Eventually.NextMatchingAsync(trades, t => t.Price == up, Timeout, "the buy");
        var engineBuy = await Eventually.NextMatchingAsync(printed, t => t.Price == up, Timeout, "the engine's print of the buy");
        Assert.Equal(("BTCUSDT", 1.25m, false), (bought.Symbol, bought.Quantity, bought.BuyerIsMaker));
        Assert.Equal(engineBuy.TradeId, bought.TradeId);
        Assert.True(bought.TradeId > sold.TradeId, $"trade ids increase: {sold.TradeId} then {bought.TradeId}");
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
        var engineTop = await Eventually.NextMatchingAsync(books, t => t.BidPrice == down - 0.1m, Timeout, "the engine's changed top");
        Assert.Equal((4.25m, up, 0.5m), (moved.BidQuantity, moved.AskPrice, moved.AskQuantity));
        Assert.True(moved.UpdateId > top.UpdateId, $"sequence ids increase: {top.UpdateId} then {moved.UpdateId}");
        Assert.Equal(engineTop.Timestamp.ToUnixTimeMilliseconds(), moved.Timestamp.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task AMalformedTapePushIsSkippedAndCountedWhileTheStreamGoesOn()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
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
        Assert.Equal(0, exchange.TapeItemsSkipped);

        // Over the wire: a trade whose price is no number, and a best bid and ask whose asks are no list of levels.
        await sim.SendRawAsync("public", "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT-SWAP\"},\"data\":[{\"instId\":\"BTC-USDT-SWAP\",\"tradeId\":\"7\",\"px\":\"oops\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1700000000000\",\"count\":\"1\"}]}");
        await sim.SendRawAsync("public", "{\"arg\":{\"channel\":\"bbo-tbt\",\"instId\":\"BTC-USDT-SWAP\"},\"data\":[{\"asks\":\"none\",\"bids\":[[\"95000\",\"1\",\"0\",\"1\"]],\"ts\":\"1700000000000\",\"seqId\":3}]}");
        await Eventually.TrueAsync(() => exchange.TapeItemsSkipped == 2, Timeout, "both malformed pushes are skipped and counted");

        var up = last + 1m;
        sim.Engine.Trade("BTCUSDT", up, 0.25m);
        var after = await Eventually.NextMatchingAsync(trades, t => t.Price == up, Timeout, "a trade after the malformed one");
        Assert.Equal(0.25m, after.Quantity);
        sim.Engine.SetBook("BTCUSDT", up, 1m, up + 0.1m, 1m);
        var top = await Eventually.NextMatchingAsync(tops, t => t.BidPrice == up, Timeout, "a book top after the malformed one");
        Assert.Equal(up + 0.1m, top.AskPrice);
    }
}
