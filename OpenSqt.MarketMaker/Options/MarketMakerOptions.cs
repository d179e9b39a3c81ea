using System.ComponentModel.DataAnnotations;

namespace OpenSqt.MarketMaker.Options;

/// <summary>Whether the grid only buys below the price (long) or also sells short above it (neutral).</summary>
public enum GridMode
{
    Long = 1,
    Neutral = 2,
}

/// <summary>How many monitored symbols must be anomalous before trading halts.</summary>
public enum AnomalyStrategy
{
    /// <summary>Every monitored symbol.</summary>
    All = 1,

    /// <summary>At least one monitored symbol.</summary>
    Any = 2,
}

/// <summary>The engine. Section <c>MarketMaker</c>; every parameter of the OpenSQT grid with OpenSQT's default.</summary>
public sealed class MarketMakerOptions
{
    public const string SectionName = "MarketMaker";

    /// <summary>The symbols to trade, each with its own grid.</summary>
    [Required]
    [MinLength(1)]
    public List<GridOptions> Symbols { get; set; } = [];

    /// <summary>The SQLite file holding slots, orders, client ids, fills and PnL.</summary>
    [Required]
    public string StatePath { get; set; } = "opensqt-engine.db";

    /// <summary>
    /// Deletes the state file at start. Only for development against the sim venue, whose orders and positions do not
    /// survive its own restart (a saved position would otherwise read as a divergence); refused against any other venue.
    /// </summary>
    public bool ResetStateOnStart { get; set; }

    /// <summary>At most one grid adjustment per symbol within this time (OpenSQT: 50 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan Throttle { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// For the in-process replay only (<c>OpenSqt.Backtest</c>): a symbol's writer runs on the thread that hands it a
    /// message, instead of being woken on the thread pool. Not read from configuration, and never set live, where it would
    /// run the engine's decisions on the threads of the connector's streams.
    /// </summary>
    public bool InlineWriter { get; internal set; }

    /// <summary>
    /// For the in-process replay only (<c>OpenSqt.Backtest</c>): the engine keeps its state in the shared-cache in-memory
    /// SQLite database of this name instead of the file at <see cref="StatePath"/>; every connection of the engine opens
    /// the same database. A replay's state is thrown away at its start, so its durability buys nothing there, while
    /// writing it to a file cost a replayed day about a third of its processor time in locks and writes. Not read from configuration
    /// (internal setter), refused by the validator without <see cref="InlineWriter"/> (the replay's other switch) and by
    /// the engine against any venue but the sim: a live engine never runs on a store that a crash would lose.
    /// </summary>
    public string? InMemoryState { get; internal set; }

    /// <summary>
    /// With <see cref="InMemoryState"/>: its writes are queued to a thread of their own (see
    /// <c>OpenSqt.MarketMaker.State.StoreWriter</c>) instead of run on the writer's thread; a single replay goes faster on a
    /// machine with a core to spare, while replays that already use every core (a sweep) spend less processor in all
    /// without it. Not read from configuration.
    /// </summary>
    public bool InMemoryStateWriteBehind { get; internal set; }

    /// <summary>Time between two reconciliations with the venue (OpenSQT: 60 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A difference a reconciliation finds (an order missing on the venue, an unknown order, a position difference) is
    /// acted on only if a second run this long after still finds it: long enough for the order stream to deliver what
    /// raced the venue's snapshot.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReconcileConfirmDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Refuse to start when the balance cannot carry this many grid orders (OpenSQT: 100). 0 skips the check.</summary>
    [Range(0, 10_000)]
    public int PositionSafetyCheck { get; set; } = 100;

    /// <summary>
    /// Seconds of the engine's lease at the connector (environment <c>MarketMaker__LeaseSeconds</c>): renewed every third
    /// of it; when the engine dies or hangs longer, the connector cancels the engine's working orders.
    /// </summary>
    [Range(5, 3600)]
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>Refuse to start when the account leverage exceeds this (OpenSQT: 10).</summary>
    [Range(1, 125)]
    public int MaxLeverage { get; set; } = 10;

    [Required]
    public RateLimitOptions RateLimit { get; set; } = new();

    [Required]
    public RetryOptions Retry { get; set; } = new();

    [Required]
    public RiskControlOptions RiskControl { get; set; } = new();

    [Required]
    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();

    [Required]
    public RiskLimitOptions Limits { get; set; } = new();

    [Required]
    public TestingOptions Testing { get; set; } = new();
}

/// <summary>A point of the order lifecycle at which the crash tests kill the engine.</summary>
public enum CrashPoint
{
    None = 0,

    /// <summary>An order is saved in the state file and not sent yet.</summary>
    AfterSaveBeforeSend = 1,

    /// <summary>The venue has answered a place and the engine has not recorded the answer yet.</summary>
    AfterSendBeforeAck = 2,

    /// <summary>A fill is being booked and its transaction is not committed yet.</summary>
    WhileBookingFill = 3,
}

