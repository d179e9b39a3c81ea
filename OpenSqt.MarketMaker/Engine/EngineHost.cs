using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Telemetry;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>One reconciliation run, for operators.</summary>
public sealed record ReconciliationRun(string Id, string Trigger, DateTimeOffset StartedAt)
{
    public string Status { get; set; } = "running";

    public DateTimeOffset? CompletedAt { get; set; }

    public IReadOnlyList<ReconciliationResult> Results { get; set; } = [];
}

/// <summary>
/// Starts and runs the engine: connects to the connector, checks the instruments and the account (pre-start safety
/// check), creates one <see cref="SymbolEngine"/> per configured symbol, routes the order and price streams to them,
/// reconciles at start, every <c>ReconcileInterval</c>, after every stream reconnect and on request, and watches the
/// connector. On shutdown it cancels working orders of symbols with <c>CancelOnExit</c>.
/// </summary>
public sealed partial class EngineHost : BackgroundService
{
    private readonly IExchange _exchange;
    private readonly RemoteExchange? _remote;
    private readonly OrderGateway _gateway;
    private readonly RiskState _risk;
    private readonly EngineMetrics _metrics;
    private readonly MarketMakerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<EngineHost> _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ConcurrentDictionary<string, SymbolEngine> _engines = new(StringComparer.Ordinal);
    private readonly List<EngineStateStore> _stores = [];
    private readonly Channel<(string Trigger, string? Symbol, ReconciliationRun? Run)> _reconcileRequests = Channel.CreateBounded<(string, string?, ReconciliationRun?)>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly ConcurrentDictionary<string, ReconciliationRun> _runs = new(StringComparer.Ordinal);
    private readonly ConnectorLeaseKeeper? _lease;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _ready;
    private long _runCounter;
    private int _stopRequested;
    private int _storeFailed;

    public EngineHost(IExchange exchange, OrderGateway gateway, RiskState risk, EngineMetrics metrics, IOptions<MarketMakerOptions> options,
        TimeProvider time, ILoggerFactory loggers, IHostApplicationLifetime lifetime)
    {
        _exchange = exchange;
        _remote = exchange as RemoteExchange;
        _gateway = gateway;
        _risk = risk;
        _metrics = metrics;
        _options = options.Value;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<EngineHost>();
        _lifetime = lifetime;
        _lease = _remote is null ? null : new ConnectorLeaseKeeper(_remote, risk, TimeSpan.FromSeconds(_options.LeaseSeconds), time, _loggers.CreateLogger<ConnectorLeaseKeeper>());
        _risk.Changed += OnRiskChanged;
        _metrics.Figures = Figures;
    }

    public Broadcast<PositionEvent> Positions { get; } = new();

    public IReadOnlyDictionary<string, SymbolEngine> Engines => _engines;

    /// <summary>True once the first reconciliation of every symbol has passed.</summary>
    public bool Ready => _ready;

    /// <summary>
    /// Completes when the engines exist and run (after connect and the pre-start checks), their pumps launched and the wait
    /// before the first reconciliation begun: from then on the start goes on only as time passes.
    /// </summary>
    public Task Started => _started.Task;

    public string Venue => _exchange.Name;

    public ReconciliationRun? Run(string id) => _runs.TryGetValue(id, out var run) ? run : null;

