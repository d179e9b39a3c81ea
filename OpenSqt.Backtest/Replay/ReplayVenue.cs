using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Sim;

namespace OpenSqt.Backtest.Replay;

/// <summary>
/// The sim venue as the in-process engine sees it: every call goes straight to <see cref="SimExchange"/>; the streams
/// are passed through and counted, so the driver knows when every published item has been handled by its subscriber
/// (the subscriber asked for the next one). The fills and funding payments the engine receives are recorded for the
/// report, and the time each order was placed, for the fill checks.
/// </summary>
public sealed class ReplayVenue(SimExchange sim, TimeProvider time) : IExchange
{
    private readonly ConcurrentQueue<Fill> _fills = new();
    private readonly ConcurrentQueue<FundingFee> _funding = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _placedAt = new(StringComparer.Ordinal);
    private long _consumed;

    public SimExchange Sim => sim;

    /// <summary>True when every item the sim published has been handled by the subscriber it went to.</summary>
    public bool Drained => Interlocked.Read(ref _consumed) == sim.Published;

    /// <summary>Fills seen on the order stream, in the order the engine received them.</summary>
    public ConcurrentQueue<Fill> Fills => _fills;

    /// <summary>Funding payments seen on the account stream.</summary>
    public ConcurrentQueue<FundingFee> Funding => _funding;

    /// <summary>When each client order id was sent to the venue.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> PlacedAt => _placedAt;

    public string Name => sim.Name;

    public ExchangeType Type => sim.Type;

    public bool IsUnifiedMargin => sim.IsUnifiedMargin;

    public event EventHandler<StreamReconnectedEventArgs>? StreamReconnected
    {
        add { }
        remove { }
    }

    public Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default)
    {
        Stamp(request);
        return sim.PlaceOrderAsync(request, cancellationToken);
    }

    public Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default)
    {
        foreach (var request in requests)
        {
            Stamp(request);
        }

        return sim.BatchPlaceOrdersAsync(requests, cancellationToken);
    }

    public Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default) => sim.CancelOrderAsync(symbol, order, cancellationToken);

    public Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default) =>
        sim.BatchCancelOrdersAsync(symbol, exchangeOrderIds, cancellationToken);

    public Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default) => sim.CancelAllOrdersAsync(symbol, cancellationToken);

    public Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default) => sim.GetOrderAsync(symbol, order, cancellationToken);

    public Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default) => sim.GetOpenOrdersAsync(symbol, cancellationToken);

    public Task<Account> GetAccountAsync(CancellationToken cancellationToken = default) => sim.GetAccountAsync(cancellationToken);

    public Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default) => sim.GetPositionsAsync(symbol, cancellationToken);

    public Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default) => sim.GetBalanceAsync(asset, cancellationToken);

    public Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default) => sim.GetLatestPriceAsync(symbol, cancellationToken);

    public Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default) =>
        sim.GetHistoricalKlinesAsync(symbol, interval, limit, cancellationToken);

    public Task<IReadOnlyList<SymbolRules>> FetchExchangeInfoAsync(string? symbol, CancellationToken cancellationToken = default) => sim.FetchExchangeInfoAsync(symbol, cancellationToken);

    public Task<SymbolRules> GetSymbolInfoAsync(string symbol, CancellationToken cancellationToken = default) => sim.GetSymbolInfoAsync(symbol, cancellationToken);

    public Task<IReadOnlyList<string>> GetSymbolsAsync(CancellationToken cancellationToken = default) => sim.GetSymbolsAsync(cancellationToken);

    public Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default) => sim.GetFundingRateAsync(symbol, cancellationToken);

    public Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default) => sim.GetFundingRatesAsync(cancellationToken);

    public Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default) =>
        sim.GetHistoricalFundingRatesAsync(symbol, limit, cancellationToken);

    public Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default) => sim.GetTickersAsync(cancellationToken);

    public Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default) => sim.GetOpenInterestAsync(symbol, cancellationToken);

    public IAsyncEnumerable<OrderUpdate> SubscribeOrdersAsync(CancellationToken cancellationToken = default) =>
        Counted(sim.SubscribeOrdersAsync(cancellationToken), update =>
        {
            if (update.LastFill is { } fill)
            {
                _fills.Enqueue(fill);
            }
        }, cancellationToken);

    public IAsyncEnumerable<PriceChange> SubscribePriceAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default) =>
        Counted(sim.SubscribePriceAsync(symbols, cancellationToken), null, cancellationToken);

    public IAsyncEnumerable<Candle> SubscribeKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken = default) =>
        Counted(sim.SubscribeKlinesAsync(symbols, interval, cancellationToken), null, cancellationToken);

    public IAsyncEnumerable<Account> SubscribeAccountAsync(CancellationToken cancellationToken = default) =>
        Counted(sim.SubscribeAccountAsync(cancellationToken), account =>
        {
            foreach (var fee in account.FundingFees)
            {
                _funding.Enqueue(fee);
            }
        }, cancellationToken);

    public IAsyncEnumerable<Position> SubscribePositionsAsync(string? symbol, CancellationToken cancellationToken = default) =>
        Counted(sim.SubscribePositionsAsync(symbol, cancellationToken), null, cancellationToken);

    public IAsyncEnumerable<FundingRate> SubscribeFundingRateAsync(string symbol, CancellationToken cancellationToken = default) =>
        Counted(sim.SubscribeFundingRateAsync(symbol, cancellationToken), null, cancellationToken);

    public Task<ExchangeHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => sim.CheckHealthAsync(cancellationToken);

    private void Stamp(OrderRequest request)
    {
        if (request.ClientOrderId is { } id)
        {
            _placedAt[id] = time.GetUtcNow();
        }
    }

    /// <summary>
    /// Passes a stream through. An item counts as handled when its subscriber asks for the next one (the code after
    /// <c>yield return</c> runs then), so "published == handled" means no subscriber still holds work from the venue.
    /// </summary>
    private async IAsyncEnumerable<T> Counted<T>(IAsyncEnumerable<T> inner, Action<T>? observe, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in inner.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            observe?.Invoke(item);
            yield return item;
            Interlocked.Increment(ref _consumed);
        }
    }
}