/// <summary>Fault injection for the crash tests. Section <c>MarketMaker:Testing</c>; never set in production.</summary>
public sealed class TestingOptions
{
    /// <summary>
    /// Kills the engine process with SIGKILL the first time it reaches this point, as a power cut would. Only allowed
    /// against the sim venue (the engine refuses to start otherwise) and announced at start.
    /// </summary>
    public CrashPoint CrashAt { get; set; }
}

/// <summary>One symbol's grid. Item of <c>MarketMaker:Symbols</c>.</summary>
public sealed class GridOptions
{
    [Required]
    [RegularExpression("^[A-Z0-9]{2,20}$", ErrorMessage = "must be 2 to 20 upper-case letters or digits, for example BTCUSDT")]
    public string Symbol { get; set; } = "";

    /// <summary>Distance between two grid levels, in quote units (must be a multiple of the tick).</summary>
    [Range(typeof(decimal), "0.00000001", "1000000000")]
    public decimal PriceInterval { get; set; }

    /// <summary>Quote amount per level (for example 30 USDT); the base quantity is this divided by the level price, rounded down to the step.</summary>
    [Range(typeof(decimal), "0.00000001", "1000000000")]
    public decimal OrderQuantity { get; set; }

    /// <summary>Levels below the price that carry a buy (OpenSQT: 10).</summary>
    [Range(1, 200)]
    public int BuyWindowSize { get; set; } = 10;

    /// <summary>Levels above the price within which sells work; defaults to <see cref="BuyWindowSize"/>.</summary>
    [Range(1, 200)]
    public int? SellWindowSize { get; set; }

    public GridMode GridMode { get; set; } = GridMode.Long;

    /// <summary>The most working orders of this symbol; beyond it the cleaner cancels (OpenSQT: 100).</summary>
    [Range(2, 1000)]
    public int OrderCleanupThreshold { get; set; } = 100;

    /// <summary>Orders the cleaner cancels at once, farthest from the price first (OpenSQT: 10).</summary>
    [Range(1, 1000)]
    public int CleanupBatchSize { get; set; } = 10;

    /// <summary>How long an insufficient-margin refusal blocks new buys (OpenSQT: 10 s).</summary>
    [Range(1, 3600)]
    public int MarginLockDurationSeconds { get; set; } = 10;

    /// <summary>
    /// What happens to a close below the venue's minimum quantity or notional (dust: the rest of a partly filled opening).
    /// False (default): the dust waits and merges into the next close of its side. True: it is closed at once with a
    /// reduce-only market order, which Binance takes below the minimum notional ("unless you choose reduce only",
    /// https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code#-4164-min_notional); dust below
    /// the minimum quantity can never be sent and always merges.
    /// </summary>
    public bool CloseDustWithMarketOrder { get; set; }

    /// <summary>Post-only refusals of one slot before it uses a plain limit order (OpenSQT: 3).</summary>
    [Range(1, 100)]
    public int PostOnlyFallbackAfter { get; set; } = 3;

    /// <summary>
    /// How long a level is parked after the venue refuses its order for good (reduce-only with nothing to reduce, below
    /// the minimum, insufficient margin, any other refusal that sending again would not change); doubled on every
    /// further refusal of the same level up to <see cref="MaxRefusalBackoffSeconds"/>, reset by a fill.
    /// </summary>
    [Range(1, 3600)]
    public int RefusalBackoffSeconds { get; set; } = 5;

    /// <summary>The longest a refused level stays parked.</summary>
    [Range(1, 86_400)]
    public int MaxRefusalBackoffSeconds { get; set; } = 300;

    /// <summary>Cancel every working order of the symbol on shutdown.</summary>
    public bool CancelOnExit { get; set; } = true;

    /// <summary>Maker fee rate assumed by the pre-start check that one interval pays a round trip.</summary>
    [Range(typeof(decimal), "-0.01", "0.01")]
    public decimal MakerFeeRate { get; set; } = 0.0002m;

    /// <summary>Largest position of this symbol on either side (base quantity, long or short); 0 means no limit.</summary>
    [Range(typeof(decimal), "0", "1000000000")]
    public decimal MaxPositionSize { get; set; }

    /// <summary>Largest position value of this symbol on either side (quote, at the last price); 0 means no limit.</summary>
    [Range(typeof(decimal), "0", "1000000000000")]
    public decimal MaxNotionalValue { get; set; }

    /// <summary>
    /// Largest position value of this symbol on either side as a multiple of the account's margin balance (the leverage
    /// this symbol may use); 0 means no limit.
    /// </summary>
    [Range(typeof(decimal), "0", "125")]
    public decimal MaxLeverageUsed { get; set; }

    /// <summary>Most orders of this symbol working at once (below OrderCleanupThreshold to bind); 0 means no limit.</summary>
    [Range(0, 1000)]
    public int MaxOpenOrders { get; set; }

    public int EffectiveSellWindowSize => SellWindowSize ?? BuyWindowSize;
}

