using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

internal static partial class GateParsers
{
    /// <summary>
    /// One item of <c>futures.trades</c> as a tape trade: <c>id</c> (a number), <c>price</c>, <c>size</c> in contracts,
    /// signed by the taker's side ("Trade quantity, negative means sell, positive is buy": JKorf/GateIo.Net
    /// Objects/Models/GateIoPerpTradeUpdate.cs; a string such as "-108.5" in its futures trade push test, a number in
    /// older payloads), and <c>create_time_ms</c> (ms; ccxt ts/src/pro/gate.ts shows it also as a string
    /// "1648725035923.0"), else <c>create_time</c> (seconds). The size is turned into base units with the contract's
    /// <c>quanto_multiplier</c> (<paramref name="multiplier"/>), as every Gate size this connector reads.
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
    /// contracts turned into base units (JKorf/GateIo.Net Objects/Models/GateIoPerpBookTickerUpdate.cs and its
    /// SubscribeToBookTickerUpdates test; ccxt ts/src/pro/gate.ts handleTicker "book_ticker"). Null while one side is
    /// empty (no price).
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
