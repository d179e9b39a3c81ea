using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Backtest.Data;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Sim;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Extensions;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;

namespace OpenSqt.Backtest.Replay;

/// <summary>
/// Replays market history through the unchanged engine (<see cref="MarketMakerHostingExtensions.AddMarketMakerEngine"/>:
/// the same strategy, risk, order lifecycle and state store as live) against the sim venue's matching, in one process on
/// a <see cref="VirtualClock"/>. For each event: the timers due before it fire first (each followed by a settle), the
/// clock moves to the event, the event goes to the sim (a quote sets the book, a trade prints on the tape and matches
/// resting orders), and the driver waits until the engine has handled everything that followed (quiescence: every
/// published stream item handled, every symbol's writer idle, the thread pool's queue empty) before the next event.
/// </summary>
public sealed class ReplayRunner
{
    private readonly ReplaySettings _settings;
    private readonly ILoggerFactory _loggers;

    public ReplayRunner(ReplaySettings settings, ILoggerFactory? loggers = null)
    {
        _settings = settings;
        _loggers = loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
    }

    public async Task<ReplayResult> RunAsync(MarketData data, CancellationToken cancellationToken)
    {
        var first = data.Events().FirstOrDefault(e => e.Kind == MarketEventKind.Trade);
        if (first.Kind != MarketEventKind.Trade)
        {
            throw new DataFormatException("no trade between the start and the end: nothing to replay");
        }

        var symbolOptions = SimSymbolOptions.Defaults.FirstOrDefault(s => s.Symbol == _settings.Symbol)
            ?? throw new ReplayException($"unknown symbol '{_settings.Symbol}': the replay knows the rules (tick, step, minimums) of {string.Join(", ", SimSymbolOptions.Defaults.Select(s => s.Symbol))}");
        var startTime = DateTimeOffset.FromUnixTimeMilliseconds(first.TimeMs);
        var clock = new VirtualClock(startTime - _settings.WarmUp);
        var queueModel = _settings.QueueModel ?? (data.HasBook ? SimQueueModel.QueuePosition : SimQueueModel.TradeThrough);
        var simOptions = new SimVenueOptions
        {
            AutoAdvance = false,
            // One minute of generated history (the sim needs one bar to roll); the price is set to the data's below.
            HistoryMinutes = 1,
            InitialBalance = _settings.InitialBalance,
            MakerFeeRate = _settings.MakerFeeRate,
            TakerFeeRate = _settings.TakerFeeRate,
            Leverage = _settings.Leverage,
            OrderLatency = _settings.OrderLatency,
            QueueModel = queueModel,
            Symbols =
            [
                new SimSymbolOptions
                {
                    Symbol = symbolOptions.Symbol,
                    BaseAsset = symbolOptions.BaseAsset,
                    QuoteAsset = symbolOptions.QuoteAsset,
                    StartPrice = first.Trade.Price,
                    TickSize = symbolOptions.TickSize,
                    StepSize = symbolOptions.StepSize,
                    MinQuantity = symbolOptions.MinQuantity,
                    MinNotional = symbolOptions.MinNotional,
                    MaxQuantity = symbolOptions.MaxQuantity,
                    FundingRate = _settings.FundingRate,
                    VolumePerMinute = symbolOptions.VolumePerMinute,
                    OpenInterest = symbolOptions.OpenInterest,
                },
            ],
        };
        await using var sim = new SimExchange(Options.Create(simOptions), clock);
        var venue = new ReplayVenue(sim, clock);

        // The venue opens at the first trade's price: the engine anchors its grid there, as it would live.
        sim.Trade(_settings.Symbol, first.Trade.Price, symbolOptions.StepSize);

        if (_settings.StatePath is { } statePath)
        {
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(statePath + suffix);
            }
        }

