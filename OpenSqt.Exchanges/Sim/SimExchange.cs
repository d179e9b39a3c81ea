using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Sim;

/// <summary>
/// The built-in simulated USDT-margined perpetual-futures venue: a seeded price process with candles, a matching engine
/// for limit, market, post-only, reduce-only, IOC and FOK orders with partial fills and maker/taker fees, one-way
/// positions with entry, mark and PnL, and a margin account. Every change is published on the order, account and
/// position streams in the order it happened. All state lives behind one lock.
/// </summary>
public sealed partial class SimExchange : IExchange, IMarketTape, IAsyncDisposable
{
    public const string VenueName = "sim";
    private const int YearSeconds = 365 * 24 * 3600;
    private const int MaxClientOrderIdLength = 36;
    private const decimal FeeRounding = 0.00000001m;

    private readonly Lock _gate = new();
    private readonly SimVenueOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly Dictionary<string, SimSymbol> _symbols = new(StringComparer.Ordinal);
    private SimSymbol? _lastSymbol;
    private readonly Dictionary<long, SimOrder> _orders = [];
    private readonly Dictionary<string, SimOrder> _openByClientId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimOrder> _lastByClientId = new(StringComparer.Ordinal);
    private readonly SimSubscribers<OrderUpdate> _orderSubscribers = new();
    private readonly SimSubscribers<PriceChange> _priceSubscribers = new();
    private readonly SimSubscribers<Candle> _klineSubscribers = new();
    private readonly SimSubscribers<Account> _accountSubscribers = new();
    private readonly SimSubscribers<Position> _positionSubscribers = new();
    private readonly SimSubscribers<FundingRate> _fundingSubscribers = new();
    private readonly SimSubscribers<TapeTrade> _tapeSubscribers = new();

    /// <summary>Open kline subscriptions per interval (index in <see cref="SimCandles.Intervals"/>).</summary>
    private readonly int[] _klineReaders = new int[SimCandles.Intervals.Length];
    private readonly SimSubscribers<BookTop> _bookSubscribers = new();
    private readonly List<Candle> _closedScratch = [];
    private readonly List<Candle> _updatedScratch = [];
    private readonly CancellationTokenSource _stop = new();
    private decimal _wallet;
    private long _nextOrderId = 8_000_000_000;
    private long _nextTradeId = 500_000_000;
    private long _nextTapeTradeId = 3_000_000_000;
    private long _sequence;
    private DateTimeOffset _lastMarkPublish;
    private DateTimeOffset _lastFundingTime;
    private Task? _runner;
    private Task<ExchangeHealth>? _healthByHand;
    private Task<ExchangeHealth>? _healthRunning;
    private int _disposed;

    public SimExchange(IOptions<SimVenueOptions> options, TimeProvider time, ILogger<SimExchange>? logger = null)
    {
        _options = options.Value;
        _time = time;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _random = new Random(_options.Seed);
        _wallet = _options.InitialBalance;
        var now = _time.GetUtcNow();
        foreach (var symbolOptions in _options.EffectiveSymbols)
        {
            var symbol = CreateSymbol(symbolOptions, now);
            _symbols.Add(symbolOptions.Symbol, symbol);
        }

        _lastMarkPublish = now;
        _lastFundingTime = KlineInterval.Align(now, FundingInterval);
    }

    /// <summary>
    /// Binance settles funding every 8 hours at 00:00, 08:00 and 16:00 UTC
    /// (https://www.binance.com/en/support/faq/360033525031, "Introduction to Binance Futures Funding Rates").
    /// </summary>
    public static TimeSpan FundingInterval { get; } = TimeSpan.FromHours(8);

    public event EventHandler<StreamReconnectedEventArgs>? StreamReconnected
    {
        add { }
        remove { }
    }

    public string Name => VenueName;

    public ExchangeType Type => ExchangeType.Futures;

    public bool IsUnifiedMargin => false;

    /// <summary>Subscriptions opened on each stream since start, for diagnostics and tests.</summary>
    public SimStreamCounters Streams => new(
        _orderSubscribers.Opened, _priceSubscribers.Opened, _klineSubscribers.Opened,
        _accountSubscribers.Opened, _positionSubscribers.Opened, _fundingSubscribers.Opened,
        _priceSubscribers.Active + _klineSubscribers.Active + _orderSubscribers.Active + _accountSubscribers.Active + _positionSubscribers.Active + _fundingSubscribers.Active
        + _tapeSubscribers.Active + _bookSubscribers.Active);

