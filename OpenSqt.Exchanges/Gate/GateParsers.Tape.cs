using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

internal static partial class GateParsers
{
    /// <summary>
    /// One item of <c>futures.trades</c> as a tape trade: <c>id</c>, <c>price</c>, <c>size</c> in contracts signed by the
    /// taker's side ("Positive size means taker is buyer, negative seller"; "size int", "create_time_ms int": Gate's
    /// futures WebSocket page, Trades notification, stored copy rosssaunders/coincise@a00ae58
    /// docs/gateio/futures_websocket_api.md), and <c>create_time_ms</c>, else <c>create_time</c> (seconds). Newer
    /// payloads write the size as a decimal string ("-108.5": JKorf/GateIo.Net's futures trade push test) and ccxt shows a
    /// millisecond time as "1648725035923.0" (ts/src/pro/gate.ts); both are read. The size is turned into base units
    /// with the contract's <c>quanto_multiplier</c> (<paramref name="multiplier"/>), as every Gate size this connector reads.
    /// </summary>
    public static TapeTrade ParseWsTapeTrade(JsonElement e, string symbol, decimal multiplier)
    {
        var id = e.GetInt64("id");
        var price = e.GetDecimal("price");
        var size = e.GetDecimal("size");
        if (id <= 0 || price <= 0 || size == 0)
        {
            throw new ExchangeException(ExchangeErrorKind.Internal, $"gate trade lacks an id, a positive price or a size: {e.GetRawText()}");
        }

        var ms = decimal.ToInt64(decimal.Truncate(e.GetDecimal("create_time_ms")));
        var time = ms > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.FromUnixTimeSeconds(e.GetInt64("create_time"));
        return new TapeTrade(symbol, id, price, ContractSize.ToBase(Math.Abs(size), multiplier), size < 0, time);
    }

    /// <summary>
    /// The <c>futures.book_ticker</c> result (one object, not a list) as the top of the book: <c>u</c> the order book
    /// update id, <c>t</c> ms, <c>b</c>/<c>B</c> best bid and its size, <c>a</c>/<c>A</c> best ask and its size, sizes in
    /// contracts turned into base units; "If no bids, it's empty string" (price) and the size 0 (Gate's futures
    /// WebSocket page, Best ask/bid notification, same stored copy; sizes as strings in JKorf/GateIo.Net's
    /// SubscribeToBookTickerUpdates test). Null while one side is empty.
    /// </summary>
    public static BookTop? ParseWsBookTicker(JsonElement e, string symbol, decimal multiplier)
    {
        var bid = e.GetDecimal("b");
        var ask = e.GetDecimal("a");
        if (bid <= 0 || ask <= 0)
        {
            return null;
        }

        var time = e.GetInt64("t");
        var update = e.GetInt64("u");
        if (time <= 0 || update <= 0)
        {
            throw new ExchangeException(ExchangeErrorKind.Internal, $"gate book ticker lacks its time or update id: {e.GetRawText()}");
        }

        return new BookTop(symbol, update, bid, ContractSize.ToBase(e.GetDecimal("B"), multiplier), ask, ContractSize.ToBase(e.GetDecimal("A"), multiplier), DateTimeOffset.FromUnixTimeMilliseconds(time));
    }
}
