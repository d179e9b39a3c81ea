using System.Globalization;
using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Bitget;

public sealed partial class BitgetSimulator
{
    // How many trades the opening snapshot of the trade channel holds is not documented (R); 50 here.
    private const int TradeHistoryLength = 50;

    // Bitget's trade ids are 19-digit strings (ccxt ts/src/pro/bitget.ts parseWsTrade example "1116461060594286593"); here
    // a base plus the engine's own print number, so every connection sees one id per trade.
    private const long TradeIdBase = 1_116_461_060_594_286_593;
    private readonly Lock _historyGate = new();
    private readonly Dictionary<string, Queue<string>> _tradeHistory = new(StringComparer.Ordinal);
    private long _bookSeq = 1_304_314_508_780_744_705;

    /// <summary>Sends <paramref name="text"/> as it is on every public connection (a test's malformed push).</summary>
    public async Task SendToPublicAsync(string text)
    {
        foreach (var socket in Sockets.Where(s => s.Kind == PublicKind))
        {
            await socket.SendAsync(text).ConfigureAwait(false);
        }
    }

    /// <summary>One trade as an item of the <c>trade</c> channel: <c>{ts, price, size, side, tradeId}</c>, the taker's side.</summary>
    private static string TradeItem(TapeTrade trade) =>
        $"{{\"ts\":\"{trade.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)}\",\"price\":\"{D(trade.Price)}\",\"size\":\"{D(trade.Quantity)}\",\"side\":\"{(trade.BuyerIsMaker ? "sell" : "buy")}\",\"tradeId\":\"{(TradeIdBase + trade.TradeId).ToString(CultureInfo.InvariantCulture)}\"}}";

    /// <summary>Keeps the last trades of each contract for the trade channel's opening snapshot.</summary>
    private async Task PumpTradeHistoryAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var trade in Engine.SubscribeTradesAsync([.. KnownSymbols], cancellationToken).ConfigureAwait(false))
            {
                lock (_historyGate)
                {
                    if (!_tradeHistory.TryGetValue(trade.Symbol, out var history))
                    {
                        _tradeHistory[trade.Symbol] = history = new Queue<string>();
                    }

                    history.Enqueue(TradeItem(trade));
                    if (history.Count > TradeHistoryLength)
                    {
                        history.Dequeue();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// The engine's printed trades on <c>trade</c>: a subscription opens with a <c>snapshot</c> of the latest trades,
    /// newest first (the order of the channel page's push example; "bitget's trade channel opens with an
    /// action: "snapshot" history batch": ccxt/ccxt#26794), then every new trade as an <c>update</c>; sizes in base coin,
    /// the taker's side. The best bid and ask go on <c>books1</c>, each push a snapshot with a rising <c>seq</c>.
    /// </summary>
    private async Task PumpTapeAsync(SimSocket socket, string channel, string symbol, CancellationToken cancellationToken)
    {
        var arg = ArgJson(channel, symbol);
        if (channel == Wire.TradeChannel)
        {
            // Subscribed before the snapshot is taken: a trade printed in between is in both, as it can be at Bitget.
            var live = Engine.SubscribeTradesAsync([symbol], cancellationToken);
            string[] snapshot;
            lock (_historyGate)
            {
                snapshot = _tradeHistory.TryGetValue(symbol, out var history) ? [.. history.Reverse()] : [];
            }

            if (snapshot.Length > 0)
            {
                await socket.SendAsync(Push(arg, "[" + string.Join(',', snapshot) + "]"), cancellationToken).ConfigureAwait(false);
            }

            await foreach (var trade in live.ConfigureAwait(false))
            {
                await socket.SendAsync(Push(arg, "[" + TradeItem(trade) + "]", "update"), cancellationToken).ConfigureAwait(false);
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
