using System.Text.Json;
using BenchmarkDotNet.Attributes;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Gate;

namespace OpenSqt.Benchmarks.Gate;

/// <summary>
/// Parsing one Gate <c>futures.orders</c> push (the documented shape: numbers as JSON numbers, seconds and
/// milliseconds) into an <see cref="Order"/> in base units, and one <c>futures.usertrades</c> item.
/// </summary>
[MemoryDiagnoser]
public class GateOrderPushBenchmarks
{
    private static readonly byte[] OrderPush = """
        {"time":1628736848,"time_ms":1628736848321,"channel":"futures.orders","event":"update","error":null,"result":[{"contract":"BTC_USDT","create_time":1628736847,"create_time_ms":1628736847325,"fill_price":40000.4,"finish_as":"_update","finish_time":1628736848,"finish_time_ms":1628736848321,"iceberg":0,"id":4872460,"is_close":false,"is_liq":false,"is_reduce_only":false,"left":3,"mkfr":-0.00025,"price":40000.4,"refr":0,"refu":0,"size":5,"status":"open","text":"t-grid123","tif":"gtc","tkfr":0.0005,"user":"110xxxxx"}]}
        """u8.ToArray();

    private static readonly byte[] TradePush = """
        {"time":1543205083,"channel":"futures.usertrades","event":"update","error":null,"result":[{"id":"3335259","create_time":1628736848,"create_time_ms":1628736848321,"contract":"BTC_USDT","order_id":"4872460","size":2,"price":"40000.4","role":"maker","fee":"0.0024"}]}
        """u8.ToArray();

    [Benchmark(Baseline = true)]
    public Order ParseOrderPush()
    {
        using var doc = JsonDocument.Parse(OrderPush);
        return GateParsers.ParseOrder(doc.RootElement.GetProperty("result")[0], 0.0001m);
    }

    /// <summary>Answers the parsed trade as object: its record is internal to the connector (a reference, so nothing is boxed).</summary>
    [Benchmark]
    public object ParseTradePush()
    {
        using var doc = JsonDocument.Parse(TradePush);
        return GateParsers.ParseUserTrade(doc.RootElement.GetProperty("result")[0]);
    }
}
