using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// The public tape's pushes: the <c>trades</c> channel
/// (https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-trades-channel, also cited by ccxt's okx watchTrades)
/// and <c>bbo-tbt</c> (https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel).
/// Sizes of a SWAP are contracts on the wire and base units here (times <c>ctVal</c>).
/// </summary>
internal static partial class OkxParsers
{
    /// <summary>
    /// One item of the <c>trades</c> channel as a tape trade: <c>instId</c>, <c>tradeId</c> ("The last trade ID in the
    /// trades aggregation": one push per taker order and price, <c>count</c> trades), <c>px</c>, <c>sz</c> ("For
    /// FUTURES/SWAP/OPTION, the unit is contract"), <c>side</c> ("Trade side of taker": <c>sell</c> means the buyer
    /// made the market), <c>ts</c> the fill time in ms (the trades-channel page;
    /// reference/venues/vectors/okx/okx_ws_trades.json from NautilusTrader's OKX test data). OKX sends the trade id as a
    /// string of digits; one that is not a number is malformed.
    /// </summary>
    public static TapeTrade ParseWsTrade(JsonElement item, decimal contractSize)
    {
        var id = item.GetRequiredString("tradeId");
        var tradeId = long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric)
            ? numeric
            : throw new ExchangeException(ExchangeErrorKind.Internal, $"okx trade id '{id}' is not a number");
        var buyerIsMaker = item.GetRequiredString("side") switch
        {
            "sell" => true,
            "buy" => false,
            var side => throw new OkxUnknownValueException("side", side),
        };
        var time = item.GetInt64("ts") is > 0 and var ms ? ms : throw new ExchangeException(ExchangeErrorKind.Internal, "okx trade has no fill time 'ts'");
        return new TapeTrade(Symbols.FromVenue(item.GetRequiredString("instId")), tradeId, item.GetPositiveDecimal("px"), item.GetPositiveDecimal("sz") * contractSize, buyerIsMaker, DateTimeOffset.FromUnixTimeMilliseconds(time));
    }

    /// <summary>
    /// One item of the <c>bbo-tbt</c> channel of <paramref name="instId"/> as the top of the book: <c>asks[0]</c> and
    /// <c>bids[0]</c> are [price, size in contracts, "0" (deprecated), order count], <c>seqId</c> the sequence, and
    /// <c>ts</c> "the timestamp when the push is triggered" (the order-book-channel page: "bbo-tbt: 1 depth level
    /// snapshot will be pushed in the initial push. Snapshot data will be pushed every 10 ms when there are changes";
    /// reference/venues/vectors/okx/okx_ws_bbo_tbt.json from NautilusTrader's OKX test data). Null when a side is
    /// empty: there is no top to record.
    /// </summary>
    public static BookTop? ParseWsBboTbt(string instId, JsonElement item, decimal contractSize)
    {
        var asks = item.GetProperty("asks");
        var bids = item.GetProperty("bids");
        if (asks.GetArrayLength() == 0 || bids.GetArrayLength() == 0)
        {
            return null;
        }

        return new BookTop(
            Symbols.FromVenue(instId),
            item.GetInt64("seqId"),
            VenueJson.ToDecimal(bids[0][0], "bids"),
            VenueJson.ToDecimal(bids[0][1], "bids") * contractSize,
            VenueJson.ToDecimal(asks[0][0], "asks"),
            VenueJson.ToDecimal(asks[0][1], "asks") * contractSize,
            Time(item, "ts"));
    }
}
