using Microsoft.Extensions.Configuration;
using OpenSqt.Exchanges.Sim;

namespace OpenSqt.Backtest.Replay;

/// <summary>What one replay runs: the venue's fill model and account, and the engine's own configuration.</summary>
public sealed class ReplaySettings
{
    public required string Symbol { get; init; }

    /// <summary>The engine's configuration (section <c>MarketMaker</c>), as the engine would read it live.</summary>
    public required IConfiguration Engine { get; init; }

    /// <summary>
    /// Where the engine's state database is left after the run (a fresh file, deleted first; written once the run has
    /// finished, from the in-memory database the engine used); null: nowhere.
    /// </summary>
    public string? StatePath { get; init; }

    /// <summary>Time from an order's placement until it rests on the book and can fill.</summary>
    public TimeSpan OrderLatency { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Null: queue position from the book when there is book data, trade-through only when there is not.</summary>
    public SimQueueModel? QueueModel { get; init; }

    public decimal MakerFeeRate { get; init; } = 0.0002m;

    public decimal TakerFeeRate { get; init; } = 0.0005m;

    /// <summary>Funding rate per 8 hours charged on the position at each funding time (the trade files carry none).</summary>
    public decimal FundingRate { get; init; } = 0.0001m;

    public decimal InitialBalance { get; init; } = 10_000m;

    public int Leverage { get; init; } = 10;

    /// <summary>Virtual time the engine gets to start (connect, check, first reconciliation) before the first event.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often (virtual time) a point goes into the report's curves; fills always add one.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether the engine's state writes run on a thread of their own (the replay's thread goes on at once: a day replayed
    /// about 30 % faster on 2 cores) or on the replay's thread (less processor in all: what replays running one per core,
    /// as a sweep's do, want).
    /// </summary>
    public bool StateWritesBehind { get; init; } = true;

    /// <summary>Real time one event may take to settle before the replay gives up (a hung engine).</summary>
    public TimeSpan SettleTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