    /// <summary>
    /// Counts a reader of the candles of <paramref name="interval"/> until the result is disposed (once is enough): a
    /// trade builds an open candle only for the intervals someone reads. The kline subscriptions count themselves; a
    /// tap's driver (<see cref="SetTap"/>) counts its own readers with this.
    /// </summary>
    public IDisposable ReadKlines(string interval)
    {
        var index = SimCandles.IndexOf(interval);
        Interlocked.Increment(ref _klineReaders[index]);
        return new KlineReader(_klineReaders, index);
    }

    /// <summary>
    /// Hands every item of the six <see cref="IExchange"/> streams to <paramref name="tap"/> as it is published, on the
    /// publishing thread and under the venue's lock, in order, besides the subscriptions. An in-process driver (the
    /// backtest's replay) delivers them to its subscribers itself, on its own thread, instead of through the channels'
    /// thread hand-offs. Null removes the tap. The tap must only keep the item: calling the venue from it deadlocks.
    /// </summary>
    public void SetTap(ISimStreamTap? tap)
    {
        lock (_gate)
        {
            _orderSubscribers.Tap = tap is null ? null : tap.OnOrder;
            _priceSubscribers.Tap = tap is null ? null : tap.OnPrice;
            _klineSubscribers.Tap = tap is null ? null : tap.OnKline;
            _accountSubscribers.Tap = tap is null ? null : tap.OnAccount;
            _positionSubscribers.Tap = tap is null ? null : tap.OnPosition;
            _fundingSubscribers.Tap = tap is null ? null : tap.OnFunding;
        }
    }

