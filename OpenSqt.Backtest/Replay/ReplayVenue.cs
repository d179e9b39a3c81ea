using System.Collections.Concurrent;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Sim;

namespace OpenSqt.Backtest.Replay;

/// <summary>
/// The sim venue as the in-process engine sees it: every call goes straight to <see cref="SimExchange"/>. The streams
/// are the sim's, taken from its tap (<see cref="SimExchange.SetTap"/>) and handed to each subscriber by the driver on
/// its own thread (<see cref="Deliver"/>), so the engine's code after each <c>await foreach</c> runs inline, without a
/// thread hand-off per event. The fills and funding payments the sim publishes are recorded for the report, and the
/// time each order was placed, for the fill checks.
/// </summary>
public sealed class ReplayVenue : IExchange, ISimStreamTap
{
    private readonly SimExchange _sim;
    private readonly TimeProvider _time;
    private readonly ConcurrentQueue<Fill> _fills = new();
    private readonly ConcurrentQueue<FundingFee> _funding = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _placedAt = new(StringComparer.Ordinal);
    private readonly InlineBacklog _backlog = new();
    private readonly Streams<OrderUpdate> _orders;
    private readonly Streams<PriceChange> _prices;
    private readonly Streams<Candle> _klines;
    private readonly Streams<Account> _accounts;
    private readonly Streams<Position> _positions;
    private readonly Streams<FundingRate> _fundingRates;
    private long _published;

    public ReplayVenue(SimExchange sim, TimeProvider time)
    {
        _sim = sim;
        _time = time;
        _orders = new(_backlog);
        _prices = new(_backlog);
        _klines = new(_backlog);
        _accounts = new(_backlog);
        _positions = new(_backlog);
        _fundingRates = new(_backlog);
        sim.SetTap(this);
    }

    public SimExchange Sim => _sim;

    /// <summary>True when every item the sim published has been taken by the subscriber it went to.</summary>
    public bool Drained => _backlog.IsEmpty;

    /// <summary>
    /// Hands every queued item to its waiting subscriber, on this thread, until none is left that a subscriber waits for;
    /// true when anything was delivered. Only the driver calls this. The items go in the order the sim published them,
    /// across all streams, one at a time: a trade's price (the sim prints the trade before it matches the resting orders)
    /// reaches the engine before the fills that trade caused. Handed the order stream first, the engine decided on the
    /// price before the trade while it handled the fills, inline, before the price was delivered: a grid shift sent the
    /// slot a fill had just emptied an opening on the wrong side of the market, refused as post-only, sent again within
    /// the same instant, and after the post-only fallback taken as a taker fill.
    /// </summary>
    public bool Deliver()
    {
        var any = false;

        // Nothing queued anywhere (after most events, and after the last item an event published): no subscription to
        // look at.
        while (!_backlog.IsEmpty)
        {
            IInlineDelivery? next = null;
            var oldest = long.MaxValue;
            _orders.Oldest(ref next, ref oldest);
            _prices.Oldest(ref next, ref oldest);
            _klines.Oldest(ref next, ref oldest);
            _accounts.Oldest(ref next, ref oldest);
            _positions.Oldest(ref next, ref oldest);
            _fundingRates.Oldest(ref next, ref oldest);
            if (next is null || !next.TryDeliver())
            {
                return any;
            }

            any = true;
        }

        return any;
    }

    /// <summary>
    /// The next number of the venue-wide publication order. The sim calls its tap under its own lock, one item at a time
    /// (<see cref="SimExchange.SetTap"/>), so the count needs no atomic increment of its own.
    /// </summary>
    private long Published() => ++_published;

    void ISimStreamTap.OnOrder(OrderUpdate update)
    {
        if (update.LastFill is { } fill)
        {
            _fills.Enqueue(fill);
        }

        _orders.Offer(update, Published());
    }

    void ISimStreamTap.OnPrice(PriceChange change) => _prices.Offer(change, Published());

    void ISimStreamTap.OnKline(Candle candle) => _klines.Offer(candle, Published());

    void ISimStreamTap.OnAccount(Account account)
    {
        foreach (var fee in account.FundingFees)
        {
            _funding.Enqueue(fee);
        }

        _accounts.Offer(account, Published());
    }

    void ISimStreamTap.OnPosition(Position position) => _positions.Offer(position, Published());

    void ISimStreamTap.OnFunding(FundingRate rate) => _fundingRates.Offer(rate, Published());

    /// <summary>Fills seen on the order stream, in the order the engine received them.</summary>
    public ConcurrentQueue<Fill> Fills => _fills;

    /// <summary>Funding payments seen on the account stream.</summary>
    public ConcurrentQueue<FundingFee> Funding => _funding;

    /// <summary>When each client order id was sent to the venue.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> PlacedAt => _placedAt;

    public string Name => _sim.Name;

    public ExchangeType Type => _sim.Type;

    public bool IsUnifiedMargin => _sim.IsUnifiedMargin;

    public event EventHandler<StreamReconnectedEventArgs>? StreamReconnected
    {
        add { }
        remove { }
    }

