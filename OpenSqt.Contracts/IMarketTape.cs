namespace OpenSqt.Contracts;

/// <summary>
/// One trade on the venue's public tape, with its size and aggressor side: what a recording needs to replay the market
/// (the engine's own price stream carries the price only). <see cref="TradeId"/> is the venue's id, increasing.
/// </summary>
public sealed record TapeTrade(string Symbol, long TradeId, decimal Price, decimal Quantity, bool BuyerIsMaker, DateTimeOffset Timestamp);

/// <summary>The best bid and ask with their displayed sizes, as the venue's book-ticker stream pushes them.</summary>
public sealed record BookTop(string Symbol, long UpdateId, decimal BidPrice, decimal BidQuantity, decimal AskPrice, decimal AskQuantity, DateTimeOffset Timestamp);

/// <summary>
/// A venue's public market tape: every trade with its size, and the top of the book. A venue connector implements this
/// next to <see cref="IExchange"/> when it can stream them; the ExchangeConnector records them (<c>Recording__Path</c>).
/// </summary>
public interface IMarketTape
{
    /// <summary>Every trade of <paramref name="symbols"/> as the venue prints it, in order.</summary>
    IAsyncEnumerable<TapeTrade> SubscribeTradesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default);

    /// <summary>Every change of the best bid or ask of <paramref name="symbols"/>.</summary>
    IAsyncEnumerable<BookTop> SubscribeBookTopAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default);
}
