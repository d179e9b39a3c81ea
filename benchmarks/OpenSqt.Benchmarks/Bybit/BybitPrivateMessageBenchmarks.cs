using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using OpenSqt.Exchanges;
using OpenSqt.Exchanges.Bybit;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Benchmarks.Bybit;

/// <summary>
/// What the Bybit private stream does per message: parse one <c>execution</c> and one <c>order</c> event (the shapes
/// of the Bybit docs) and merge the fill into the order update. Each iteration uses fresh ids, so the dedupe keeps
/// nothing from an earlier iteration.
/// </summary>
[MemoryDiagnoser]
public class BybitPrivateMessageBenchmarks
{
    private BybitUserStream _stream = null!;
    private long _id;

    [GlobalSetup]
    public void Setup() =>
        _stream = new BybitUserStream(new BybitOptions { RestBaseUrl = "http://127.0.0.1:9", WsBaseUrl = "ws://127.0.0.1:9" }, new VenueCredentials("k", "s", null),
            new ServerClock(TimeProvider.System), TimeProvider.System, NullLogger.Instance, new VenueMetrics());

    [GlobalCleanup]
    public void Cleanup() => _stream.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public void ExecutionThenOrder()
    {
        var id = (++_id).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _stream.HandleMessage(System.Text.Encoding.UTF8.GetBytes($$"""{"topic":"execution","id":"x","creationTime":1746270400355,"data":[{"category":"linear","symbol":"BTCUSDT","closedSize":"0","execFee":"0.0263","execId":"e{{id}}","execPrice":"95900.1","execQty":"0.001","execType":"Trade","execValue":"95.9001","feeRate":"0.00055","leavesQty":"0.001","orderId":"o{{id}}","orderLinkId":"c{{id}}","orderPrice":"95900.1","orderQty":"0.002","orderType":"Limit","side":"Buy","execTime":"1746270400353","isMaker":true,"seq":1,"execPnl":"0","feeCurrency":"USDT"}]}"""));
        _stream.HandleMessage(System.Text.Encoding.UTF8.GetBytes($$"""{"topic":"order","id":"y","creationTime":1746270400355,"data":[{"category":"linear","symbol":"BTCUSDT","orderId":"o{{id}}","orderLinkId":"c{{id}}","side":"Buy","orderType":"Limit","price":"95900.1","qty":"0.002","timeInForce":"GTC","orderStatus":"PartiallyFilled","cumExecQty":"0.001","cumExecValue":"95.9001","avgPrice":"95900.1","leavesQty":"0.001","reduceOnly":false,"createdTime":"1746270400350","updatedTime":"1746270400355","rejectReason":"EC_NoError","positionIdx":0}]}"""));
    }
}