    /// <summary>
    /// Sets the best bid and ask with their displayed sizes (replayed book data). From then on market and crossing orders
    /// take the touch (a buy pays the ask, a sell gets the bid) instead of the last trade with slippage, and the
    /// queue-position model reads the size ahead of a resting order from it. Without a call the sim works from the last
    /// trade alone, as it does live.
    /// </summary>
    public void SetBook(string symbol, decimal bid, decimal bidQuantity, decimal ask, decimal askQuantity)
    {
        lock (_gate)
        {
            var s = GetSymbolLocked(symbol);
            if (bid <= 0 || ask <= bid || bidQuantity < 0 || askQuantity < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(bid), $"the book {bid} x {ask} must have a positive bid below the ask and non-negative sizes");
            }

            s.HasBook = true;
            s.Bid = bid;
            s.BidQuantity = bidQuantity;
            s.Ask = ask;
            s.AskQuantity = askQuantity;
            if (_bookSubscribers.HasSubscribers)
            {
                _bookSubscribers.Publish(new BookTop(s.Rules.Symbol, ++s.BookUpdateId, bid, bidQuantity, ask, askQuantity, _time.GetUtcNow()));
            }

            if (_options.QueueModel == SimQueueModel.QueuePosition)
            {
                foreach (var order in s.Resting)
                {
                    order.QueueAhead = QueueAheadLocked(s, order.Side, order.Price, order.QueueAhead);
                }
            }
        }
    }

    /// <summary>
    /// The displayed size ahead of an order at <paramref name="price"/>: the touch's size when the order sits at the touch
    /// (never more than it was: the queue only shrinks ahead of an order), nothing when it improves on the touch, unchanged
    /// (unknown until the touch reaches it) when it sits behind.
    /// </summary>
    private static decimal? QueueAheadLocked(SimSymbol s, OrderSide side, decimal price, decimal? current)
    {
        var (touch, size) = side == OrderSide.Buy ? (s.Bid, s.BidQuantity) : (s.Ask, s.AskQuantity);
        var improves = side == OrderSide.Buy ? price > touch : price < touch;
        if (improves)
        {
            return 0m;
        }

        return price == touch ? Math.Min(current ?? size, size) : current;
    }

    /// <summary>Starts the price process when <see cref="SimVenueOptions.AutoAdvance"/> is on. Idempotent.</summary>
    public void Start()
    {
        if (!_options.AutoAdvance || _runner is not null)
        {
            return;
        }

        _runner = RunAsync(_stop.Token);
    }

    /// <summary>Stops the price process; the venue keeps answering calls.</summary>
    public async Task StopMarketAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        if (_runner is not null)
        {
            try
            {
                await _runner.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopMarketAsync().ConfigureAwait(false);
        await DisarmAsync(null).ConfigureAwait(false);
        _orderSubscribers.CompleteAll();
        _priceSubscribers.CompleteAll();
        _klineSubscribers.CompleteAll();
        _accountSubscribers.CompleteAll();
        _positionSubscribers.CompleteAll();
        _fundingSubscribers.CompleteAll();
        _tapeSubscribers.CompleteAll();
        _bookSubscribers.CompleteAll();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.TickInterval, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                Step();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.StepFailed(_logger, ex);
            }
        }
    }

    /// <summary>Moves every instrument's price one step of the process and matches resting orders against it.</summary>
    public void Step()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var dtSeconds = _options.TickInterval.TotalSeconds;
            foreach (var symbol in _symbols.Values)
            {
                var (price, volume) = NextTrade(symbol, dtSeconds);
                ApplyTradeLocked(symbol, price, volume, now);
            }

            SettleFundingLocked(now);
            PublishMarkIfDueLocked(now);
        }
    }

    /// <summary>
    /// Moves the mark price of <paramref name="symbol"/> away from the last trade until the next trade (a venue's mark
    /// follows an index, not the tape), and publishes it with the funding rate and the position it revalues. Funding due by
    /// the clock settles first, at the mark before the move.
    /// </summary>
    public void SetMarkPrice(string symbol, decimal markPrice)
    {
        lock (_gate)
        {
            var s = GetSymbolLocked(symbol);
            if (markPrice <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(markPrice), markPrice, "the mark price must be positive");
            }

            var now = _time.GetUtcNow();
            SettleFundingLocked(now);
            s.MarkPrice = markPrice;
            _fundingSubscribers.Publish(FundingLocked(s, now));
            if (s.Position.Size != 0)
            {
                PublishAccountAndPositionLocked(s, now);
            }
        }
    }

    /// <summary>
    /// Settles funding when the clock has passed a funding time: every open position pays (or receives) its notional at
    /// the mark price times the rate, longs paying a positive rate ("Funding Amount = Nominal Value of Positions x Funding
    /// Rate", Binance FAQ above). The payment goes into the wallet and out on the account stream with the reason, as
    /// Binance's ACCOUNT_UPDATE with m=FUNDING_FEE does. A clock that jumps several funding times settles each.
    /// </summary>
    private void SettleFundingLocked(DateTimeOffset now)
    {
        while (now >= _lastFundingTime + FundingInterval)
        {
            _lastFundingTime += FundingInterval;
            var fees = new List<FundingFee>();
            foreach (var symbol in _symbols.Values)
            {
                var size = symbol.Position.Size;
                if (size == 0)
                {
                    continue;
                }

                var rate = symbol.Options.FundingRate;
                var amount = Math.Round(-size * symbol.MarkPrice * rate, 8, MidpointRounding.AwayFromZero);
                _wallet += amount;
                fees.Add(new FundingFee
                {
                    Symbol = symbol.Rules.Symbol,
                    Amount = amount,
                    Asset = symbol.Rules.QuoteAsset,
                    Rate = rate,
                    PositionSize = size,
                    MarkPrice = symbol.MarkPrice,
                    FundingTime = _lastFundingTime,
                });
            }

            if (fees.Count > 0)
            {
                _accountSubscribers.Publish(AccountLocked(now) with { FundingFees = fees });
            }
        }
    }

    /// <summary>Prints one trade on the tape: the market trades <paramref name="volume"/> at <paramref name="price"/>.</summary>
    public void Trade(string symbol, decimal price, decimal volume)
    {
        lock (_gate)
        {
            var s = GetSymbolLocked(symbol);
            if (price <= 0 || !s.Rules.IsOnTick(price))
            {
                throw new ArgumentOutOfRangeException(nameof(price), price, $"price must be positive and on the tick {s.Rules.TickSize}");
            }

            s.TradedAt(price);
            var now = _time.GetUtcNow();
            SettleFundingLocked(now);
            ApplyTradeLocked(s, price, volume, now);
        }
    }

    private SimSymbol CreateSymbol(SimSymbolOptions o, DateTimeOffset now)
    {
        if (o.TickSize <= 0 || o.StepSize <= 0 || o.StartPrice <= 0)
        {
            throw new OptionsValidationException(SimVenueOptions.SectionName, typeof(SimVenueOptions),
                [$"{SimVenueOptions.SectionName}:Symbols {o.Symbol}: StartPrice, TickSize and StepSize must be positive"]);
        }

        var rules = new SymbolRules
        {
            Symbol = o.Symbol,
            BaseAsset = o.BaseAsset,
            QuoteAsset = o.QuoteAsset,
            TickSize = o.TickSize,
            StepSize = o.StepSize,
            MinQuantity = o.MinQuantity > 0 ? o.MinQuantity : o.StepSize,
            MinNotional = o.MinNotional,
            MaxQuantity = o.MaxQuantity > 0 ? o.MaxQuantity : null,
        };
        var symbol = new SimSymbol(o, rules, new SimCandles(o.Symbol)) { LnMid = Math.Log((double)o.StartPrice) };

        // History: one-minute bars ending at the minute before now, each built from four 15-second steps.
        var firstMinute = KlineInterval.Align(now, TimeSpan.FromMinutes(1)).AddMinutes(-_options.HistoryMinutes);
        var price = rules.RoundPrice(o.StartPrice);
        for (var i = 0; i < _options.HistoryMinutes; i++)
        {
            var open = price;
            decimal high = open, low = open;
            for (var j = 0; j < 4; j++)
            {
                price = NextPrice(symbol, 15);
                high = Math.Max(high, price);
                low = Math.Min(low, price);
            }

            var volume = NextVolume(symbol, 60);
            symbol.Candles.AddHistory(new SimCandles.Bar(firstMinute.AddMinutes(i), open, high, low, price, volume, Math.Round(volume * (open + price) / 2, 2)));
        }

        symbol.LastPrice = price;
        symbol.MarkPrice = price;
        symbol.LastTradeTime = now;
        _closedScratch.Clear();
        symbol.Candles.Roll(now, _closedScratch);
        _closedScratch.Clear();
        return symbol;
    }

    private (decimal Price, decimal Volume) NextTrade(SimSymbol symbol, double dtSeconds) =>
        (NextPrice(symbol, dtSeconds), NextVolume(symbol, dtSeconds));

    /// <summary>Geometric Brownian motion without drift, on the log of the mid, rounded to the tick.</summary>
    private decimal NextPrice(SimSymbol symbol, double dtSeconds)
    {
        var sigma = symbol.Options.AnnualVolatility * Math.Sqrt(dtSeconds / YearSeconds);
        symbol.LnMid += (sigma * NextGaussian()) - (0.5 * sigma * sigma);
        var next = symbol.Rules.RoundPrice((decimal)Math.Exp(symbol.LnMid));
        return next > 0 ? next : symbol.Rules.TickSize;
    }

    /// <summary>Traded volume over a step: log-normal around the instrument's mean rate, on the step size.</summary>
    private decimal NextVolume(SimSymbol symbol, double dtSeconds)
    {
        const double VolumeSigma = 0.8;
        var factor = Math.Exp((VolumeSigma * NextGaussian()) - (0.5 * VolumeSigma * VolumeSigma));
        var mean = symbol.Options.VolumePerMinute * (decimal)(dtSeconds / 60);
        var volume = symbol.Rules.RoundQuantityDown(mean * (decimal)factor);
        return Math.Max(volume, symbol.Rules.StepSize);
    }

    private double NextGaussian()
    {
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private void ApplyTradeLocked(SimSymbol symbol, decimal price, decimal volume, DateTimeOffset now)
    {
        // The sim has no order book of other traders: a trade below the last is taken as a sell hitting the bid (the
        // buyer made the market), one above as a buy lifting the offer, one at the same price keeps the last side.
        if (price != symbol.LastPrice)
        {
            symbol.LastBuyerIsMaker = price < symbol.LastPrice;
        }

        symbol.LastPrice = price;
        if (_tapeSubscribers.HasSubscribers)
        {
            _tapeSubscribers.Publish(new TapeTrade(symbol.Rules.Symbol, ++_nextTapeTradeId, price, volume, symbol.LastBuyerIsMaker, now));
        }

        symbol.MarkPrice = price;
        symbol.LastTradeTime = now;
        _closedScratch.Clear();
        _updatedScratch.Clear();
        symbol.Candles.Trade(now, price, volume, _closedScratch, _updatedScratch, _klineReaders);
        _priceSubscribers.Publish(new PriceChange(symbol.Rules.Symbol, price, now, VenueName));
        if (_klineSubscribers.HasSubscribers)
        {
            foreach (var candle in _closedScratch)
            {
                _klineSubscribers.Publish(candle);
            }

            foreach (var candle in _updatedScratch)
            {
                _klineSubscribers.Publish(candle);
            }
        }

        if (_closedScratch.Count > 0 && _fundingSubscribers.HasSubscribers)
        {
            _fundingSubscribers.Publish(FundingLocked(symbol, now));
        }

        MatchRestingLocked(symbol, price, volume, now);
    }

    /// <summary>
    /// Resting buys at or above the trade price fill (sells at or below), best price first, then time, up to the traded
    /// volume; an order fills only once it has reached the book (<see cref="SimVenueOptions.OrderLatency"/>) and as the
    /// <see cref="SimVenueOptions.QueueModel"/> allows.
    /// </summary>
    private void MatchRestingLocked(SimSymbol symbol, decimal price, decimal volume, DateTimeOffset now)
    {
        // A trade above every resting buy and below every resting sell reaches none, whatever the queue model and the
        // latency: two comparisons, where looking at each order took one or two per order on every trade (a replay
        // prints a million trades past a 20-level grid).
        if (price > symbol.HighestBuy && price < symbol.LowestSell)
        {
            return;
        }

        var model = _options.QueueModel;
        if (AnyReachedLocked(symbol, price, model, now))
        {
            FillReachedLocked(symbol, price, volume, model, now);
        }
    }

    /// <summary>Fills the resting orders the trade reached (a method of its own: its lambdas allocate only when a trade reaches one).</summary>
    private void FillReachedLocked(SimSymbol symbol, decimal price, decimal volume, SimQueueModel model, DateTimeOffset now)
    {
        var crossed = symbol.Resting
            .Where(o => o.ActiveFrom <= now && Reaches(o, price, model))
            .OrderBy(o => o.Side == OrderSide.Buy ? -o.Price : o.Price)
            .ThenBy(o => o.Sequence)
            .ToList();
        if (crossed.Count == 0)
        {
            return;
        }

        var available = new Dictionary<OrderSide, decimal> { [OrderSide.Buy] = volume, [OrderSide.Sell] = volume };
        var changed = false;
        foreach (var order in crossed)
        {
            var left = available[order.Side];
            if (model == SimQueueModel.QueuePosition && order.Price == price)
            {
                // At the order's own price the size displayed ahead of it trades first.
                var ahead = order.QueueAhead ?? 0m;
                var worked = Math.Min(ahead, left);
                order.QueueAhead = ahead - worked;
                left -= worked;
            }

            var quantity = symbol.Rules.RoundQuantityDown(Math.Min(order.Remaining, left));
            if (quantity <= 0)
            {
                continue;
            }

            available[order.Side] -= quantity;
            changed |= FillLocked(symbol, order, quantity, order.Price, isMaker: true, now);
        }

        if (changed)
        {
            PublishAccountAndPositionLocked(symbol, now);
        }
    }

    /// <summary>Whether the trade reaches any resting order: most trades reach none, and then nothing is allocated.</summary>
    private static bool AnyReachedLocked(SimSymbol symbol, decimal price, SimQueueModel model, DateTimeOffset now)
    {
        foreach (var order in symbol.Resting)
        {
            if (order.ActiveFrom <= now && Reaches(order, price, model))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Reaches(SimOrder order, decimal price, SimQueueModel model)
    {
        var through = order.Side == OrderSide.Buy ? order.Price > price : order.Price < price;
        return through || (order.Price == price && model switch
        {
            SimQueueModel.Touch => true,
            SimQueueModel.QueuePosition => order.QueueAhead is not null,
            _ => false,
        });
    }

    /// <summary>Executes part of an order. Returns whether anything filled.</summary>
    private bool FillLocked(SimSymbol symbol, SimOrder order, decimal quantity, decimal price, bool isMaker, DateTimeOffset now)
    {
        if (order.ReduceOnly)
        {
            var reducible = ReducibleLocked(symbol, order.Side);
            if (reducible <= 0)
            {
                FinishLocked(symbol, order, OrderStatus.Canceled, "reduce-only order would increase the position", now);
                return false;
            }

            quantity = Math.Min(quantity, reducible);
        }

        var fee = Math.Round(price * quantity * (isMaker ? _options.MakerFeeRate : _options.TakerFeeRate), 8, MidpointRounding.AwayFromZero);
        var realized = symbol.Position.Apply(order.Side, quantity, price);
        _wallet += realized - fee;

        order.Filled += quantity;
        order.FilledNotional += price * quantity;
        order.UpdatedAt = now;
        order.Status = order.Filled >= order.Quantity ? OrderStatus.Filled : OrderStatus.PartiallyFilled;
        var fill = new Fill
        {
            TradeId = (++_nextTradeId).ToString(CultureInfo.InvariantCulture),
            ExchangeOrderId = order.Id.ToString(CultureInfo.InvariantCulture),
            ClientOrderId = order.ClientOrderId,
            Symbol = order.Symbol,
            Side = order.Side,
            Price = price,
            Quantity = quantity,
            Fee = fee,
            FeeAsset = symbol.Rules.QuoteAsset,
            RealizedPnl = realized,
            IsMaker = isMaker,
            Timestamp = now,
        };
        order.Fills.Add(fill);
        if (order.Status == OrderStatus.Filled)
        {
            RemoveOpenLocked(symbol, order);
        }
        else if (order.ReduceOnly && ReducibleLocked(symbol, order.Side) <= 0)
        {
            // The position is gone; what is left of a reduce-only order could only grow a new one.
            _orderSubscribers.Publish(OrderUpdate.From(order.ToOrder(), VenueName, fill));
            FinishLocked(symbol, order, OrderStatus.Canceled, "reduce-only order would increase the position", now);
            return true;
        }

        _orderSubscribers.Publish(OrderUpdate.From(order.ToOrder(), VenueName, fill));
        return true;
    }

    private static decimal ReducibleLocked(SimSymbol symbol, OrderSide side)
    {
        var size = symbol.Position.Size;
        return side == OrderSide.Sell ? Math.Max(size, 0) : Math.Max(-size, 0);
    }

    private void FinishLocked(SimSymbol symbol, SimOrder order, OrderStatus status, string? reason, DateTimeOffset now)
    {
        order.Status = status;
        order.RejectReason = reason;
        order.UpdatedAt = now;
        RemoveOpenLocked(symbol, order);
        _orderSubscribers.Publish(OrderUpdate.From(order.ToOrder(), VenueName));
    }

    private void RemoveOpenLocked(SimSymbol symbol, SimOrder order)
    {
        symbol.RemoveResting(order);
        if (_openByClientId.TryGetValue(order.ClientOrderId, out var open) && open == order)
        {
            _openByClientId.Remove(order.ClientOrderId);
        }
    }

    private void PublishMarkIfDueLocked(DateTimeOffset now)
    {
        if (now - _lastMarkPublish < _options.MarkPublishInterval)
        {
            return;
        }

        _lastMarkPublish = now;
        var any = false;
        foreach (var symbol in _symbols.Values)
        {
            if (_fundingSubscribers.HasSubscribers)
            {
                // Binance pushes the mark price every 1 s or 3 s on <symbol>@markPrice (source on FundingRate.MarkPrice).
                _fundingSubscribers.Publish(FundingLocked(symbol, now));
            }

            if (symbol.Position.Size != 0)
            {
                _positionSubscribers.Publish(PositionLocked(symbol, now));
                any = true;
            }
        }

        if (any)
        {
            _accountSubscribers.Publish(AccountLocked(now));
        }
    }

    private void PublishAccountAndPositionLocked(SimSymbol symbol, DateTimeOffset now)
    {
        _positionSubscribers.Publish(PositionLocked(symbol, now));
        _accountSubscribers.Publish(AccountLocked(now));
    }

    private Position PositionLocked(SimSymbol symbol, DateTimeOffset now)
    {
        var p = symbol.Position;
        var mark = symbol.MarkPrice;
        return new Position
        {
            Symbol = symbol.Rules.Symbol,
            Size = p.Size,
            EntryPrice = p.EntryPrice,
            MarkPrice = mark,
            UnrealizedPnl = (mark - p.EntryPrice) * p.Size,
            RealizedPnl = p.RealizedPnl,
            Leverage = _options.Leverage,
            MarginType = "cross",
            LiquidationPrice = LiquidationPriceLocked(p),
            UpdateTime = now,
        };
    }

    /// <summary>Cross-margin estimate: the mark at which the wallet plus this position's loss meets maintenance margin.</summary>
    private decimal LiquidationPriceLocked(SimPosition p)
    {
        if (p.Size == 0)
        {
            return 0;
        }

        var mmr = _options.MaintenanceMarginRate;
        var denominator = p.Size > 0 ? p.Size * (1 - mmr) : p.Size * (1 + mmr);
        var price = ((p.EntryPrice * p.Size) - _wallet) / denominator;
        return price > 0 ? Math.Round(price, 8) : 0;
    }

    private Account AccountLocked(DateTimeOffset now)
    {
        decimal unrealized = 0, positionMargin = 0, orderMargin = 0, maintenance = 0;
        var positions = new List<Position>();
        foreach (var symbol in _symbols.Values)
        {
            var p = symbol.Position;
            var mark = symbol.MarkPrice;
            if (p.Size != 0)
            {
                unrealized += (mark - p.EntryPrice) * p.Size;
                positionMargin += Math.Abs(p.Size) * mark / _options.Leverage;
                maintenance += Math.Abs(p.Size) * mark * _options.MaintenanceMarginRate;
                positions.Add(PositionLocked(symbol, now));
            }

            orderMargin += OrderMarginLocked(symbol);
        }

        var marginBalance = _wallet + unrealized;
        return new Account
        {
            WalletBalance = Math.Round(_wallet, 8),
            MarginBalance = Math.Round(marginBalance, 8),
            AvailableBalance = Math.Round(marginBalance - positionMargin - orderMargin, 8),
            UnrealizedPnl = Math.Round(unrealized, 8),
            MaintenanceMargin = Math.Round(maintenance, 8),
            Leverage = _options.Leverage,
            Positions = positions,
            UpdateTime = now,
        };
    }

    /// <summary>
    /// Initial margin held by the working orders of one instrument: the orders of each side beyond what would only
    /// close the position, at the larger of the two sides (only one side can grow a one-way position).
    /// </summary>
    private decimal OrderMarginLocked(SimSymbol symbol, SimOrder? extra = null)
    {
        decimal buys = 0, sells = 0;
        foreach (var order in symbol.Resting.Append(extra))
        {
            if (order is null || order.ReduceOnly)
            {
                continue;
            }

            var price = order.Type == OrderType.Market ? symbol.LastPrice : order.Price;
            if (order.Side == OrderSide.Buy)
            {
                buys += order.Remaining * price;
            }
            else
            {
                sells += order.Remaining * price;
            }
        }

        var size = symbol.Position.Size;
        var buyExposure = Math.Max(0, buys - (Math.Max(-size, 0) * symbol.LastPrice));
        var sellExposure = Math.Max(0, sells - (Math.Max(size, 0) * symbol.LastPrice));
        return Math.Max(buyExposure, sellExposure) / _options.Leverage;
    }

    private SimSymbol GetSymbolLocked(string symbol)
    {
        // The symbol asked for last is compared before the dictionary hashes the name: a replay asks for one symbol on
        // every trade. (Symbols are only ever added.)
        if (_lastSymbol is { } last && string.Equals(last.Rules.Symbol, symbol, StringComparison.Ordinal))
        {
            return last;
        }

        if (!_symbols.TryGetValue(symbol, out var s))
        {
            throw new ExchangeException(ExchangeErrorKind.NotFound, $"symbol '{symbol}' is not listed on {VenueName}");
        }

        _lastSymbol = s;
        return s;
    }

    private FundingRate FundingLocked(SimSymbol symbol, DateTimeOffset now) => new()
    {
        Exchange = VenueName,
        Symbol = symbol.Rules.Symbol,
        Rate = symbol.Options.FundingRate,
        PredictedRate = symbol.Options.FundingRate,
        NextFundingTime = KlineInterval.Align(now, FundingInterval) + FundingInterval,
        Timestamp = now,
        MarkPrice = symbol.MarkPrice,
    };

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex ClientOrderIdPattern();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Sim market step failed")]
        public static partial void StepFailed(ILogger logger, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "Sim countdown of {Symbol} ran out: cancelled {Cancelled} working orders")]
        public static partial void CountdownFired(ILogger logger, string symbol, int cancelled);
    }

    /// <summary>One reader of an interval's candles (<see cref="ReadKlines"/>); disposing it more than once counts once.</summary>
    private sealed class KlineReader(int[] readers, int index) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref readers[index]);
            }
        }
    }
}

/// <summary>Subscriptions opened per stream since start, and how many are open now.</summary>
public readonly record struct SimStreamCounters(int Orders, int Price, int Klines, int Account, int Positions, int Funding, int Active);