/// <summary>Outgoing order rate (OpenSQT: 25 per second, burst 30). Section <c>MarketMaker:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    [Range(1, 10_000)]
    public int OrdersPerSecond { get; set; } = 25;

    [Range(1, 10_000)]
    public int Burst { get; set; } = 30;

    /// <summary>
    /// Outgoing orders of one symbol per second, taken before the global bucket, so a symbol that sends a lot (a storm of
    /// replacements) waits in its own queue and leaves the rest of the account's rate to the other symbols' cancels.
    /// </summary>
    [Range(1, 10_000)]
    public int PerSymbolOrdersPerSecond { get; set; } = 20;

    [Range(1, 10_000)]
    public int PerSymbolBurst { get; set; } = 25;
}

/// <summary>Retries of transient failures with exponential backoff and jitter. Section <c>MarketMaker:Retry</c>.</summary>
public sealed class RetryOptions
{
    [Range(0, 20)]
    public int MaxAttempts { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan InitialDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after sending a place whose outcome is unknown the venue may still take it. Before this a lookup that
    /// does not find the order proves nothing; after it, the order never arrived. Binance refuses a signed request older
    /// than its <c>recvWindow</c>, 5000 ms by default (binance/binance-spot-api-docs rest-api.md, "Timing security";
    /// same rule on USD-M futures: developers.binance.com/docs/derivatives/usds-margined-futures/general-info).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00")]
    public TimeSpan PlaceOutcomeWindow { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>The market-anomaly halt. Section <c>MarketMaker:RiskControl</c>.</summary>
public sealed class RiskControlOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Symbols whose klines are watched; OpenSQT's five majors when empty.</summary>
    public List<string> MonitorSymbols { get; set; } = [];

    public IReadOnlyList<string> EffectiveMonitorSymbols => MonitorSymbols.Count > 0 ? MonitorSymbols : DefaultMonitorSymbols;

    /// <summary>Kline interval watched (OpenSQT: 1m).</summary>
    [Required]
    public string Interval { get; set; } = "1m";

    /// <summary>Closed candles averaged (OpenSQT: 20).</summary>
    [Range(2, 1000)]
    public int AverageWindow { get; set; } = 20;

    /// <summary>A candle whose volume exceeds this multiple of the average is a spike (OpenSQT: 3.0).</summary>
    [Range(typeof(decimal), "1", "1000")]
    public decimal VolumeMultiplier { get; set; } = 3.0m;

    public AnomalyStrategy GlobalStrategy { get; set; } = AnomalyStrategy.All;

    /// <summary>Recovered symbols needed to resume (OpenSQT: 3); at most the number of monitored symbols.</summary>
    [Range(1, 100)]
    public int RecoveryThreshold { get; set; } = 3;

    /// <summary>
    /// How long (market time, from the candles) the recovery must hold before buying resumes, so the halt does not flap
    /// on one calm candle between two spikes. 0 resumes at the first recovered candle (OpenSQT's rule).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ResumeAfter { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>The OpenSQT default when none are configured.</summary>
    public static IReadOnlyList<string> DefaultMonitorSymbols { get; } = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"];
}

/// <summary>The circuit breaker. Section <c>MarketMaker:CircuitBreaker</c>.</summary>
public sealed class CircuitBreakerOptions
{
    /// <summary>Losing round trips in a row that trip the breaker.</summary>
    [Range(1, 1000)]
    public int MaxConsecutiveLosses { get; set; } = 5;

    /// <summary>
    /// Drop of a symbol's equity from its peak, in quote units, that halts it until an operator resets it. Equity is the
    /// realised PnL plus the unrealised PnL of the open position at the mark, fees included.
    /// </summary>
    [Range(typeof(decimal), "0.00000001", "1000000000")]
    public decimal MaxDrawdownAmount { get; set; } = 500m;
}

/// <summary>Limits that apply to every symbol. Section <c>MarketMaker:Limits</c>.</summary>
public sealed class RiskLimitOptions
{
    /// <summary>
    /// The oldest price tick (by the time it reached the engine) that orders may be decided on. After the connector or a
    /// stream comes back, only a tick received since counts. Without a fresh price the symbol is Halted and sends nothing.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan MaxTickAge { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Maintenance margin as a share of the margin balance at which every symbol goes Reducing (latched until an
    /// operator resets it). 0 turns the guard off.
    /// </summary>
    [Range(typeof(decimal), "0", "1")]
    public decimal MaxMarginUsage { get; set; } = 0.5m;

    /// <summary>
    /// Distance of the mark price from a position's liquidation price, as a share of the mark, at or below which the
    /// symbol goes Reducing (latched until an operator resets it). 0 turns the guard off.
    /// </summary>
    [Range(typeof(decimal), "0", "1")]
    public decimal MinLiquidationDistance { get; set; } = 0.05m;

    /// <summary>How often the account (margin, liquidation prices, equity for the leverage limit) is read.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan AccountCheckInterval { get; set; } = TimeSpan.FromSeconds(10);
}
