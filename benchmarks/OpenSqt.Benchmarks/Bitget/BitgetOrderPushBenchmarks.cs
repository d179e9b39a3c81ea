using System.Text.Json;
using BenchmarkDotNet.Attributes;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Bitget;

namespace OpenSqt.Benchmarks.Bitget;

/// <summary>Parsing one Bitget v2 <c>orders</c> push with a fill into an <see cref="Order"/> and its <see cref="Fill"/>.</summary>
[MemoryDiagnoser]
public class BitgetOrderPushBenchmarks
{
    private static readonly byte[] OrderPush = """
        {"action":"snapshot","arg":{"instType":"USDT-FUTURES","channel":"orders","instId":"default"},"data":[{"instId":"BTCUSDT","orderId":"1111465253393825792","clientOid":"grid123","side":"buy","orderType":"limit","force":"post_only","price":"27000","size":"0.004","accBaseVolume":"0.001","priceAvg":"27000","status":"partially_filled","tradeId":"1111465253431574529","baseVolume":"0.001","fillPrice":"27000","fillFee":"-0.0054","fillFeeCoin":"USDT","fillTime":"1700719887120","tradeScope":"maker","reduceOnly":"no","posMode":"one_way_mode","tradeSide":"buy_single","marginMode":"crossed","marginCoin":"USDT","cTime":"1700719887120","uTime":"1700719887120"}],"ts":1700719887121}
        """u8.ToArray();

    [Benchmark]
    public Fill? ParseOrderPushWithFill()
    {
        using var doc = JsonDocument.Parse(OrderPush);
        var item = doc.RootElement.GetProperty("data")[0];
        var order = BitgetParsers.ParseOrder(item, push: true);
        return BitgetParsers.ParsePushFill(item, order);
    }
}
