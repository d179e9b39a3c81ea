namespace OpenSqt.Contracts;

/// <summary>
/// One venue connection: the native connectors, the simulated venue and <see cref="Remote.RemoteExchange"/> (the
/// connector over gRPC) all implement it, so the engine cannot tell them apart.
/// Failures are thrown as <see cref="ExchangeException"/>. Streams are cold: each enumeration subscribes and
/// cancelling the token unsubscribes.
/// </summary>
public interface IExchange
{
    /// <summary>The venue's name as configured: sim, binance, bitget, bybit, gate, okx.</summary>
    string Name { get; }

    ExchangeType Type { get; }

    bool IsUnifiedMargin { get; }

    /// <summary>Raised after a stream reconnected by itself; whatever happened during the gap must be reconciled.</summary>
    event EventHandler<StreamReconnectedEventArgs>? StreamReconnected;

    Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default);

    /// <summary>Places several orders; each item succeeds or fails on its own.</summary>
    Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>Cancels one order. An order that is already finished counts as cancelled.</summary>
    Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default);

    /// <summary>Cancels several orders; returns one error per order that could not be cancelled.</summary>
    Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default);

    Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default);

    Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default);

    /// <summary>Working orders of one symbol, or of every symbol when <paramref name="symbol"/> is null.</summary>
    Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default);

    Task<Account> GetAccountAsync(CancellationToken cancellationToken = default);

    /// <summary>Open positions of one symbol, or of every symbol when <paramref name="symbol"/> is null.</summary>
    Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default);

    /// <summary>Wallet balance of one asset.</summary>
    Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default);

    Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default);

    /// <summary>The last <paramref name="limit"/> candles, oldest first; the last one may still be open.</summary>
    Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default);

    /// <summary>Instrument rules of one symbol, or of every symbol when <paramref name="symbol"/> is null.</summary>
    Task<IReadOnlyList<SymbolRules>> FetchExchangeInfoAsync(string? symbol, CancellationToken cancellationToken = default);

    Task<SymbolRules> GetSymbolInfoAsync(string symbol, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<string>> GetSymbolsAsync(CancellationToken cancellationToken = default);

    Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default);

    Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default);

    /// <summary>Every change of every order of the account, in the order the venue reported them.</summary>
    IAsyncEnumerable<OrderUpdate> SubscribeOrdersAsync(CancellationToken cancellationToken = default);

    IAsyncEnumerable<PriceChange> SubscribePriceAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default);

    IAsyncEnumerable<Candle> SubscribeKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken = default);

    IAsyncEnumerable<Account> SubscribeAccountAsync(CancellationToken cancellationToken = default);

    /// <summary>Position changes of one symbol, or of every symbol when <paramref name="symbol"/> is null.</summary>
    IAsyncEnumerable<Position> SubscribePositionsAsync(string? symbol, CancellationToken cancellationToken = default);

    IAsyncEnumerable<FundingRate> SubscribeFundingRateAsync(string symbol, CancellationToken cancellationToken = default);

    Task<ExchangeHealth> CheckHealthAsync(CancellationToken cancellationToken = default);
}
