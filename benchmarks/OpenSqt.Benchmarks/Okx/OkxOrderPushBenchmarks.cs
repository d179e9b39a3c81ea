using System.Text.Json;
using BenchmarkDotNet.Attributes;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Okx;

namespace OpenSqt.Benchmarks.Okx;

/// <summary>Parsing one OKX <c>orders</c> push with a fill (the docs' SWAP shape) into an <see cref="OrderUpdate"/>, sizes converted with ctVal.</summary>
[MemoryDiagnoser]
public class OkxOrderPushBenchmarks
{
    private static readonly byte[] Push = """
        {"arg":{"channel":"orders","instType":"SWAP"},"data":[{"accFillSz":"0.03","avgPx":"103698.9","cTime":"1746947317401","cancelSource":"","category":"normal","ccy":"USDT","clOrdId":"001BTCUSDT20250106001","execType":"M","fee":"-0.021776769","feeCcy":"USDT","fillFee":"-0.021776769","fillFeeCcy":"USDT","fillPx":"103698.9","fillSz":"0.03","fillTime":"1746947317402","instId":"BTC-USDT-SWAP","instType":"SWAP","lever":"2.0","ordId":"2497956918703120384","ordType":"limit","pnl":"0","posSide":"net","px":"103698.9","reduceOnly":"false","side":"buy","state":"filled","sz":"0.03","tag":"","tdMode":"cross","tradeId":"1518905529","uTime":"1746947317402"}]}
        """u8.ToArray();

    [Benchmark]
    public OrderUpdate ParseFilledPush()
    {
        using var doc = JsonDocument.Parse(Push);
        return OkxParsers.ParseOrderPush(doc.RootElement.GetProperty("data")[0], 0.01m);
    }
}
