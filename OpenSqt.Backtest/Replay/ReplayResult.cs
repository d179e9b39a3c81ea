using OpenSqt.Contracts;

namespace OpenSqt.Backtest.Replay;

/// <summary>One fill of the replay, with when its order was sent and when it reached the book.</summary>
public sealed record ReplayFill(DateTimeOffset Time, OrderSide Side, decimal Price, decimal Quantity, decimal Fee, string ClientOrderId, bool IsMaker, DateTimeOffset? PlacedAt, DateTimeOffset? ArrivedAt);

/// <summary>One point of the report's curves.</summary>
public readonly record struct ReplaySample(long TimeMs, decimal Price, decimal Equity, decimal Position, decimal Drawdown, decimal Fees);

/// <summary>What a replay produced.</summary>
public sealed record ReplayResult
{
    public required string Symbol { get; init; }
    public required long Events { get; init; }
    public required long Trades { get; init; }
    public required double Seconds { get; init; }

    /// <summary>
    /// Processor time of the thread that drove the events (the engine's and the sim's work on it, not the other threads'),
    /// where the system tells it (Linux); null elsewhere. Steadier than <see cref="Seconds"/> on a shared machine.
    /// </summary>
    public double? DriverCpuSeconds { get; init; }
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    public required IReadOnlyList<ReplayFill> Fills { get; init; }
    public required int RoundTrips { get; init; }
    public required decimal RealisedPnl { get; init; }
    public required decimal Fees { get; init; }
    public required decimal Funding { get; init; }
    public required decimal FinalPosition { get; init; }
    public required decimal VenuePosition { get; init; }

    /// <summary>Orders the engine sent to the venue (each client order id once).</summary>
    public int OrdersPlaced { get; init; }

    /// <summary>The engine's decisions made in full (the rest of its ticks answered from a remembered decision).</summary>
    public long FullDecisions { get; init; }

    /// <summary>Orders still working on the venue once the engine had stopped (none when its symbol cancels on exit).</summary>
    public int WorkingAfterStop { get; init; }
    public required decimal Equity { get; init; }
    public required decimal MaxDrawdown { get; init; }
    public required string QueueModel { get; init; }
    public required TimeSpan OrderLatency { get; init; }
    public required bool HasBook { get; init; }
    public required IReadOnlyList<ReplaySample> Samples { get; init; }

    public double EventsPerSecond => Seconds > 0 ? Events / Seconds : 0;
}
