using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// Bitget's public tape for the recording (<see cref="IMarketTape"/>): every trade from the <c>trade</c> channel and the
/// best bid and ask from <c>books1</c>, on the public market stream next to <c>ticker</c> and the candles. Sizes are base
/// coin as Bitget sends them. A push item that does not parse is logged, counted in <see cref="VenueExchange{TOptions, TRest}.TapeItemsSkipped"/>
/// (and as an <see cref="ExchangeErrorKind.Internal"/> error of the operation <c>tape</c>) and left out; the stream goes on.
/// </summary>
internal sealed partial class BitgetExchange : IMarketTape
{
    /// <summary>
    /// Every trade of <paramref name="symbols"/> (<c>trade</c>, "Get the public trade data(taker orders)":
    /// https://www.bitget.com/api-doc/contract/websocket/public/New-Trades-Channel). Each subscription opens with a
    /// snapshot of recent trades ("bitget's trade channel opens with an action: "snapshot" history batch": ccxt/ccxt#26794),
    /// so one sent again after a reconnect is dropped by its trade id; the market stream hands a push's trades on oldest
    /// first.
    /// </summary>
    public IAsyncEnumerable<TapeTrade> SubscribeTradesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        var seen = new RecentKeys<(string Symbol, long TradeId)>(10_000);
        return MarketStream.SubscribeAsync([.. symbols.Select(s => (BitgetMarketStream.TradeChannel, s))],
            (e, instId) => TapeItemOrSkip(BitgetMarketStream.TradeChannel, instId, () => BitgetParsers.ParseWsTapeTrade(e, instId)) is { } trade && seen.TryAdd((trade.Symbol, trade.TradeId)) ? trade : null,
            cancellationToken);
    }

    /// <summary>
    /// The top of the book of <paramref name="symbols"/> (<c>books1</c>: one level a side, a snapshot every push;
    /// https://www.bitget.com/api-doc/contract/websocket/public/Order-Book-Channel, JKorf/Bitget.Net
    /// BitgetSocketClientFuturesApi.cs SubscribeToOrderBookUpdatesAsync "books" + limit 1, 5 or 15).
    /// </summary>
    public IAsyncEnumerable<BookTop> SubscribeBookTopAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return MarketStream.SubscribeAsync([.. symbols.Select(s => (BitgetMarketStream.BookTopChannel, s))],
            (e, instId) => TapeItemOrSkip(BitgetMarketStream.BookTopChannel, instId, () => BitgetParsers.ParseWsBookTop(e, instId)), cancellationToken);
    }
}
