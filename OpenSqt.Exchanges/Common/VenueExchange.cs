using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// What every native venue shares: construction (options, credentials check, HTTP client, clock, logger, metrics), one
/// cache of instrument rules with exchange info, symbol info and symbols on top of it, the health check, reconnect
/// signalling, the order, account and position stream forwarders, the unknown-value count and disposal. A venue fills
/// in its REST client and streams (<see cref="UseStreams"/>), its rules (<see cref="FetchRulesAsync"/>), its endpoints
/// and its wire mapping.
/// </summary>
internal abstract class VenueExchange<TOptions, TRest> : IExchange, IAsyncDisposable
    where TOptions : VenueOptions
    where TRest : VenueRestClient
{
    private readonly SemaphoreSlim _rulesGate = new(1, 1);
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly List<(string Name, IVenueStream Stream)> _streams = [];
    private VenueUserStream? _userStream;
    private IReadOnlyList<SymbolRules>? _rules;
    private IReadOnlySet<string>? _listed;
    private DateTimeOffset _rulesFetchedAt;
    private int _unknownValues;
    private long _tapeItemsSkipped;
    private int _disposed;

    /// <param name="venue">The venue's name (<c>EXCHANGE</c> value).</param>
    /// <param name="options">The venue's validated options.</param>
    /// <param name="credentials">API key, secret and, where the venue needs one, passphrase.</param>
    /// <param name="needsPassphrase">Whether the venue signs with a passphrase too.</param>
    /// <param name="time">The clock of every timer and timestamp.</param>
    /// <param name="loggerFactory">Loggers; none when null.</param>
    /// <param name="metrics">Venue metrics; a private instance when null.</param>
    /// <param name="http">An HTTP client to use (tests); a pooled client of the process when null, disposed with the venue.</param>
    /// <param name="handler">The handler under the venue's own client (tests); a pooled socket handler when null. Used only when <paramref name="http"/> is null.</param>
    protected VenueExchange(string venue, TOptions options, VenueCredentials credentials, bool needsPassphrase, TimeProvider time,
        ILoggerFactory? loggerFactory, VenueMetrics? metrics, HttpClient? http, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (credentials.MissingFor(venue, needsPassphrase) is { } missing)
        {
            throw new OptionsValidationException("API_KEY", typeof(VenueCredentials), [missing]);
        }

        Name = venue;
        Options = options;
        Time = time;
        Logger = (ILogger?)loggerFactory?.CreateLogger(GetType()) ?? NullLogger.Instance;
        Metrics = metrics ?? new VenueMetrics();
        Clock = new ServerClock(time);
        _ownsHttp = http is null;
        if (http is null)
        {
            handler ??= new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        }

        _http = http;
    }

    public event EventHandler<StreamReconnectedEventArgs>? StreamReconnected;

    public string Name { get; }

    public ExchangeType Type => ExchangeType.Futures;

    public abstract bool IsUnifiedMargin { get; }

    public ServerClock Clock { get; }

    public abstract TRest Rest { get; }

    /// <summary>Enum values (order type, time in force, status) the venue sent that the connector does not know, since start.</summary>
    public int UnknownValuesSeen => Volatile.Read(ref _unknownValues);

    /// <summary>Public tape items (<see cref="IMarketTape"/>) left out because they did not parse.</summary>
    public long TapeItemsSkipped => Interlocked.Read(ref _tapeItemsSkipped);

    protected TOptions Options { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    protected VenueMetrics Metrics { get; }

    /// <summary>The HTTP client every REST call of the venue goes through.</summary>
    protected HttpClient Http => _http;

    /// <summary>How long fetched instrument rules are reused.</summary>
    protected abstract TimeSpan RulesCacheDuration { get; }

    public abstract Task<Order> PlaceOrderAsync(OrderRequest request, CancellationToken cancellationToken = default);

    public abstract Task<BatchPlaceResult> BatchPlaceOrdersAsync(IReadOnlyList<OrderRequest> requests, CancellationToken cancellationToken = default);

    public abstract Task CancelOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<BatchItemError>> BatchCancelOrdersAsync(string symbol, IReadOnlyList<string> exchangeOrderIds, CancellationToken cancellationToken = default);

    public abstract Task CancelAllOrdersAsync(string symbol, CancellationToken cancellationToken = default);

    public abstract Task<Order> GetOrderAsync(string symbol, OrderRef order, CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<Order>> GetOpenOrdersAsync(string? symbol, CancellationToken cancellationToken = default);

    public abstract Task<Account> GetAccountAsync(CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default);

    public abstract Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default);

    public abstract Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default);

    public abstract Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default);

    public abstract Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default);

    public abstract Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default);

    public IAsyncEnumerable<PriceChange> SubscribePriceAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return StreamPricesAsync(symbols, cancellationToken);
    }

    public IAsyncEnumerable<Candle> SubscribeKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken = default)
    {
        VenueJson.RequireSymbols(symbols);
        return StreamKlinesAsync(symbols, interval, cancellationToken);
    }

    public IAsyncEnumerable<FundingRate> SubscribeFundingRateAsync(string symbol, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        return StreamFundingAsync(symbol, cancellationToken);
    }

    public async Task<IReadOnlyList<SymbolRules>> FetchExchangeInfoAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        var rules = await RulesAsync(cancellationToken).ConfigureAwait(false);
        if (symbol is null)
        {
            return rules;
        }

        var one = rules.FirstOrDefault(r => r.Symbol == symbol)
            ?? throw new ExchangeException(ExchangeErrorKind.NotFound, $"symbol '{symbol}' is not a trading perpetual on {Name}");
        return [one];
    }

    public async Task<SymbolRules> GetSymbolInfoAsync(string symbol, CancellationToken cancellationToken = default) =>
        (await FetchExchangeInfoAsync(symbol, cancellationToken).ConfigureAwait(false))[0];

    public async Task<IReadOnlyList<string>> GetSymbolsAsync(CancellationToken cancellationToken = default) =>
        [.. (await RulesAsync(cancellationToken).ConfigureAwait(false)).Select(r => r.Symbol)];

    public IAsyncEnumerable<OrderUpdate> SubscribeOrdersAsync(CancellationToken cancellationToken = default) =>
        SubscribeUser(UserStreamBase.Orders, null, cancellationToken);

    public IAsyncEnumerable<Account> SubscribeAccountAsync(CancellationToken cancellationToken = default) =>
        SubscribeUser(UserStreamBase.Accounts, null, cancellationToken);

    public IAsyncEnumerable<Position> SubscribePositionsAsync(string? symbol, CancellationToken cancellationToken = default) =>
        SubscribeUser(UserStreamBase.Positions, symbol is null ? null : p => p.Symbol == symbol, cancellationToken);

    public async Task<ExchangeHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Rest.SyncClockAsync(cancellationToken).ConfigureAwait(false);
            return new ExchangeHealth(true, $"{Name} reachable; clock offset {Clock.Offset.TotalMilliseconds:F0} ms");
        }
        catch (ExchangeException ex)
        {
            return new ExchangeHealth(false, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        foreach (var (_, stream) in _streams)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }

        await DisposeMoreAsync().ConfigureAwait(false);
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Registers the venue's streams, once, at the end of its constructor: their reconnects are raised as
    /// <see cref="StreamReconnected"/> under the given names ("orders" for the user stream, "market", ...), the user
    /// stream feeds the order, account and position subscriptions, and all are disposed with the venue in this order.
    /// </summary>
    protected void UseStreams(VenueUserStream userStream, params (string Name, IVenueStream Stream)[] marketStreams)
    {
        _userStream = userStream;
        foreach (var (name, stream) in marketStreams.Prepend(("orders", userStream)))
        {
            _streams.Add((name, stream));
            stream.Reconnected += (_, e) => StreamReconnected?.Invoke(this, new StreamReconnectedEventArgs(name, e.Attempts, e.Downtime));
        }
    }

    /// <summary>The venue's trade prices of <paramref name="symbols"/> (at least one, checked).</summary>
    protected abstract IAsyncEnumerable<PriceChange> StreamPricesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken);

    /// <summary>The venue's candles of <paramref name="symbols"/> (at least one, checked); the venue checks <paramref name="interval"/>.</summary>
    protected abstract IAsyncEnumerable<Candle> StreamKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken);

    /// <summary>The venue's funding pushes of one symbol (not blank, checked).</summary>
    protected abstract IAsyncEnumerable<FundingRate> StreamFundingAsync(string symbol, CancellationToken cancellationToken);

    /// <summary>Reads the venue's tradeable perpetuals (called at most once per <see cref="RulesCacheDuration"/>, one call at a time).</summary>
    protected abstract Task<IReadOnlyList<SymbolRules>> FetchRulesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The cached rules, fetched again once older than <see cref="RulesCacheDuration"/>, or now when
    /// <paramref name="reload"/> (what the rules carry besides, such as funding, changes between refreshes).
    /// </summary>
    protected async Task<IReadOnlyList<SymbolRules>> RulesAsync(CancellationToken cancellationToken, bool reload = false)
    {
        if (!reload && _rules is { } cached && Time.GetUtcNow() - _rulesFetchedAt < RulesCacheDuration)
        {
            return cached;
        }

        await _rulesGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!reload && _rules is { } again && Time.GetUtcNow() - _rulesFetchedAt < RulesCacheDuration)
            {
                return again;
            }

            var rules = await FetchRulesAsync(cancellationToken).ConfigureAwait(false);
            _listed = rules.Select(r => r.Symbol).ToHashSet(StringComparer.Ordinal);
            _rules = rules;
            _rulesFetchedAt = Time.GetUtcNow();
            return rules;
        }
        finally
        {
            _rulesGate.Release();
        }
    }

    /// <summary>Whether a symbol is a listed perpetual; true until the rules were fetched once (nothing is skipped blind).</summary>
    protected bool IsListed(string symbol) => _listed?.Contains(symbol) ?? true;

    /// <summary>Counts and logs an enum value the connector does not know; the item is mapped to unknown or skipped by the caller.</summary>
    protected void CountUnknown(string field, string value)
    {
        Interlocked.Increment(ref _unknownValues);
        VenueLog.UnknownValue(Logger, Name, field, value);
    }

    /// <summary>
    /// One item of a public tape push (<see cref="IMarketTape"/>), parsed. A malformed one (<see cref="VenueJson.IsMalformed"/>)
    /// is counted in <see cref="TapeItemsSkipped"/> and as an internal error of the operation <c>tape</c>, logged, and left
    /// out (null); the rest of the push and the stream go on.
    /// </summary>
    protected T? TapeItemOrSkip<T>(string channel, string instrument, Func<T?> parse)
        where T : class
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (VenueJson.IsMalformed(ex))
        {
            Interlocked.Increment(ref _tapeItemsSkipped);
            Metrics.RecordError(Name, "tape", ExchangeErrorKind.Internal);
            VenueLog.TapeItemSkipped(Logger, Name, channel, instrument, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// What an order the venue acknowledged with ids only is until it reports more: what was sent, resting, nothing
    /// filled, stamped <paramref name="at"/> (the venue clock now when null). The acknowledgement decides a placement;
    /// fills and a post-only cancel arrive on the order stream.
    /// </summary>
    protected Order Accepted(OrderRequest request, string orderId, DateTimeOffset? at = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = at ?? Clock.Now;
        return new Order
        {
            ExchangeOrderId = orderId,
            ClientOrderId = request.ClientOrderId,
            Symbol = request.Symbol,
            Side = request.Side,
            Type = request.Type,
            TimeInForce = request.IsPostOnly ? TimeInForce.Gtx : request.TimeInForce,
            Price = request.Price ?? 0m,
            Quantity = request.Quantity,
            Status = OrderStatus.New,
            ReduceOnly = request.ReduceOnly,
            PostOnly = request.IsPostOnly,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// Settles a cancel the venue refused with a code it gives alike for an order it never had and for one already
    /// finished, by reading the order with <paramref name="find"/> (null when the venue does not know it): returns when
    /// the order is final (the cancel's goal is met), throws <see cref="ExchangeErrorKind.NotFound"/> when the venue does
    /// not know it, and <paramref name="stillOpen"/> when it is still working (the cancel did not happen).
    /// </summary>
    protected async Task SettleRefusedCancelAsync(string symbol, OrderRef order, ExchangeException refusal, Func<CancellationToken, Task<Order?>> find, ExchangeErrorKind stillOpen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        ArgumentNullException.ThrowIfNull(find);
        var found = await find(cancellationToken).ConfigureAwait(false)
            ?? throw new ExchangeException(ExchangeErrorKind.NotFound, $"{Name} does not know order {order} on {symbol} (cancel answered {refusal.VenueCode})", refusal, venueCode: refusal.VenueCode);
        if (found.Status.IsOpen())
        {
            throw new ExchangeException(stillOpen, $"{Name} refused the cancel of {order} ({refusal.VenueCode}) but the order is still {found.Status}; try again", refusal, venueCode: refusal.VenueCode);
        }

        VenueLog.CancelFoundFinished(Logger, Name, order.ToString(), refusal.VenueCode ?? "?");
    }

    /// <summary>Releases what the venue holds beyond its streams and HTTP client.</summary>
    protected virtual ValueTask DisposeMoreAsync() => ValueTask.CompletedTask;

    private VenueUserStream UserStreamBase => _userStream ?? throw new InvalidOperationException($"{Name} registered no user stream");

    private IAsyncEnumerable<T> SubscribeUser<T>(StreamBroadcaster<T> broadcaster, Func<T, bool>? filter, CancellationToken cancellationToken)
    {
        // Registered before the socket starts, so nothing the first connection delivers is missed.
        var stream = broadcaster.Subscribe(filter, cancellationToken);
        UserStreamBase.EnsureStarted();
        return stream;
    }
}