    /// <summary>Queues a reconciliation of one symbol (or all) and returns its run.</summary>
    public ReconciliationRun RequestReconciliation(string trigger, string? symbol)
    {
        var id = "rec" + Interlocked.Increment(ref _runCounter).ToString(CultureInfo.InvariantCulture) + "-" + _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var run = new ReconciliationRun(id, trigger, _time.GetUtcNow());
        _runs[id] = run;
        if (!_reconcileRequests.Writer.TryWrite((trigger, symbol, run)))
        {
            run.Status = "failed";
        }

        return run;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ConnectAsync(stoppingToken).ConfigureAwait(false);
            var prices = await PrepareAsync(stoppingToken).ConfigureAwait(false);
            if (prices is null)
            {
                return;
            }

            // The lease comes before the first order: if this engine dies from now on, the connector cancels its orders.
            if (_lease is not null)
            {
                // Its own connection to the state file: the lease keeper writes from its renewal loop, beside the engines.
                var store = EngineStateStore.Open(_options);
                _stores.Add(store);
                await _lease.StartAsync(store.Book(), store.LeaseId(), store.SaveLeaseId, stoppingToken).ConfigureAwait(false);
            }

            foreach (var engine in _engines.Values)
            {
                engine.Start(prices[engine.Symbol], stoppingToken);
            }

            if (_remote is not null)
            {
                _remote.StreamReconnected += OnStreamReconnected;
            }

            Task[] pumps =
            [
                Task.Run(() => PumpOrdersAsync(stoppingToken), CancellationToken.None),
                Task.Run(() => PumpPricesAsync(stoppingToken), CancellationToken.None),
                Task.Run(() => WatchConnectorAsync(stoppingToken), CancellationToken.None),
                Task.Run(() => TickReconcileAsync(stoppingToken), CancellationToken.None),
                Task.Run(() => PublishMarksAsync(stoppingToken), CancellationToken.None),
                Task.Run(() => PumpFundingAsync(stoppingToken), CancellationToken.None),
                _lease is null ? Task.CompletedTask : Task.Run(() => _lease.RenewAsync(() => RequestReconciliation("lease-lapsed", null), stoppingToken), CancellationToken.None),
                .. _engines.Values.Select(engine => Task.Run(() => PumpMarksAsync(engine, stoppingToken), CancellationToken.None)),
            ];

            // The order stream is live before the first reconciliation, so nothing between the two is missed. Started only
            // once this wait is on the clock: the replay moves its clock on from then, and a wait begun later (this thread
            // held up after saying it had started) would begin at a later time, after the first market event.
            var streamsLive = Task.Delay(TimeSpan.FromMilliseconds(200), _time, stoppingToken);
            _started.TrySetResult();
            await streamsLive.ConfigureAwait(false);
            while (!await ReconcileAllAsync("start", null, null, stoppingToken).ConfigureAwait(false))
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _time, stoppingToken).ConfigureAwait(false);
            }

            _ready = true;
            Log.Ready(_logger, _engines.Count, _exchange.Name);
            await foreach (var (trigger, symbol, run) in _reconcileRequests.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await ReconcileAllAsync(trigger, symbol, run, stoppingToken).ConfigureAwait(false);
            }

            await Task.WhenAll(pumps).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            Log.Crashed(_logger, ex);
            _risk.SetFatal($"the engine stopped: {ex.Message}");
            Environment.ExitCode = 1;
            _lifetime.StopApplication();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var engine in _engines.Values)
        {
            try
            {
                await engine.StopAsync(engine.Grid.CancelOnExit, TimeSpan.FromSeconds(15)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.StopTimedOut(_logger, engine.Symbol);
            }
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_lease is not null)
        {
            await _lease.ReleaseAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (var engine in _engines.Values)
        {
            await engine.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var store in _stores)
        {
            store.Dispose();
        }
    }

    private async Task ConnectAsync(CancellationToken stoppingToken)
    {
        if (_remote is null)
        {
            _risk.SetConnectorProblem(null);
            return;
        }

        while (true)
        {
            try
            {
                await _remote.ConnectAsync(stoppingToken).ConfigureAwait(false);
                _risk.SetConnectorProblem(null);
                return;
            }
            catch (ExchangeException ex)
            {
                _risk.SetConnectorProblem(ex.Message);
                Log.Unreachable(_logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Instrument checks and the pre-start safety check; creates the engines. Null when the engine must not trade.</summary>
    private async Task<Dictionary<string, decimal>?> PrepareAsync(CancellationToken stoppingToken)
    {
        var prices = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var problems = new List<string>();
        Account? account = null;
        IReadOnlyList<Position> positions = [];
        try
        {
            account = await _exchange.GetAccountAsync(stoppingToken).ConfigureAwait(false);
            positions = await _exchange.GetPositionsAsync(null, stoppingToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex)
        {
            problems.Add($"the account could not be read: {ex.Message}");
        }

        var rulesBySymbol = new Dictionary<string, SymbolRules>(StringComparer.Ordinal);
        for (var i = 0; i < _options.Symbols.Count; i++)
        {
            var grid = _options.Symbols[i];
            var key = string.Create(CultureInfo.InvariantCulture, $"{MarketMakerOptions.SectionName}:Symbols:{i}");
            SymbolRules rules;
            decimal price;
            try
            {
                rules = await _exchange.GetSymbolInfoAsync(grid.Symbol, stoppingToken).ConfigureAwait(false);
                price = await _exchange.GetLatestPriceAsync(grid.Symbol, stoppingToken).ConfigureAwait(false);
            }
            catch (ExchangeException ex)
            {
                problems.Add($"{key}:Symbol: '{grid.Symbol}' cannot be traded on {_exchange.Name}: {ex.Message}");
                continue;
            }

            rulesBySymbol[grid.Symbol] = rules;
            prices[grid.Symbol] = price;
            if (grid.PriceInterval < rules.TickSize || !rules.IsOnTick(grid.PriceInterval))
            {
                problems.Add($"{key}:PriceInterval: {grid.PriceInterval} must be a positive multiple of the tick size {rules.TickSize.Normalize()} of {grid.Symbol}");
            }

            var quantity = rules.RoundQuantityDown(grid.OrderQuantity / price);
            if (rules.Check(quantity, rules.RoundPrice(price)) is { } violation)
            {
                problems.Add($"{key}:OrderQuantity: {grid.OrderQuantity} {rules.QuoteAsset} per level gives {quantity.Normalize()} {rules.BaseAsset} at {price.Normalize()}, which the venue refuses ({violation}); raise it");
            }

            var hasPosition = positions.Any(p => p.Symbol == grid.Symbol && p.Size != 0);
            if (account is not null && !hasPosition)
            {
                problems.AddRange(SafetyCheck(key, grid, account, rules, price, quantity));
            }
        }

        if (_options.ResetStateOnStart)
        {
            if (_exchange.Name != "sim")
            {
                problems.Add($"{MarketMakerOptions.SectionName}:ResetStateOnStart is only allowed against the sim venue, not {_exchange.Name}: it would forget real orders and positions");
            }
            else
            {
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                {
                    File.Delete(Path.GetFullPath(_options.StatePath) + suffix);
                }

                Log.StateReset(_logger, Path.GetFullPath(_options.StatePath));
            }
        }

        if (_options.InMemoryState is not null && _exchange.Name != "sim")
        {
            problems.Add($"{MarketMakerOptions.SectionName}:InMemoryState (the replay's state in memory) is only allowed against the sim venue, not {_exchange.Name}: a crash would forget real orders and positions");
        }

        if (_options.Testing.CrashAt != CrashPoint.None)
        {
            if (_exchange.Name != "sim")
            {
                problems.Add($"{MarketMakerOptions.SectionName}:Testing:CrashAt is fault injection for the crash tests, only allowed against the sim venue, not {_exchange.Name}");
            }
            else
            {
                Log.CrashArmed(_logger, _options.Testing.CrashAt);
            }
        }

        if (problems.Count > 0)
        {
            var message = "The engine refuses to start: " + string.Join("; ", problems);
            Log.StartRefused(_logger, message);
            _risk.SetFatal(message);
            Environment.ExitCode = 1;
            _lifetime.StopApplication();
            return null;
        }

        foreach (var grid in _options.Symbols)
        {
            var store = EngineStateStore.Open(_options);
            _stores.Add(store);
            _engines[grid.Symbol] = new SymbolEngine(grid, rulesBySymbol[grid.Symbol], _options, store, _gateway, _risk, _metrics, Positions, _time,
                _loggers.CreateLogger("OpenSqt.MarketMaker.Engine." + grid.Symbol), AssetPrice);
        }

        return prices;
    }

    /// <summary>OpenSQT's pre-start safety check, for a symbol without a position.</summary>
    private IEnumerable<string> SafetyCheck(string key, GridOptions grid, Account account, SymbolRules rules, decimal price, decimal quantity)
    {
        if (account.Leverage > _options.MaxLeverage)
        {
            yield return $"account leverage {account.Leverage} exceeds {MarketMakerOptions.SectionName}:MaxLeverage ({_options.MaxLeverage})";
        }

        if (account.AvailableBalance <= 0)
        {
            yield return $"the available balance is {account.AvailableBalance.Normalize()}; nothing can be traded";
        }
        else if (_options.PositionSafetyCheck > 0)
        {
            var leverage = Math.Max(1, account.Leverage);
            var capacity = account.AvailableBalance * leverage;
            var needed = grid.OrderQuantity * _options.PositionSafetyCheck;
            if (capacity < needed)
            {
                yield return $"{key}:OrderQuantity: {_options.PositionSafetyCheck} grid orders of {grid.OrderQuantity} need {needed} {rules.QuoteAsset} of position, but the balance {account.AvailableBalance.Normalize()} at leverage {leverage} carries {capacity.Normalize()} ({MarketMakerOptions.SectionName}:PositionSafetyCheck={_options.PositionSafetyCheck})";
            }
        }

        var level = rules.RoundPrice(price);
        var fees = ((level * quantity) + ((level + grid.PriceInterval) * quantity)) * grid.MakerFeeRate;
        if (((level + grid.PriceInterval) * quantity) - (level * quantity) - fees <= 0)
        {
            yield return $"{key}:PriceInterval: one interval of {grid.PriceInterval} earns {(grid.PriceInterval * quantity).Normalize()} on {quantity.Normalize()} {rules.BaseAsset}, which does not pay the round-trip fees {fees.Normalize()}";
        }
    }

    private async Task PumpOrdersAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var update in _exchange.SubscribeOrdersAsync(stoppingToken).ConfigureAwait(false))
                {
                    if (_engines.TryGetValue(update.Symbol, out var engine))
                    {
                        await engine.OnOrderUpdateAsync(update, stoppingToken).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _risk.SetConnectorProblem($"order stream lost: {ex.Message}");
                Log.StreamFailed(_logger, "orders", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), _time, stoppingToken).ConfigureAwait(false);
                Unreconcile("orders stream resubscribed");
            }
        }
    }

    /// <summary>The price of another traded symbol, for fees paid in a third asset; 0 when the engine does not trade it.</summary>
    private decimal AssetPrice(string symbol) => _engines.TryGetValue(symbol, out var engine) ? engine.ValuationPrice : 0m;

    /// <summary>
    /// The venue's mark price of one symbol, from its funding-rate feed (Binance's markPrice stream carries both). A venue
    /// whose feed carries no mark leaves the engine on the last trade price.
    /// </summary>
    private async Task PumpMarksAsync(SymbolEngine engine, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var rate in _exchange.SubscribeFundingRateAsync(engine.Symbol, stoppingToken).ConfigureAwait(false))
                {
                    engine.OnMark(rate);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Log.StreamFailed(_logger, "mark price", ex.Message);
            }

            await Task.Delay(TimeSpan.FromSeconds(2), _time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Funding payments the venue reports on the account stream, each to its symbol's books.</summary>
    private async Task PumpFundingAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var account in _exchange.SubscribeAccountAsync(stoppingToken).ConfigureAwait(false))
                {
                    foreach (var fee in account.FundingFees)
                    {
                        if (_engines.TryGetValue(fee.Symbol, out var engine))
                        {
                            await engine.OnFundingAsync(fee, stoppingToken).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                Log.StreamFailed(_logger, "account", ex.Message);
            }

            await Task.Delay(TimeSpan.FromSeconds(2), _time, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task PumpPricesAsync(CancellationToken stoppingToken)
    {
        var symbols = _engines.Keys.ToArray();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                SymbolEngine? engine = null;
                await foreach (var change in _exchange.SubscribePriceAsync(symbols, stoppingToken).ConfigureAwait(false))
                {
                    // The symbol of the tick before is compared first: one symbol's ticks come in runs (an engine of one
                    // symbol sees nothing else), and a comparison costs less than hashing the symbol for every tick.
                    if ((engine is not null && string.Equals(engine.Symbol, change.Symbol, StringComparison.Ordinal)) || _engines.TryGetValue(change.Symbol, out engine))
                    {
                        engine.OnPrice(change);
                    }
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _risk.SetConnectorProblem($"price stream lost: {ex.Message}");
                _risk.OnPriceGap();
                Log.StreamFailed(_logger, "price", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Asks the connector how it is every second; while it does not serve, nothing is placed.</summary>
    private async Task WatchConnectorAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            ExchangeHealth health;
            try
            {
                health = await _exchange.CheckHealthAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                health = new ExchangeHealth(false, ex.Message);
            }

            var wasDown = _risk.ConnectorProblem is not null;
            if (wasDown && health.IsHealthy)
            {
                // Before the connector counts as back: the decision its return triggers must already wait for the
                // reconciliation.
                Log.ConnectorBack(_logger, health.Description);
                Unreconcile("connector reachable again");
            }

            _risk.SetConnectorProblem(health.IsHealthy ? null : health.Description);
            if (!health.IsHealthy)
            {
                _risk.OnPriceGap();
            }
        }
    }

    private async Task TickReconcileAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.ReconcileInterval, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            _reconcileRequests.Writer.TryWrite(("interval", null, null));
        }
    }

    /// <summary>Once a second, a "mark" position update for each symbol whose price moved, so subscribers see unrealised PnL live.</summary>
    private async Task PublishMarksAsync(CancellationToken stoppingToken)
    {
        var published = new Dictionary<string, decimal>(StringComparer.Ordinal);

        // The engines are all made before the pumps start and never change after: taken once, not copied out of the
        // concurrent dictionary (under all its locks) every second.
        var engines = _engines.Values.ToArray();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            foreach (var engine in engines)
            {
                var price = engine.ValuationPrice;
                if (price > 0 && (!published.TryGetValue(engine.Symbol, out var last) || last != price))
                {
                    published[engine.Symbol] = price;
                    Positions.Publish(new PositionEvent(engine.Symbol, engine.Snapshot, price, "mark", null));
                }
            }
        }
    }

    private void OnStreamReconnected(object? sender, StreamReconnectedEventArgs e)
    {
        Log.Reconnected(_logger, e.Stream, e.Downtime);
        _risk.OnStreamReconnected(e.Stream);
        if (e.Stream is "orders" or "price")
        {
            Unreconcile($"{e.Stream} stream reconnected");
        }
    }

    /// <summary>
    /// One reconciliation of every symbol (or one): a run, and where it saw a difference for the first time, a second
    /// run <c>ReconcileConfirmDelay</c> later that acts on what persists. A symbol trades again once its reconciliation
    /// has finished; one that failed while a symbol waits for it is tried again.
    /// </summary>
    private async Task<bool> ReconcileAllAsync(string trigger, string? symbol, ReconciliationRun? run, CancellationToken stoppingToken)
    {
        var results = new Dictionary<string, ReconciliationResult>(StringComparer.Ordinal);
        var engines = _engines.Values.Where(e => symbol is null || symbol.Length == 0 || e.Symbol == symbol).ToArray();
        var ok = true;
        var pending = new List<SymbolEngine>();
        foreach (var engine in engines)
        {
            var result = await ReconcileOneAsync(engine, trigger, final: false, stoppingToken).ConfigureAwait(false);
            results[engine.Symbol] = result;
            ok &= result.Error is null;
            if (result.Pending)
            {
                pending.Add(engine);
            }
        }

        if (pending.Count > 0)
        {
            await Task.Delay(_options.ReconcileConfirmDelay, _time, stoppingToken).ConfigureAwait(false);
            foreach (var engine in pending)
            {
                var result = await ReconcileOneAsync(engine, trigger, final: true, stoppingToken).ConfigureAwait(false);
                results[engine.Symbol] = result;
                ok &= result.Error is null;
            }
        }

        foreach (var result in results.Values.Where(r => r.Error is null))
        {
            Log.Reconciled(_logger, result.Symbol, trigger, result.PositionMatch, result.LocalPosition, result.VenuePosition, result.MissingOrders, result.UnknownOrders);
        }

        if (run is not null)
        {
            run.Results = results.Values.ToArray();
            run.CompletedAt = _time.GetUtcNow();
            run.Status = ok ? "completed" : "failed";
        }

        if (!ok && _ready && engines.Any(e => !e.Reconciled))
        {
            // A symbol that waits for this reconciliation (after a reconnect) must not wait for the next interval.
            _ = RetryLaterAsync(trigger, symbol, stoppingToken);
        }

        return ok;
    }

    private async Task<ReconciliationResult> ReconcileOneAsync(SymbolEngine engine, string trigger, bool final, CancellationToken stoppingToken)
    {
        try
        {
            return await engine.ReconcileAsync(final, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            Log.ReconcileFailed(_logger, engine.Symbol, trigger, ex.Message);
            if (ex is ExchangeException { Kind: ExchangeErrorKind.Unavailable })
            {
                _risk.SetConnectorProblem(ex.Message);
            }

            return new ReconciliationResult(engine.Symbol, false, engine.Snapshot.Position, 0, 0, false, 0, 0, ex.Message);
        }
    }

    private async Task RetryLaterAsync(string trigger, string? symbol, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), _time, stoppingToken).ConfigureAwait(false);
            RequestReconciliation(trigger, symbol);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>What the engine heard of the venue may have a gap: every symbol waits for the reconciliation that follows.</summary>
    private void Unreconcile(string trigger)
    {
        foreach (var engine in _engines.Values)
        {
            engine.Unreconcile();
        }

        RequestReconciliation(trigger, null);
    }

    private void OnRiskChanged()
    {
        var storeFailed = _risk.StoreFailure is not null;
        if (Interlocked.Exchange(ref _storeFailed, storeFailed ? 1 : 0) == 1 && !storeFailed)
        {
            // Fills and states that could not be written while the store failed are read back from the venue first.
            foreach (var engine in _engines.Values)
            {
                engine.ReloadAfterStoreFailure();
            }

            RequestReconciliation("state store works again", null);
        }

        if (_risk.FatalError is { } fatal && Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            // A fatal error (hedge-mode account, refused credentials, bad configuration) stops the engine; working
            // orders are cancelled on the way out where CancelOnExit is set.
            Log.Fatal(_logger, fatal);
            Environment.ExitCode = 1;
            _lifetime.StopApplication();
        }

        PokeAll();
    }

    private void PokeAll()
    {
        foreach (var engine in _engines.Values)
        {
            engine.Poke();
        }
    }

    private IEnumerable<SymbolFigures> Figures() =>
        _engines.Values.Select(e =>
        {
            var s = e.Snapshot;
            return new SymbolFigures(e.Symbol, s.WorkingOrders, (double)s.Position, (double)s.Pnl.Realised, (double)s.UnrealisedPnl(e.ValuationPrice), _risk.HaltReason(e.Symbol) is not null);
        }).ToArray();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Engine cannot reach the ExchangeConnector and places nothing: {Reason}")]
        public static partial void Unreachable(ILogger logger, string reason);

        [LoggerMessage(2, LogLevel.Critical, "{Message}")]
        public static partial void StartRefused(ILogger logger, string message);

        [LoggerMessage(3, LogLevel.Information, "Engine ready: {Count} symbol(s) reconciled with {Venue}")]
        public static partial void Ready(ILogger logger, int count, string venue);

        [LoggerMessage(4, LogLevel.Warning, "Stream {Stream} failed: {Reason}")]
        public static partial void StreamFailed(ILogger logger, string stream, string reason);

        [LoggerMessage(5, LogLevel.Information, "Stream {Stream} reconnected after {Downtime}; reconciling")]
        public static partial void Reconnected(ILogger logger, string stream, TimeSpan downtime);

        [LoggerMessage(6, LogLevel.Warning, "Reconciliation of {Symbol} ({Trigger}) failed: {Reason}")]
        public static partial void ReconcileFailed(ILogger logger, string symbol, string trigger, string reason);

        [LoggerMessage(7, LogLevel.Information, "Reconciled {Symbol} ({Trigger}): position match {Match} (local {Local}, venue {Venue}), {Missing} missing and {Unknown} unknown order(s)")]
        public static partial void Reconciled(ILogger logger, string symbol, string trigger, bool match, decimal local, decimal venue, int missing, int unknown);

        [LoggerMessage(8, LogLevel.Critical, "The engine stopped")]
        public static partial void Crashed(ILogger logger, Exception exception);

        [LoggerMessage(9, LogLevel.Warning, "{Symbol}: stop timed out")]
        public static partial void StopTimedOut(ILogger logger, string symbol);

        [LoggerMessage(12, LogLevel.Warning, "State file {Path} deleted at start (MarketMaker:ResetStateOnStart, sim venue)")]
        public static partial void StateReset(ILogger logger, string path);

        [LoggerMessage(11, LogLevel.Critical, "The engine stops: {Reason}")]
        public static partial void Fatal(ILogger logger, string reason);

        [LoggerMessage(13, LogLevel.Critical, "FAULT INJECTION: MarketMaker:Testing:CrashAt={Point}: this engine kills itself with SIGKILL the first time it reaches that point (crash tests only)")]
        public static partial void CrashArmed(ILogger logger, CrashPoint point);

        [LoggerMessage(10, LogLevel.Information, "Connector reachable again ({Description}); reconciling")]
        public static partial void ConnectorBack(ILogger logger, string description);
    }
}
