using System.Globalization;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Bitget;

public sealed partial class BitgetSimulator
{
    // Bitget's trade ids are 19-digit strings (ccxt ts/src/pro/bitget.ts parseWsTrade example "1116461060594286593").
    private long _tapeTradeId = 1_116_461_060_594_286_593;
    private long _bookSeq = 1_304_314_508_780_744_705;

    /// <summary>Sends <paramref name="text"/> as it is on every public connection (a test's malformed push).</summary>
    public async Task SendToPublicAsync(string text)
    {
        foreach (var socket in Sockets.Where(s => s.Kind == PublicKind))
        {
            await socket.SendAsync(text).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The engine's printed trades on <c>trade</c> (the taker's side: a sell when the buyer made the market; sizes in base
    /// coin) and its best bid and ask on <c>books1</c>, each push a snapshot.
    /// </summary>
    private async Task PumpTapeAsync(SimSocket socket, string channel, string symbol, CancellationToken cancellationToken)
    {
        var arg = ArgJson(channel, symbol);
        if (channel == Wire.TradeChannel)
        {
            await foreach (var trade in Engine.SubscribeTradesAsync([symbol], cancellationToken).ConfigureAwait(false))
            {
                var id = Interlocked.Increment(ref _tapeTradeId).ToString(CultureInfo.InvariantCulture);
                var ts = trade.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
                await socket.SendAsync(Push(arg, $"[{{\"ts\":\"{ts}\",\"price\":\"{D(trade.Price)}\",\"size\":\"{D(trade.Quantity)}\",\"side\":\"{(trade.BuyerIsMaker ? "sell" : "buy")}\",\"tradeId\":\"{id}\"}}]"), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await foreach (var top in Engine.SubscribeBookTopAsync([symbol], cancellationToken).ConfigureAwait(false))
        {
            var seq = Interlocked.Increment(ref _bookSeq);
            var ts = top.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            await socket.SendAsync(Push(arg, $"[{{\"asks\":[[\"{D(top.AskPrice)}\",\"{D(top.AskQuantity)}\"]],\"bids\":[[\"{D(top.BidPrice)}\",\"{D(top.BidQuantity)}\"]],\"checksum\":0,\"seq\":{seq},\"ts\":\"{ts}\"}}]"), cancellationToken).ConfigureAwait(false);
        }
    }
}
