using System.Runtime.CompilerServices;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate's public tape for the recording (<see cref="IMarketTape"/>): every trade from <c>futures.trades</c> and the best
/// bid and ask from <c>futures.book_ticker</c>, on the futures market stream next to the tickers and candlesticks. Gate
/// sizes are contracts; the tape carries base units (times the contract's <c>quanto_multiplier</c>, as orders and
/// positions do). A push item that does not parse is logged, counted in <see cref="VenueExchange{TOptions, TRest}.TapeItemsSkipped"/> (and as an
/// <see cref="ExchangeErrorKind.Internal"/> error of the operation <c>tape</c>) and left out; the stream goes on.
/// </summary>
internal sealed partial class GateExchange : IMarketTape
{

    /// <summary>Every trade of <paramref name="symbols"/> (<c>futures.trades</c>, payload <c>[contract, ...]</c>).</summary>
    public IAsyncEnumerable<TapeTrade> SubscribeTradesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return TapeAsync(symbols, GateMarketStream.Trades, (e, contract) => GateParsers.ParseWsTapeTrade(e, contract.Symbol, contract.Multiplier), cancellationToken);
    }

    /// <summary>
    /// Every change of the best bid or ask of <paramref name="symbols"/> (<c>futures.book_ticker</c>, "push best ask/bid
    /// in realtime (10ms)": https://www.gate.io/article/19776, Gate's futures API upgrade notice of 2021-03-12).
    /// </summary>
    public IAsyncEnumerable<BookTop> SubscribeBookTopAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return TapeAsync(symbols, GateMarketStream.BookTicker, (e, contract) => GateParsers.ParseWsBookTicker(e, contract.Symbol, contract.Multiplier), cancellationToken);
    }

    private async IAsyncEnumerable<T> TapeAsync<T>(IReadOnlyCollection<string> symbols, string channel, Func<JsonElement, GateContract, T?> parse, [EnumeratorCancellation] CancellationToken cancellationToken)
        where T : class
    {
        var cache = await ContractsAsync(cancellationToken).ConfigureAwait(false);
        var keys = symbols.Select(s => GateMarketStream.Key(channel, null, cache.BySymbol(s).Name)).ToArray();
        await foreach (var item in MarketStream.SubscribeAsync(keys, (e, name) => cache.TryByName(name, out var contract) ? TapeItemOrSkip(channel, contract.Name, () => parse(e, contract)) : null, cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }
}
