using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit's public tape for the connector's recording, on the public linear connection: every trade with its size and
/// taker side from <c>publicTrade.{symbol}</c>, and the best bid and ask with their sizes from the level-1 book
/// <c>orderbook.1.{symbol}</c> (https://bybit-exchange.github.io/docs/v5/websocket/public/trade and
/// .../public/orderbook). Linear sizes are in the base coin, as the rest of the API. A malformed item is skipped,
/// logged and counted in <see cref="Skips"/>.
/// </summary>
internal sealed partial class BybitExchange : IMarketTape
{
    public IAsyncEnumerable<TapeTrade> SubscribeTradesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return MarketStream.SubscribeTradesAsync(symbols, cancellationToken);
    }

    public IAsyncEnumerable<BookTop> SubscribeBookTopAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return MarketStream.SubscribeBookTopAsync(symbols, cancellationToken);
    }
}