        // The engine keeps its state in a shared-cache in-memory database of this replay's own (a sweep's or the tests'
        // replays in one process never share one): a replay's state is thrown away, and writing it to a file (three
        // transactions for each of the ~28,000 orders of a day, each with its locks and writes) was about a third of a
        // day's replay. The engine's code is the same as live; only where its connections open differs
        // (MarketMakerOptions.InMemoryState, which only code sets and the engine refuses outside a replay). This
        // connection keeps the database alive from before the engine's first until after its last, and copies it to
        // StatePath once the run is done.
        var stateName = $"opensqt-replay-{Guid.NewGuid():N}";
        using var stateKeeper = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = stateName, Mode = SqliteOpenMode.Memory, Cache = SqliteCacheMode.Shared, Pooling = false }.ToString());
        stateKeeper.Open();

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(_settings.Engine);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["MarketMaker:StatePath"] = _settings.StatePath ?? stateName });
        // The engine's warnings and errors are kept too (the last few), for a replay that stops to say what the engine said.
        var loggers = new RecentProblems(_loggers);
        builder.Services.AddSingleton<ILoggerFactory>(loggers);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<IExchange>(venue);
        builder.Services.AddMarketMakerEngine();

        // The symbol writers run on the replay's thread as the venue delivers to them (see ReplayVenue.Deliver).
        builder.Services.PostConfigure<MarketMakerOptions>(o =>
        {
            o.InlineWriter = true;
            o.InMemoryState = stateName;
            o.InMemoryStateWriteBehind = _settings.StateWritesBehind;
        });
        using var host = builder.Build();
        var engineHost = host.Services.GetRequiredService<EngineHost>();
        var risk = host.Services.GetRequiredService<RiskState>();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            throw new ReplayException("the engine refuses its configuration: " + string.Join("; ", ex.Failures));
        }

        var settle = new Settler(venue, engineHost, _settings.SettleTimeout);
        await WarmUpAsync(clock, settle, engineHost, risk, startTime, loggers, cancellationToken).ConfigureAwait(false);
        loggers.Keeping = false;

        var recorder = new Recorder(venue, _settings.SampleInterval);
        var symbol = _settings.Symbol;
        var driven = await OnOwnThread(() => Drive(data, clock, sim, settle, risk, recorder, symbol, cancellationToken)).ConfigureAwait(false);
        var last = clock.GetUtcNow();
        var engine = engineHost.Engines[symbol];
        var snapshot = engine.Snapshot;
        var fullDecisions = engine.FullDecisions;
        var ordersPlaced = venue.PlacedAt.Count;
        var venuePosition = (await sim.GetPositionsAsync(symbol, cancellationToken).ConfigureAwait(false)).Sum(p => p.Size);
        recorder.Finish(last.ToUnixTimeMilliseconds());
        await StopAsync(host, clock).ConfigureAwait(false);
        var workingAfterStop = (await sim.GetOpenOrdersAsync(symbol, cancellationToken).ConfigureAwait(false)).Count;

        // Disposed before the copy: the engine's last writes (queued to the state's writer, see EngineStateStore) have run.
        host.Dispose();
        if (_settings.StatePath is { } keep)
        {
            // The engine has stopped: its state is complete, and goes to the file with SQLite's online backup.
            using var file = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(keep), Pooling = false }.ToString());
            stateKeeper.BackupDatabase(file);
        }

        return new ReplayResult
        {
            Symbol = symbol,
            Events = driven.Events,
            Trades = driven.Trades,
            Seconds = driven.Seconds,
            DriverCpuSeconds = driven.CpuSeconds,
            Start = startTime,
            End = last,
            Fills = recorder.Fills(_settings.OrderLatency),
            RoundTrips = snapshot.Pnl.RoundTrips,
            RealisedPnl = snapshot.Pnl.Realised,
            Fees = recorder.Fees,
            Funding = recorder.Funding,
            FinalPosition = snapshot.Position,
            VenuePosition = venuePosition,
            WorkingAfterStop = workingAfterStop,
            OrdersPlaced = ordersPlaced,
            FullDecisions = fullDecisions,
            Equity = recorder.Equity,
            MaxDrawdown = recorder.MaxDrawdown,
            QueueModel = queueModel.ToString(),
            OrderLatency = _settings.OrderLatency,
            HasBook = data.HasBook,
            Samples = recorder.Samples,
        };
    }

    /// <summary>
    /// The replay's loop: for each event, the timers due before it, then the event, each followed by the settle. Runs on a
    /// thread of its own (<see cref="OnOwnThread{T}"/>), never a pool worker: work the engine's code queues to the thread
    /// pool while it runs inline here then always asks for a worker of its own, which the pool counts as busy until the
    /// queue is empty, so <see cref="Settler.AfterInlineEvent"/> sees it in the pool's busy count alone. (Run on a pool
    /// worker, such work could sit in that worker's own queue with no other worker asked for, on a pool of one thread.)
    /// </summary>
    private static Driven Drive(MarketData data, VirtualClock clock, SimExchange sim, Settler settle, RiskState risk, Recorder recorder, string symbol, CancellationToken cancellationToken)
    {
        long events = 0, trades = 0;
        var watch = Stopwatch.StartNew();
        var driverCpu = ThreadCpu.Now();

        // The files are read and parsed on another core (ReadAhead), the events taken here in the same order.
        foreach (var e in ReadAhead.Of(data.Events()))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var time = DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs);
            while (clock.FireNext(time))
            {
                settle.AfterInlineEvent();
            }

            clock.AdvanceTo(time);
            events++;
            if (e.Kind == MarketEventKind.Book)
            {
                sim.SetBook(symbol, e.Book.BidPrice, e.Book.BidQuantity, e.Book.AskPrice, e.Book.AskQuantity);
                continue;
            }

            trades++;
            sim.Trade(symbol, e.Trade.Price, e.Trade.Quantity);
            settle.AfterInlineEvent();
            if (risk.FatalError is { } fatal)
            {
                throw new ReplayException($"the engine stopped at {time:O}: {fatal}");
            }

            if (risk.StoreFailure is { } storeFailure)
            {
                // Halted for good: what followed would be a replay of a grid that no longer trades.
                throw new ReplayException($"the engine halted at {time:O}: {storeFailure}");
            }

            recorder.OnTrade(e.Trade);
        }

        settle.Wait();
        watch.Stop();
        return new Driven(events, trades, watch.Elapsed.TotalSeconds, ThreadCpu.Now() - driverCpu);
    }

    /// <summary>What the replay's loop did: the events and trades it replayed, in how long, with how much processor time.</summary>
    private readonly record struct Driven(long Events, long Trades, double Seconds, double? CpuSeconds);

    /// <summary>Runs <paramref name="work"/> on a new thread of its own; the task ends with its result or its exception.</summary>
    private static Task<T> OnOwnThread<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "OpenSqt replay driver",
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// Stops the engine after the last event, its results taken. Its stop waits on the engine's clock (a place still
    /// waiting for a rate-limit token, the exit's paced cancels): the virtual clock runs on, timer after timer, until the
    /// stop is done, instead of the stop waiting out its real-time limits.
    /// </summary>
    private static async Task StopAsync(IHost host, VirtualClock clock)
    {
        var stopping = host.StopAsync(CancellationToken.None);
        while (!stopping.IsCompleted)
        {
            var scheduled = clock.TimerScheduled;
            if (!clock.FireNext(DateTimeOffset.MaxValue))
            {
                await Task.WhenAny(stopping, scheduled).ConfigureAwait(false);
            }
            else
            {
                await Task.Yield();
            }
        }

        await stopping.ConfigureAwait(false);
    }

    /// <summary>
    /// How long, in real time, a start with nothing due on the clock may stay unfinished before it is called stuck. 5 s was
    /// not enough on a loaded CI machine (the live engines of the tests running beside the replay): the start finished
    /// later, with nothing due on the clock meanwhile; what it waited on in real time is not found yet.
    /// </summary>
    private static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(30);

    /// <summary>How long the start's timers wait, in real time, for a busy thread pool before they fire anyway.</summary>
    private static readonly TimeSpan PoolBusyWait = TimeSpan.FromMilliseconds(100);

    /// <summary>Lets the engine connect, check, start its grid and reconcile, on virtual time, before the first event.</summary>
    private static async Task WarmUpAsync(VirtualClock clock, Settler settle, EngineHost engineHost, RiskState risk, DateTimeOffset firstEvent, RecentProblems said, CancellationToken cancellationToken)
    {
        // The engine either starts its symbols or refuses (and says why); both happen on the first, synchronous, part of
        // its start against the in-process venue, so this rarely has to wait.
        var started = Stopwatch.GetTimestamp();
        while (!engineHost.Started.IsCompleted && risk.FatalError is null)
        {
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
            {
                throw new ReplayException("the engine neither started nor refused to start within 30 s");
            }

            await Task.Yield();
        }

        // Real time since the clock last had something to fire while the engine was not ready yet. A look that finds
        // nothing due and everything quiet does not prove the start stuck: a pool worker already running the start's next
        // step (about to set its next timer) is neither queued work nor a busy engine. Only a start that stays that way
        // for StuckAfter of real time, with no timer due before the first event meanwhile, is one that cannot finish in time.
        long? idleSince = null;
        while (!engineHost.Ready)
        {
            if (risk.FatalError is { } fatal)
            {
                throw new ReplayException("the engine refuses to start: " + fatal);
            }

            if (risk.StoreFailure is { } storeFailure)
            {
                throw new ReplayException("the engine halted while starting: " + storeFailure);
            }

            // A timer fires only once no pool worker is busy besides this thread: one may still be running a step of the
            // start (a pump setting its first timer), which a timer fired before it would put later on the clock (under
            // load the pumps' one-second timers, fired while the start's thread was held up, once took the clock to the
            // first event before the start's 200 ms wait began). Where other work shares the pool (tests running beside
            // the replay) it is rarely idle: then the timer fires after PoolBusyWait of real time, as before.
            var poolLooked = Stopwatch.GetTimestamp();
            while (!PoolIdle() && Stopwatch.GetElapsedTime(poolLooked) < PoolBusyWait)
            {
                await Task.Yield();
            }

            settle.Wait();
            if (engineHost.Ready)
            {
                break;
            }

            if (clock.FireNext(firstEvent))
            {
                idleSince = null;
                continue;
            }

            // Nothing due on the clock: the engine is busy with something that needs no time; let it run.
            idleSince ??= Stopwatch.GetTimestamp();
            var idle = Stopwatch.GetElapsedTime(idleSince.Value);
            if (idle < TimeSpan.FromMilliseconds(1))
            {
                await Task.Yield();
                continue;
            }

            if (idle > StuckAfter && !(clock.NextDue <= firstEvent) && !engineHost.Ready && settle.Quiet())
            {
                throw new ReplayException(
                    $"the engine did not finish starting before the first event at {firstEvent:O} (the clock at {clock.GetUtcNow():O}, " +
                    $"its next timer {(clock.NextDue is { } next ? next.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : "none")}); the engine's last warnings: {said.Describe()}");
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }

        settle.Wait();
    }

    /// <summary>Waits, without sleeping, until the engine has handled everything the venue told it.</summary>
    private sealed class Settler(ReplayVenue venue, EngineHost engineHost, TimeSpan timeout)
    {
        // The symbol engines exist once the engine has started and never change after: taken once then. A
        // ConcurrentDictionary's Values copies them on every read and its Count takes all its locks, which in this loop
        // would cost on every event.
        private SymbolEngine[]? _engines;

        // The pool's count of work items done when the driver last found it all quiet. Reading the count is not cheap
        // (it adds up every thread's counter under a lock), so it is read once per event, after it, and the reading
        // serves as the next event's starting point: work the pool did between the two events (none of the driver's)
        // then only sends the next event through the full Wait.
        private long _poolCompleted = ThreadPool.CompletedWorkItemCount;

        /// <summary>Everything, settled: all delivered and handled, and no work queued to the thread pool.</summary>
        // The pending count last, as the dearest look (it walks every pool thread's queue).
        public bool Quiet() => Delivered() && ThreadPool.PendingWorkItemCount == 0;

        /// <summary>Every item the venue published handed to its subscriber, and every symbol's writer idle.</summary>
        private bool Delivered()
        {
            venue.Deliver();
            if (!venue.Drained)
            {
                return false;
            }

            foreach (var engine in Engines())
            {
                if (!engine.IsIdle)
                {
                    return false;
                }
            }

            return true;
        }

        private SymbolEngine[] Engines()
        {
            if (_engines is { } engines)
            {
                return engines;
            }

            // Taken for good only once the engine has started (all its symbol engines made); before, as they are now.
            var started = engineHost.Started.IsCompleted;
            engines = [.. engineHost.Engines.Values];
            if (started)
            {
                _engines = engines;
            }

            return engines;
        }

        /// <summary>
        /// After an event whose consequences ran on this thread (a trade or quote the venue handed to the engine, a
        /// timer the clock fired): when it is all quiet at the first look and the thread pool neither ran anything
        /// meanwhile nor has a worker busy now, everything that followed ran inline and is done; otherwise
        /// <see cref="Wait"/>. On the 20-level bench the pool ran nothing for 1,000,000 trades out of 1,000,000, so this
        /// spares nearly every event the yield of <see cref="Wait"/>; where other work shares the process (tests
        /// running in parallel), the pool is rarely idle and every event goes through <see cref="Wait"/> as before.
        /// The pool's pending count (about 40 ns: it walks every worker's queue) is not read here: from a thread outside
        /// the pool (the replay's loop, <see cref="Drive"/>), whatever the engine's code queues to the pool asks for a
        /// worker, which the pool counts busy from then until it finds the queue empty, so <see cref="PoolIdle"/> sees
        /// queued work too. On a pool worker, work queued to that worker's own queue may ask for no other (a pool of
        /// one thread): there the pending count is read as before.
        /// </summary>
        public void AfterInlineEvent()
        {
            if ((Thread.CurrentThread.IsThreadPoolThread ? Quiet() : Delivered()) && ThreadPool.CompletedWorkItemCount == _poolCompleted && PoolIdle())
            {
                return;
            }

            Wait();
            _poolCompleted = ThreadPool.CompletedWorkItemCount;
        }

        public void Wait()
        {
            var started = Stopwatch.GetTimestamp();
            var spinner = default(SpinWait);
            while (true)
            {
                // Twice, around a yield: a continuation taken off the pool's queue an instant before the first look has
                // had its turn by the second.
                if (Quiet())
                {
                    Thread.Yield();
                    if (Quiet())
                    {
                        return;
                    }
                }

                var waited = Stopwatch.GetElapsedTime(started);
                if (waited > timeout)
                {
                    throw new ReplayException($"the engine did not settle within {timeout.TotalSeconds:0} s of real time (a hung venue call or writer)");
                }

                // Spinning answers the common case (the engine's next step is already running on another core) at once.
                // Past a millisecond the work waited for is queued behind other work: replays of a sweep or of tests
                // running side by side, each spinning like this one on a pool thread, would otherwise hold the cores and
                // the pool's threads the queued work needs (on two cores it took the thread pool's slow injection of new
                // threads, minutes, to get through), so from then on the driver sleeps between looks.
                if (waited > TimeSpan.FromMilliseconds(1))
                {
                    Thread.Sleep(1);
                }
                else
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
            }
        }
    }

    /// <summary>
    /// True when no pool worker runs or is about to run work besides this thread: the pool counts a worker as
    /// processing from the moment work is queued for it until it finds the queue empty
    /// (<c>PortableThreadPool.GetAvailableThreads</c> reports the maximum less those workers), so even a continuation
    /// taken off the queue an instant before this look is seen.
    /// </summary>
    private static bool PoolIdle()
    {
        ThreadPool.GetMaxThreads(out var max, out _);
        ThreadPool.GetAvailableThreads(out var available, out _);
        return max - available <= (Thread.CurrentThread.IsThreadPoolThread ? 1 : 0);
    }

    /// <summary>Follows the account from the fills and funding the engine received: cash, position, equity, drawdown, curves.</summary>
    private sealed class Recorder(ReplayVenue venue, TimeSpan sampleInterval)
    {
        private readonly List<Fill> _fills = [];
        private readonly List<ReplaySample> _samples = [];
        private readonly long _sampleMs = (long)sampleInterval.TotalMilliseconds;
        private decimal _cash;
        private decimal _position;
        private decimal _price;
        private decimal _peak;
        private decimal _cashAndFunding;
        private long _nextSample = long.MinValue;

        public decimal Fees { get; private set; }

        public decimal Funding { get; private set; }

        public decimal MaxDrawdown { get; private set; }

        public decimal Equity => _cashAndFunding + (_position * _price);

        public IReadOnlyList<ReplaySample> Samples => _samples;

        public void OnTrade(TradeTick trade)
        {
            _price = trade.Price;
            var filled = false;
            while (venue.Fills.TryDequeue(out var fill))
            {
                _fills.Add(fill);
                var sign = fill.Side == OrderSide.Buy ? 1 : -1;
                _position += sign * fill.Quantity;
                _cash -= (sign * fill.Quantity * fill.Price) + fill.Fee;
                Fees += fill.Fee;
                filled = true;
            }

            var funded = false;
            while (venue.Funding.TryDequeue(out var fee))
            {
                Funding += fee.Amount;
                funded = true;
            }

            if (filled || funded)
            {
                // Cash and funding change only here (once per fill or payment): summed once, not on every trade.
                _cashAndFunding = _cash + Funding;
            }

            var equity = Equity;
            if (equity > _peak)
            {
                _peak = equity;
            }
            else
            {
                var drawdown = _peak - equity;
                if (drawdown > MaxDrawdown)
                {
                    MaxDrawdown = drawdown;
                }
            }
            if (filled || trade.TimeMs >= _nextSample)
            {
                Sample(trade.TimeMs, equity);
            }
        }

        public void Finish(long timeMs)
        {
            OnTrade(new TradeTick(0, _price, 0, timeMs, false));
            Sample(timeMs, Equity);
        }

        public IReadOnlyList<ReplayFill> Fills(TimeSpan latency) => _fills
            .Select(f =>
            {
                DateTimeOffset? placed = f.ClientOrderId is { } id && venue.PlacedAt.TryGetValue(id, out var at) ? at : null;
                return new ReplayFill(f.Timestamp, f.Side, f.Price, f.Quantity, f.Fee, f.ClientOrderId ?? "", f.IsMaker, placed, placed + latency);
            })
            .ToList();

        private void Sample(long timeMs, decimal equity)
        {
            _samples.Add(new ReplaySample(timeMs, _price, equity, _position, _peak - equity, Fees));
            _nextSample = timeMs - (timeMs % _sampleMs) + _sampleMs;
        }
    }
}

/// <summary>A replay that cannot run or cannot go on: the message says why.</summary>
public sealed class ReplayException(string message) : Exception(message);
