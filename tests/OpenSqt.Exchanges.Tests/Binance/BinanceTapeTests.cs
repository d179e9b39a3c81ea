using OpenSqt.Contracts;
using OpenSqt.Exchanges.Binance;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Binance;

namespace OpenSqt.Exchanges.Tests.Binance;

/// <summary>
/// Binance's public tape for the connector's recording: every aggregate trade with its size and aggressor from
/// <c>&lt;symbol&gt;@aggTrade</c> on <c>/market</c>, and the best bid and ask from <c>&lt;symbol&gt;@bookTicker</c> on
/// <c>/public</c>, parsed from the published payloads and streamed from the simulator over a real WebSocket.
/// </summary>
public sealed class BinanceTapeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public void ThePublishedAggTradeAndBookTickerPayloadsParseToTheTape()
    {
        var trade = BinanceParsers.ParseWsAggTape(Vectors.Payload("binance", "binance_usdm_ws_agg_trade"));
        Assert.Equal(new TapeTrade("BNBUSDT", 5933014, 0.001m, 100m, true, DateTimeOffset.FromUnixTimeMilliseconds(123456785)), trade);

        var top = BinanceParsers.ParseWsBookTicker(Vectors.Payload("binance", "binance_usdm_ws_book_ticker"));
        Assert.Equal(new BookTop("BNBUSDT", 400900217, 25.35190000m, 31.21000000m, 25.36520000m, 40.66000000m, DateTimeOffset.FromUnixTimeMilliseconds(1568014460891)), top);
    }

    [Fact]
    public async Task TradesWithTheirSizesComeOnTheMarketRouteAndTheBookTopOnThePublicRoute()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        using var stop = new CancellationTokenSource(Timeout);
        await using var trades = exchange.SubscribeTradesAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        await using var tops = exchange.SubscribeBookTopAsync(["BTCUSDT"], stop.Token).GetAsyncEnumerator(stop.Token);
        var first = trades.MoveNextAsync();
        var firstTop = tops.MoveNextAsync();
        await Eventually.TrueAsync(() => exchange.MarketStream.IsConnected && exchange.PublicStream.IsConnected, Timeout, "both routes are connected");

        var last = await sim.Engine.GetLatestPriceAsync("BTCUSDT");
        var down = last - 5m;

        // The simulator subscribes its pumps when the venue confirms the subscription: print until the first arrives.
        await Eventually.TrueAsync(() =>
        {
            sim.Engine.Trade("BTCUSDT", down, 0.75m);
            return first.IsCompleted;
        }, Timeout, "the first trade arrives");
        Assert.True(await first);
        Assert.Equal(("BTCUSDT", down, 0.75m, true), (trades.Current.Symbol, trades.Current.Price, trades.Current.Quantity, trades.Current.BuyerIsMaker));

        await Eventually.TrueAsync(() =>
        {
            sim.Engine.SetBook("BTCUSDT", down, 2.5m, down + 0.1m, 3.5m);
            return firstTop.IsCompleted;
        }, Timeout, "the first book top arrives");
        Assert.True(await firstTop);
        Assert.Equal(("BTCUSDT", down, 2.5m, down + 0.1m, 3.5m), (tops.Current.Symbol, tops.Current.BidPrice, tops.Current.BidQuantity, tops.Current.AskPrice, tops.Current.AskQuantity));
    }
}
