using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Sim;

public sealed partial class SimExchange
{
    public Task<Account> GetAccountAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(AccountLocked(_time.GetUtcNow()));
        }
    }

    public Task<IReadOnlyList<Position>> GetPositionsAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            IReadOnlyList<Position> positions = symbol is null
                ? _symbols.Values.Where(s => s.Position.Size != 0).Select(s => PositionLocked(s, now)).ToArray()
                : [PositionLocked(GetSymbolLocked(symbol), now)];
            return Task.FromResult(positions);
        }
    }

    public Task<decimal> GetBalanceAsync(string asset, CancellationToken cancellationToken = default)
    {
        if (!string.Equals(asset, "USDT", StringComparison.OrdinalIgnoreCase))
        {
            throw new ExchangeException(ExchangeErrorKind.NotFound, $"asset '{asset}' is not held on {VenueName}; the margin asset is USDT");
        }

        lock (_gate)
        {
            return Task.FromResult(Math.Round(_wallet, 8));
        }
    }

    public Task<decimal> GetLatestPriceAsync(string symbol, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(GetSymbolLocked(symbol).LastPrice);
        }
    }

    public Task<IReadOnlyList<Candle>> GetHistoricalKlinesAsync(string symbol, string interval, int limit, CancellationToken cancellationToken = default)
    {
        if (!KlineInterval.IsValid(interval))
        {
            KlineInterval.ToTimeSpan(interval);
        }

        if (limit is <= 0 or > 1500)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"limit {limit} must be between 1 and 1500");
        }

        lock (_gate)
        {
            var s = GetSymbolLocked(symbol);
            _closedScratch.Clear();
            s.Candles.Roll(_time.GetUtcNow(), _closedScratch);
            _closedScratch.Clear();
            return Task.FromResult(s.Candles.History(interval, limit));
        }
    }

    public Task<IReadOnlyList<SymbolRules>> FetchExchangeInfoAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<SymbolRules> rules = symbol is null
                ? _symbols.Values.Select(s => s.Rules).ToArray()
                : [GetSymbolLocked(symbol).Rules];
            return Task.FromResult(rules);
        }
    }

    public Task<SymbolRules> GetSymbolInfoAsync(string symbol, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(GetSymbolLocked(symbol).Rules);
        }
    }

    public Task<IReadOnlyList<string>> GetSymbolsAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> symbols = _symbols.Keys.ToArray();
        return Task.FromResult(symbols);
    }

    public Task<FundingRate> GetFundingRateAsync(string symbol, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult(FundingLocked(GetSymbolLocked(symbol), _time.GetUtcNow()));
        }
    }

    public Task<IReadOnlyList<FundingRate>> GetFundingRatesAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            IReadOnlyList<FundingRate> rates = _symbols.Values.Select(s => FundingLocked(s, now)).ToArray();
            return Task.FromResult(rates);
        }
    }

    /// <summary>Past settlements every 8 hours, newest first; the rate wobbles deterministically around the configured one.</summary>
    public Task<IReadOnlyList<FundingRate>> GetHistoricalFundingRatesAsync(string symbol, int limit, CancellationToken cancellationToken = default)
    {
        if (limit is <= 0 or > 1000)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, $"limit {limit} must be between 1 and 1000");
        }

        lock (_gate)
        {
            var s = GetSymbolLocked(symbol);
            var last = KlineInterval.Align(_time.GetUtcNow(), TimeSpan.FromHours(8));
            var rates = new List<FundingRate>(limit);
            for (var i = 0; i < limit; i++)
            {
                var time = last.AddHours(-8 * i);
                var wobble = ((time.ToUnixTimeSeconds() / 28_800) + s.Rules.Symbol.Length) % 7 - 3;
                var rate = s.Options.FundingRate + (wobble * 0.00001m);
                rates.Add(new FundingRate { Exchange = VenueName, Symbol = s.Rules.Symbol, Rate = rate, PredictedRate = rate, NextFundingTime = time.AddHours(8), Timestamp = time });
            }

            return Task.FromResult<IReadOnlyList<FundingRate>>(rates);
        }
    }

    public Task<IReadOnlyList<Ticker>> GetTickersAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            IReadOnlyList<Ticker> tickers = _symbols.Values.Select(s => TickerLocked(s, now)).ToArray();
            return Task.FromResult(tickers);
        }
    }

    public Task<decimal> GetOpenInterestAsync(string symbol, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var s = GetSymbolLocked(symbol);
            return Task.FromResult(s.Options.OpenInterest + Math.Abs(s.Position.Size));
        }
    }

    // The answer changes only when the market starts running (the instruments are fixed at construction), so each of the
    // two is made once: a watcher asks every second (a replay's day, 86,400 times).
    public Task<ExchangeHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => _runner is null
        ? _healthByHand ??= Health("driven by hand")
        : _healthRunning ??= Health("running");

    private Task<ExchangeHealth> Health(string market) =>
        Task.FromResult(new ExchangeHealth(true, $"{VenueName}: {_symbols.Count} instruments, market {market}"));

    private Ticker TickerLocked(SimSymbol s, DateTimeOffset now)
    {
        decimal open = 0, volume = 0, quoteVolume = 0;
        var first = true;
        foreach (var bar in s.Candles.MinutesSince(now.AddDays(-1)))
        {
            if (first)
            {
                open = bar.Open;
                first = false;
            }

            volume += bar.Volume;
            quoteVolume += bar.QuoteVolume;
        }

        var change = s.LastPrice - open;
        return new Ticker
        {
            Symbol = s.Rules.Symbol,
            LastPrice = s.LastPrice,
            PriceChange = change,
            PriceChangePercent = open == 0 ? 0 : Math.Round(change / open * 100, 3),
            Volume = volume,
            QuoteVolume = Math.Round(quoteVolume, 2),
            OpenInterest = s.Options.OpenInterest + Math.Abs(s.Position.Size),
            Timestamp = now,
        };
    }

    public IAsyncEnumerable<OrderUpdate> SubscribeOrdersAsync(CancellationToken cancellationToken = default) =>
        _orderSubscribers.Subscribe(null, cancellationToken);

    public IAsyncEnumerable<PriceChange> SubscribePriceAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        var set = KnownSymbols(symbols);
        return _priceSubscribers.Subscribe(p => set.Contains(p.Symbol), cancellationToken);
    }

    public IAsyncEnumerable<Candle> SubscribeKlinesAsync(IReadOnlyCollection<string> symbols, string interval, CancellationToken cancellationToken = default)
    {
        KlineInterval.ToTimeSpan(interval);
        var set = KnownSymbols(symbols);
        var reading = ReadKlines(interval);
        return _klineSubscribers.Subscribe(c => c.Interval == interval && set.Contains(c.Symbol), cancellationToken, reading.Dispose);
    }

    public IAsyncEnumerable<Account> SubscribeAccountAsync(CancellationToken cancellationToken = default) =>
        _accountSubscribers.Subscribe(null, cancellationToken);

    public IAsyncEnumerable<Position> SubscribePositionsAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        if (symbol is null)
        {
            return _positionSubscribers.Subscribe(null, cancellationToken);
        }

        KnownSymbols([symbol]);
        return _positionSubscribers.Subscribe(p => p.Symbol == symbol, cancellationToken);
    }

    public IAsyncEnumerable<TapeTrade> SubscribeTradesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        var set = KnownSymbols(symbols);
        return _tapeSubscribers.Subscribe(t => set.Contains(t.Symbol), cancellationToken);
    }

    public IAsyncEnumerable<BookTop> SubscribeBookTopAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken = default)
    {
        var set = KnownSymbols(symbols);
        return _bookSubscribers.Subscribe(b => set.Contains(b.Symbol), cancellationToken);
    }

    public IAsyncEnumerable<FundingRate> SubscribeFundingRateAsync(string symbol, CancellationToken cancellationToken = default)
    {
        KnownSymbols([symbol]);
        return _fundingSubscribers.Subscribe(f => f.Symbol == symbol, cancellationToken);
    }

    private HashSet<string> KnownSymbols(IReadOnlyCollection<string> symbols)
    {
        if (symbols.Count == 0)
        {
            throw new ExchangeException(ExchangeErrorKind.InvalidArgument, "at least one symbol is required");
        }

        lock (_gate)
        {
            foreach (var symbol in symbols)
            {
                GetSymbolLocked(symbol);
            }
        }

        return new HashSet<string>(symbols, StringComparer.Ordinal);
    }
}