    public Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default)
    {
        Stamp(request);
        return _sim.PlaceOrderAsync(request, cancellationToken);
    }

    public Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default)
    {
        foreach (var request in requests)
        {
            Stamp(request);
        }

        return _sim.BatchPlaceOrdersAsync(requests, cancellationToken);
    }

    public Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default) => _sim.CancelOrderAsync(symbol, order, cancellationToken);

    public Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default) =>
        _sim.BatchCancelOrdersAsync(symbol, exchangeOrderIds, cancellationToken);

    public Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default) => _sim.CancelAllOrdersAsync(symbol, cancellationToken);

    public Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default) => _sim.GetOrderAsync(symbol, order, cancellationToken);

    public Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default) => _sim.GetOpenOrdersAsync(symbol, cancellationToken);

    public Task<Account> GetAccountAsync(CancellationToken cancellationToken = default) => _sim.GetAccountAsync(cancellationToken);

    public Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default) => _sim.GetPositionsAsync(symbol, cancellationToken);

    public Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default) => _sim.GetBalanceAsync(asset, cancellationToken);

    public Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default) => _sim.GetLatestPriceAsync(symbol, cancellationToken);

    public Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default) =>
        _sim.GetHistoricalKlinesAsync(symbol, interval, limit, cancellationToken);

    public Task<IReadOnlyList<SymbolRules>> FetchExchangeInfoAsync(string? symbol, CancellationToken cancellationToken = default) => _sim.FetchExchangeInfoAsync(symbol, cancellationToken);

    public Task<SymbolRules> GetSymbolInfoAsync(string symbol, CancellationToken cancellationToken = default) => _sim.GetSymbolInfoAsync(symbol, cancellationToken);

    public Task<IReadOnlyList<string>> GetSymbolsAsync(CancellationToken cancellationToken = default) => _sim.GetSymbolsAsync(cancellationToken);

    public Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default) => _sim.GetFundingRateAsync(symbol, cancellationToken);

    public Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default) => _sim.GetFundingRatesAsync(cancellationToken);

    public Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default) =>
        _sim.GetHistoricalFundingRatesAsync(symbol, limit, cancellationToken);

    public Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default) => _sim.GetTickersAsync(cancellationToken);

    public Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default) => _sim.GetOpenInterestAsync(symbol, cancellationToken);

    public IAsyncEnumerable<OrderUpdate> SubscribeOrdersAsync(CancellationToken cancellationToken = default) =>
        _orders.Subscribe(null, cancellationToken);

    public IAsyncEnumerable<PriceChange> SubscribePriceAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        // A replay trades one symbol: its ticks are told by comparing the symbol, not by hashing it for every trade.
        if (symbols.Count == 1)
        {
            var only = symbols.First();
            return _prices.Subscribe(p => string.Equals(p.Symbol, only, StringComparison.Ordinal), cancellationToken);
        }

        var set = symbols.ToHashSet(StringComparer.Ordinal);
        return _prices.Subscribe(p => set.Contains(p.Symbol), cancellationToken);
    }

    public IAsyncEnumerable<Candle> SubscribeKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken = default)
    {
        KlineInterval.ToTimeSpan(interval);
        var set = symbols.ToHashSet(StringComparer.Ordinal);
        var reading = _sim.ReadKlines(interval);
        return _klines.Subscribe(c => c.Interval == interval && set.Contains(c.Symbol), cancellationToken, reading.Dispose);
    }

    public IAsyncEnumerable<Account> SubscribeAccountAsync(CancellationToken cancellationToken = default) =>
        _accounts.Subscribe(null, cancellationToken);

    public IAsyncEnumerable<Position> SubscribePositionsAsync(string? symbol, CancellationToken cancellationToken = default) =>
        _positions.Subscribe(symbol is null ? null : p => p.Symbol == symbol, cancellationToken);

    public IAsyncEnumerable<FundingRate> SubscribeFundingRateAsync(string symbol, CancellationToken cancellationToken = default) =>
        _fundingRates.Subscribe(f => f.Symbol == symbol, cancellationToken);

    public Task<ExchangeHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => _sim.CheckHealthAsync(cancellationToken);

    private void Stamp(OrderRequest request)
    {
        if (request.ClientOrderId is { } id)
        {
            _placedAt[id] = _time.GetUtcNow();
        }
    }

    /// <summary>The subscriptions of one stream.</summary>
    private sealed class Streams<T>(InlineBacklog backlog)
    {
        private readonly Lock _gate = new();
        private InlineStream<T>[] _open = [];

        /// <summary>Opens a subscription; <paramref name="removed"/> runs once when it ends.</summary>
        public IAsyncEnumerable<T> Subscribe(Func<T, bool>? filter, CancellationToken cancellationToken, Action? removed = null)
        {
            var stream = new InlineStream<T>(filter, s => { Remove(s); removed?.Invoke(); }, backlog, cancellationToken);
            lock (_gate)
            {
                _open = [.. _open, stream];
            }

            return stream;
        }

        public void Offer(T item, long sequence)
        {
            foreach (var stream in Volatile.Read(ref _open))
            {
                stream.Offer(item, sequence);
            }
        }

        /// <summary>
        /// Makes <paramref name="next"/> the subscription whose waiting subscriber has the oldest queued item, when one of
        /// these is older than <paramref name="oldest"/>. A subscriber that is not waiting is running (it takes its queued
        /// items itself when it asks for the next) and is passed over.
        /// </summary>
        public void Oldest(ref IInlineDelivery? next, ref long oldest)
        {
            foreach (var stream in Volatile.Read(ref _open))
            {
                if (stream.Ready(out var sequence) && sequence < oldest)
                {
                    next = stream;
                    oldest = sequence;
                }
            }
        }

        private void Remove(InlineStream<T> stream)
        {
            lock (_gate)
            {
                _open = [.. _open.Where(s => s != stream)];
            }
        }
    }
}
