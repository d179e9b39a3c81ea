using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Gate;

public sealed partial class GateSimulator
{
    private long _tapeTradeId = 27_753_479;
    private long _bookUpdateId = 2_517_661_076;

    /// <summary>Sends <paramref name="text"/> as it is on every futures connection (a test's malformed push).</summary>
    public async Task SendToAllAsync(string text)
    {
        foreach (var socket in Sockets.Where(s => s.Kind == SocketKind))
        {
            await socket.SendAsync(text).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The engine's printed trades on <c>futures.trades</c> (a list of <c>{size, id, create_time, create_time_ms, price,
    /// contract}</c>, the size a number of contracts of <c>quanto_multiplier</c>: "Positive size means taker is buyer,
    /// negative seller") and its best bid and ask on <c>futures.book_ticker</c> (one object <c>{t, u, s, b, B, a, A}</c>,
    /// <c>B</c>/<c>A</c> numbers of contracts), as Gate's futures WebSocket page documents them (Trades notification,
    /// Best ask/bid notification; stored copy rosssaunders/coincise@a00ae58 docs/gateio/futures_websocket_api.md).
    /// </summary>
    private async Task PumpTapeAsync(SimSocket socket, string channel, string contract, CancellationToken cancellationToken)
    {
        var symbol = SymbolOf(contract);
        var multiplier = (await Engine.GetSymbolInfoAsync(symbol, cancellationToken).ConfigureAwait(false)).StepSize;
        if (channel == TradesChannel)
        {
            await foreach (var trade in Engine.SubscribeTradesAsync([symbol], cancellationToken).ConfigureAwait(false))
            {
                var id = Interlocked.Increment(ref _tapeTradeId);
                var size = (trade.BuyerIsMaker ? -1m : 1m) * trade.Quantity / multiplier;
                await socket.SendAsync(Envelope(channel, "update",
                    $"[{{\"size\":{D(size)},\"id\":{id},\"create_time\":{trade.Timestamp.ToUnixTimeSeconds()},\"create_time_ms\":{trade.Timestamp.ToUnixTimeMilliseconds()},\"price\":\"{D(trade.Price)}\",\"contract\":\"{contract}\"}}]"), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await foreach (var top in Engine.SubscribeBookTopAsync([symbol], cancellationToken).ConfigureAwait(false))
        {
            var update = Interlocked.Increment(ref _bookUpdateId);
            await socket.SendAsync(Envelope(channel, "update",
                $"{{\"t\":{top.Timestamp.ToUnixTimeMilliseconds()},\"u\":{update},\"s\":\"{contract}\",\"b\":\"{D(top.BidPrice)}\",\"B\":{D(top.BidQuantity / multiplier)},\"a\":\"{D(top.AskPrice)}\",\"A\":{D(top.AskQuantity / multiplier)}}}"), cancellationToken).ConfigureAwait(false);
        }
    }
}
