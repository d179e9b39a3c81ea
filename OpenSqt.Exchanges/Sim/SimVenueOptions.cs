using System.ComponentModel.DataAnnotations;

namespace OpenSqt.Exchanges.Sim;

/// <summary>The simulated venue. Section <c>Exchanges:Sim</c>.</summary>
public sealed class SimVenueOptions
{
    public const string SectionName = "Exchanges:Sim";

    /// <summary>Seed of the price process: the same seed gives the same market.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Whether the market moves by itself (one step per <see cref="TickInterval"/>). Tests drive it by hand.</summary>
    public bool AutoAdvance { get; set; } = true;

    /// <summary>Time between two price steps.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>One-minute candles generated as history at start.</summary>
    [Range(0, 20_000)]
    public int HistoryMinutes { get; set; } = 3 * 1440;

    /// <summary>Wallet balance in USDT at start.</summary>
    [Range(typeof(decimal), "0", "1000000000")]
    public decimal InitialBalance { get; set; } = 10_000m;

    [Range(typeof(decimal), "-0.01", "0.01")]
    public decimal MakerFeeRate { get; set; } = 0.0002m;

    [Range(typeof(decimal), "0", "0.01")]
    public decimal TakerFeeRate { get; set; } = 0.0005m;

    [Range(1, 125)]
    public int Leverage { get; set; } = 10;

    /// <summary>Maintenance margin rate used for the liquidation price estimate.</summary>
    [Range(typeof(decimal), "0", "0.5")]
    public decimal MaintenanceMarginRate { get; set; } = 0.004m;

    /// <summary>Slippage of market orders from the last price, in basis points.</summary>
    [Range(typeof(decimal), "0", "1000")]
    public decimal MarketSlippageBps { get; set; } = 5m;

    /// <summary>Quote amount an aggressive limit order can take at once at the touch; beyond it the order rests (GTC) or expires (IOC, FOK).</summary>
    [Range(typeof(decimal), "0", "1000000000")]
    public decimal ImmediateLiquidityQuote { get; set; } = 250_000m;

    /// <summary>How often position and account snapshots follow the mark price while nothing trades.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan MarkPublishInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether this account may use the cancel-all countdown. Real venues refuse it to some accounts and keys (for
    /// example Bybit's disconnection protection must be enabled for the account); false makes the sim refuse it too.
    /// </summary>
    public bool AllowCountdown { get; set; } = true;

    /// <summary>
    /// Time from an order's placement until it can be filled resting on the book: a resting order matches only trades
    /// printed at or after its arrival. Zero (the default) makes every order rest at once. The replay sets it to model the
    /// trip to the venue.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan OrderLatency { get; set; }

    /// <summary>How much of a trade at a resting order's price is the order's (see <see cref="SimQueueModel"/>).</summary>
    public SimQueueModel QueueModel { get; set; } = SimQueueModel.Touch;

    /// <summary>The instruments; the defaults when empty.</summary>
    public List<SimSymbolOptions> Symbols { get; set; } = [];

    public IReadOnlyList<SimSymbolOptions> EffectiveSymbols => Symbols.Count > 0 ? Symbols : SimSymbolOptions.Defaults;
}

/// <summary>Which trades fill a resting order.</summary>
public enum SimQueueModel
{
    /// <summary>Any trade at or through the order's price fills it, up to the trade's size (the sim's live behaviour).</summary>
    Touch = 0,

    /// <summary>Only a trade strictly through the order's price fills it: the order is assumed last in the queue.</summary>
    TradeThrough = 1,

    /// <summary>
    /// A trade through the price fills; a trade at the price first works off the size displayed ahead of the order (the
    /// best bid or ask size when the order's price is the touch, from <see cref="SimExchange.SetBook"/>), and fills the
    /// order only with what is left. Without book data the order is treated as <see cref="TradeThrough"/>.
    /// </summary>
    QueuePosition = 2,
}

/// <summary>One simulated instrument: rules in the spirit of the major venues, and its price process.</summary>
public sealed class SimSymbolOptions
{
    [Required]
    public string Symbol { get; set; } = "";

    [Required]
    public string BaseAsset { get; set; } = "";

    public string QuoteAsset { get; set; } = "USDT";

    /// <summary>Price at the start of the generated history.</summary>
    public decimal StartPrice { get; set; }

    public decimal TickSize { get; set; }

    public decimal StepSize { get; set; }

    public decimal MinQuantity { get; set; }

    public decimal MinNotional { get; set; } = 5m;

    public decimal MaxQuantity { get; set; }

    /// <summary>Annualised volatility of the price process (0.6 = 60 %).</summary>
    public double AnnualVolatility { get; set; } = 0.6;

    /// <summary>Mean traded base volume per minute.</summary>
    public decimal VolumePerMinute { get; set; }

    /// <summary>Funding rate per 8 hours.</summary>
    public decimal FundingRate { get; set; } = 0.0001m;

    /// <summary>Open interest of the rest of the market, in base units.</summary>
    public decimal OpenInterest { get; set; }

    public static IReadOnlyList<SimSymbolOptions> Defaults { get; } =
    [
        new() { Symbol = "BTCUSDT", BaseAsset = "BTC", StartPrice = 95_000m, TickSize = 0.1m, StepSize = 0.001m, MinQuantity = 0.001m, MinNotional = 100m, MaxQuantity = 1000m, AnnualVolatility = 0.55, VolumePerMinute = 150m, OpenInterest = 85_000m },
        new() { Symbol = "ETHUSDT", BaseAsset = "ETH", StartPrice = 3_400m, TickSize = 0.01m, StepSize = 0.001m, MinQuantity = 0.001m, MinNotional = 20m, MaxQuantity = 10_000m, AnnualVolatility = 0.7, VolumePerMinute = 2_500m, OpenInterest = 2_000_000m },
        new() { Symbol = "SOLUSDT", BaseAsset = "SOL", StartPrice = 180m, TickSize = 0.01m, StepSize = 0.01m, MinQuantity = 0.01m, MinNotional = 5m, MaxQuantity = 100_000m, AnnualVolatility = 0.9, VolumePerMinute = 20_000m, OpenInterest = 9_000_000m },
        new() { Symbol = "XRPUSDT", BaseAsset = "XRP", StartPrice = 2.2m, TickSize = 0.0001m, StepSize = 0.1m, MinQuantity = 0.1m, MinNotional = 5m, MaxQuantity = 10_000_000m, AnnualVolatility = 0.85, VolumePerMinute = 1_200_000m, OpenInterest = 400_000_000m },
        new() { Symbol = "DOGEUSDT", BaseAsset = "DOGE", StartPrice = 0.32m, TickSize = 0.00001m, StepSize = 1m, MinQuantity = 1m, MinNotional = 5m, MaxQuantity = 50_000_000m, AnnualVolatility = 1.0, VolumePerMinute = 6_000_000m, OpenInterest = 3_000_000_000m },
    ];
}
