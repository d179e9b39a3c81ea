using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Gate;
using OpenSqt.Exchanges.Tests.Binance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Gate;

namespace OpenSqt.Exchanges.Tests.Gate;

/// <summary>
/// Gate's public tape for the connector's recording: every trade from <c>futures.trades</c> (signed contract sizes) and
/// the best bid and ask from <c>futures.book_ticker</c> (contract sizes), turned into base units with the contract's
/// <c>quanto_multiplier</c>; parsed from the published payloads and streamed from the simulator over a real WebSocket;
/// a push item that does not parse is skipped and counted while the stream goes on.
/// </summary>
public sealed class GateTapeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    [Vector("gate_ws_futures_trades_jkorf")]
    [Vector("gate_ws_futures_book_ticker_jkorf")]
    public void ThePublishedTradeAndBookTickerPayloadsParseToTheTapeInBaseUnits()
    {
        // ETH_USDT at 0.01 ETH a contract: -108.5 contracts is a taker sell of 1.085 ETH.
        var trade = Vectors.Payload("gate", "gate_ws_futures_trades_jkorf").GetProperty("result")[0];
        Assert.Equal(new TapeTrade("ETHUSDT", 27753479, 96.4m, 1.085m, true, DateTimeOffset.FromUnixTimeMilliseconds(1545136464123)), GateParsers.ParseWsTapeTrade(trade, "ETHUSDT", 0.01m));

        var top = Vectors.Payload("gate", "gate_ws_futures_book_ticker_jkorf").GetProperty("result");
        Assert.Equal(new BookTop("ETHUSDT", 2517661076, 54696.6m, 370.005m, 54696.7m, 470.612m, DateTimeOffset.FromUnixTimeMilliseconds(1615366379123)), GateParsers.ParseWsBookTicker(top, "ETHUSDT", 0.01m));
    }

    [Fact]
    public void APositiveSizeIsATakerBuyAndOlderPayloadsStillParse()
    {
        // Numbers instead of strings, and create_time_ms as ccxt shows it ("1648725035923.0").
        using var doc = JsonDocument.Parse("""{"size":3,"id":5,"create_time":1648725035,"create_time_ms":"1648725035923.0","price":"130.11","contract":"BTC_USDT"}""");
        Assert.Equal(new TapeTrade("BTCUSDT", 5, 130.11m, 0.003m, false, DateTimeOffset.FromUnixTimeMilliseconds(1648725035923)), GateParsers.ParseWsTapeTrade(doc.RootElement, "BTCUSDT", 0.001m));
        using var noSize = JsonDocument.Parse("""{"id":5,"create_time_ms":1648725035923,"price":"130.11","contract":"BTC_USDT"}""");
        Assert.Equal(ExchangeErrorKind.Internal, Assert.Throws<ExchangeException>(() => GateParsers.ParseWsTapeTrade(noSize.RootElement, "BTCUSDT", 0.001m)).Kind);
    }

    [Fact]
    public async Task TradesAndTheBookTopStreamFromTheSimulatorInBaseUnits()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var exchange = GateConformanceTests.CreateGate(sim);
        using var stop = new CancellationTokenSource(Timeout);
        await using var printed = sim.Engine.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var trades = exchange.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var tops = exchange.SubscribeBookTopAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        var first = trades.MoveNextAsync();
        var firstTop = tops.MoveNextAsync();
        // The simulator trades BTC_USDT at 0.001 BTC a contract: 0.75 BTC goes on the wire as -750 contracts.
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
        Assert.True(seller.TradeId > 27_753_479);

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
        Assert.True(top.UpdateId > 2_517_661_076);
        Assert.Equal(0, exchange.TapeItemsSkipped);
    }

    [Fact]
    public async Task AMalformedTapeItemIsSkippedAndCountedWhileTheStreamGoesOn()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var exchange = GateConformanceTests.CreateGate(sim);
        using var stop = new CancellationTokenSource(Timeout);
        await using var trades = exchange.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var tops = exchange.SubscribeBookTopAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        var next = trades.MoveNextAsync();
        var nextTop = tops.MoveNextAsync();
        await Eventually.TrueAsync(() => exchange.MarketStream.IsConnected, Timeout, "the market stream is connected");

        await sim.SendToAllAsync("""{"time":1545136464,"time_ms":1545136464123,"channel":"futures.trades","event":"update","error":null,"result":[{"size":"-1","id":10,"create_time_ms":1545136464123,"price":"not-a-price","contract":"BTC_USDT"},{"size":"-2","id":11,"create_time_ms":1545136464124,"price":"96000.5","contract":"BTC_USDT"}]}""");
        await sim.SendToAllAsync("""{"time":1615366379,"time_ms":1615366379123,"channel":"futures.book_ticker","event":"update","error":null,"result":{"t":1615366379123,"u":"x","s":"BTC_USDT","b":"96000","B":"1","a":"96000.1","A":"1"}}""");

        // The bad item is left out, the good one of the same push comes through (2 contracts of 0.001 BTC).
        Assert.True(await next);
        Assert.Equal(new TapeTrade("BTCUSDT", 11, 96000.5m, 0.002m, true, DateTimeOffset.FromUnixTimeMilliseconds(1545136464124)), trades.Current);
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
