using System.Runtime.CompilerServices;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX's public tape for the connector's recording, on the public connection: every trade (aggregated per taker order
/// and price) with its size and taker side from the <c>trades</c> channel, and the best bid and ask with their sizes
/// from <c>bbo-tbt</c> (https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-trades-channel,
/// https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel). Sizes come in contracts and are
/// converted to base units with the instrument's <c>ctVal</c>, as for orders. A malformed item is skipped, logged and counted (<see cref="VenueExchange{TOptions, TRest}.TapeItemsSkipped"/>).
/// </summary>
internal sealed partial class OkxExchange : IMarketTape
{
    public IAsyncEnumerable<TapeTrade> SubscribeTradesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return StreamTapeAsync(symbols, "trades", (instId, item, ctVal) => OkxParsers.ParseWsTrade(item, ctVal), cancellationToken);
    }

    public IAsyncEnumerable<BookTop> SubscribeBookTopAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return StreamTapeAsync(symbols, "bbo-tbt", OkxParsers.ParseWsBboTbt, cancellationToken);
    }

    /// <summary>One tape channel of the symbols, parsed with each instrument's contract value.</summary>
    private async IAsyncEnumerable<T> StreamTapeAsync<T>(IReadOnlyCollection<string> symbols, string channel, Func<string, System.Text.Json.JsonElement, decimal, T?> parse, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        var contractSizes = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var symbol in symbols)
        {
            contractSizes[OkxParsers.Symbols.ToVenue(symbol)] = (await InstrumentAsync(symbol, cancellationToken).ConfigureAwait(false)).ContractSize;
        }

        var channels = contractSizes.Keys.Select(instId => new OkxChannel(channel, instId)).ToArray();
        await foreach (var item in MarketStream.SubscribeAsync(channels, (arg, element) => TapeItemOrSkip(arg.Channel, arg.InstId, () => parse(arg.InstId, element, contractSizes[arg.InstId])), cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }
}
