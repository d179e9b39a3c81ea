using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

internal static partial class BitgetParsers
{
    /// <summary>
    /// One item of the public <c>trade</c> channel as a tape trade: <c>tradeId</c>, <c>price</c>, <c>size</c> (base coin on
    /// USDT-FUTURES, as every Bitget v2 mix size), <c>side</c> and <c>ts</c> (ms, a string)
    /// (https://www.bitget.com/api-doc/contract/websocket/public/New-Trades-Channel: "side: Filled side, sell/buy",
    /// "tradeId String"; stored copy sebastianganser/Bitget_API contract/websocket/public/New-Trades-Channel.md;
    /// JKorf/Bitget.Net Objects/Models/V2/BitgetTradeUpdate.cs; ccxt ts/src/pro/bitget.ts parseWsTrade). The channel is
    /// "the public trade data(taker orders)" (same page), so <c>side</c> is the taker's side: a sell means the buyer made
    /// the market. Bitget gives the trade id as a string of digits (ccxt's example "1116461060594286593",
    /// within a long); an id that is not a number is malformed.
    /// </summary>
    public static TapeTrade ParseWsTapeTrade(JsonElement e, string instId)
    {
        var id = e.GetRequiredString("tradeId");
        if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var tradeId))
        {
            throw new ExchangeException(ExchangeErrorKind.Internal, $"bitget trade id '{id}' is not a number");
        }

        var buyerIsMaker = e.GetRequiredString("side") switch
        {
            "buy" => false,
            "sell" => true,
            var other => throw new ExchangeException(ExchangeErrorKind.Internal, $"bitget trade side '{other}' is neither buy nor sell"),
        };
        return new TapeTrade(instId, tradeId, Positive(e, "price"), Positive(e, "size"), buyerIsMaker, DateTimeOffset.FromUnixTimeMilliseconds(RequiredTime(e, "ts")));
    }

    /// <summary>
    /// One item of <c>books1</c> (or the first level of <c>books5</c>/<c>books15</c>, the same shape) as the top of the
    /// book: <c>bids</c>/<c>asks</c> of <c>[price, size]</c> in base coin, <c>ts</c> "Match engine timestamp(ms)"; the
    /// update id is <c>seq</c>, "Serial number. It increases when the order book is updated", when Bitget sends it, else
    /// the <c>ts</c> ("books1: 1st level of depth. Push snapshot each time":
    /// https://www.bitget.com/api-doc/contract/websocket/public/Order-Book-Channel, stored copy
    /// sebastianganser/Bitget_API contract/websocket/public/Order-Book-Channel.md; the ccxt example of
    /// reference/venues/vectors/bitget/bitget_ws_books5_spot_ccxt.json has no seq). Null while one side is empty.
    /// </summary>
    public static BookTop? ParseWsBookTop(JsonElement e, string instId)
    {
        if (!e.TryGetProperty("bids", out var bids) || !e.TryGetProperty("asks", out var asks) || bids.ValueKind != JsonValueKind.Array || asks.ValueKind != JsonValueKind.Array)
        {
            throw new ExchangeException(ExchangeErrorKind.Internal, "bitget book push lacks 'bids' or 'asks'");
        }

        if (bids.GetArrayLength() == 0 || asks.GetArrayLength() == 0)
        {
            return null;
        }

        var time = RequiredTime(e, "ts");
        var seq = e.GetInt64("seq");
        var (bid, bidSize) = Level(bids[0], "bids");
        var (ask, askSize) = Level(asks[0], "asks");
        return new BookTop(instId, seq > 0 ? seq : time, bid, bidSize, ask, askSize, DateTimeOffset.FromUnixTimeMilliseconds(time));
    }

    private static (decimal Price, decimal Size) Level(JsonElement level, string side)
    {
        if (level.ValueKind != JsonValueKind.Array || level.GetArrayLength() < 2)
        {
            throw new ExchangeException(ExchangeErrorKind.Internal, $"bitget book level of '{side}' is not [price, size]: {level.GetRawText()}");
        }

        var price = VenueJson.ToDecimal(level[0], side);
        return price > 0 ? (price, VenueJson.ToDecimal(level[1], side)) : throw new ExchangeException(ExchangeErrorKind.Internal, $"bitget book level of '{side}' has no price: {level.GetRawText()}");
    }

    private static decimal Positive(JsonElement e, string field)
    {
        var value = e.GetDecimal(field);
        return value > 0 ? value : throw new ExchangeException(ExchangeErrorKind.Internal, $"bitget trade lacks a positive '{field}'");
    }

    private static long RequiredTime(JsonElement e, string field)
    {
        var ms = e.GetInt64(field);
        return ms > 0 ? ms : throw new ExchangeException(ExchangeErrorKind.Internal, $"bitget push lacks its time '{field}'");
    }
}
