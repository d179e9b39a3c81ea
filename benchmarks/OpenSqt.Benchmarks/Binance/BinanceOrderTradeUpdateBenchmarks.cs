using BenchmarkDotNet.Attributes;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Binance;

namespace OpenSqt.Benchmarks.Binance;

/// <summary>
/// Parsing one Binance ORDER_TRADE_UPDATE (the partial-fill payload from the Binance docs, as the user stream receives
/// it) into an <see cref="OrderUpdate"/> with its <see cref="Fill"/>. Target: at most 2 us and a handful of allocations.
/// </summary>
[MemoryDiagnoser]
public class BinanceOrderTradeUpdateBenchmarks
{
    private static readonly byte[] PartialFill = """
        {"e":"ORDER_TRADE_UPDATE","T":1568879465651,"E":1568879465651,"o":{"s":"BTCUSDT","c":"TEST","S":"BUY","o":"LIMIT","f":"GTC","q":"0.002","p":"7100.50","ap":"7100.50","sp":"0","x":"TRADE","X":"PARTIALLY_FILLED","i":8886774,"l":"0.001","z":"0.001","L":"7100.50","N":"USDT","n":"0.01000000","T":1568879465651,"t":12345678,"b":"0","a":"0","m":true,"R":false,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"LONG","cp":false,"AP":"0","cr":"0","pP":false,"si":0,"ss":0,"rp":"12.34","V":"EXPIRE_TAKER"}}
        """u8.ToArray();

    private static readonly byte[] New = """
        {"e":"ORDER_TRADE_UPDATE","T":1568879465651,"E":1568879465651,"o":{"s":"BTCUSDT","c":"TEST","S":"BUY","o":"LIMIT","f":"GTX","q":"0.002","p":"7100.50","ap":"0","sp":"0","x":"NEW","X":"NEW","i":8886774,"l":"0","z":"0","L":"0","N":"USDT","n":"0","T":1568879465651,"t":0,"b":"0","a":"0","m":false,"R":false,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"BOTH","cp":false,"AP":"0","cr":"0","pP":false,"si":0,"ss":0,"rp":"0","V":"NONE"}}
        """u8.ToArray();

    [Benchmark(Baseline = true)]
    public OrderUpdate ParsePartialFill() => BinanceParsers.ParseOrderTradeUpdate(PartialFill);

    [Benchmark]
    public OrderUpdate ParseNew() => BinanceParsers.ParseOrderTradeUpdate(New);

    /// <summary>What the user stream does per message: find the event type, then parse.</summary>
    [Benchmark]
    public OrderUpdate? PeekAndParsePartialFill() =>
        BinanceParsers.PeekUserEventType(PartialFill) == BinanceUserEventType.OrderTradeUpdate
            ? BinanceParsers.ParseOrderTradeUpdate(PartialFill)
            : null;
}
