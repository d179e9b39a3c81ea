using OpenSqt.Contracts;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>What operators see of one symbol; replaced as a whole after every change by the symbol's writer.</summary>
public sealed record EngineSnapshot(
    string Symbol,
    decimal Position,
    decimal OpenNotional,
    PnlState Pnl,
    IReadOnlyList<Order> OpenOrders,
    int WorkingOrders,
    decimal? Anchor,
    DateTimeOffset? OpenedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>Average entry price of the net position.</summary>
    public decimal EntryPrice => Position == 0 ? 0 : OpenNotional / Position;

    public decimal UnrealisedPnl(decimal price) => price <= 0 ? 0 : (price * Position) - OpenNotional;
}

/// <summary>A change of a symbol's position, for SubscribePositions.</summary>
public sealed record PositionEvent(string Symbol, EngineSnapshot Snapshot, decimal Price, string UpdateType, Order? Trigger);

/// <summary>One symbol's reconciliation outcome.</summary>
public sealed record ReconciliationResult(string Symbol, bool PositionMatch, decimal LocalPosition, decimal VenuePosition, decimal Divergence, bool Corrected, int MissingOrders, int UnknownOrders, string? Error)
{
    /// <summary>A difference was seen for the first time and is left to the next run to confirm or clear.</summary>
    public bool Pending { get; init; }
}

/// <summary>An order the engine tracks, with the slot it belongs to.</summary>
internal sealed class TrackedOrder(long level, SlotOrder order, long sequence)
{
    public long Level { get; } = level;

    public SlotOrder Order { get; } = order;

    public long Sequence { get; } = sequence;

    /// <summary>A place call of this process is still out: reconciliation must not take the order for lost.</summary>
    public bool PlaceInFlight { get; set; }

    /// <summary>A cancel call of this process is still out.</summary>
    public bool CancelInFlight { get; set; }

    /// <summary>When the tick that caused the order arrived (TimeProvider timestamp), for the tick-to-order latency.</summary>
    public long TickTimestamp { get; set; }

    /// <summary>When the writer started the decision that placed the order (TimeProvider timestamp).</summary>
    public long DecisionTimestamp { get; set; }

    /// <summary>When the decision was made (TimeProvider timestamp).</summary>
    public long DecidedTimestamp { get; set; }

    /// <summary>When the order was durable in the state store (TimeProvider timestamp).</summary>
    public long DurableTimestamp { get; set; }
}

internal abstract class EngineMessage;

internal sealed class PriceSignal : EngineMessage
{
    public static readonly PriceSignal Instance = new();
}

internal sealed class Redecide : EngineMessage
{
    public static readonly Redecide Instance = new();
}

/// <summary>A mark price and the writer-independent time it arrived (TimeProvider timestamp).</summary>
internal sealed record MarkTick(decimal Price, long Timestamp);

internal sealed class FundingMessage(FundingFee fee) : EngineMessage
{
    public FundingFee Fee { get; } = fee;
}

internal sealed class UpdateMessage(OrderUpdate update) : EngineMessage
{
    public OrderUpdate Update { get; } = update;
}

internal sealed class PlaceDone(TrackedOrder order, PlaceOutcome outcome, long answeredTimestamp) : EngineMessage
{
    public TrackedOrder Order { get; } = order;

    public PlaceOutcome Outcome { get; } = outcome;

    /// <summary>When the place call returned (TimeProvider timestamp).</summary>
    public long AnsweredTimestamp { get; } = answeredTimestamp;
}

internal sealed class CancelDone(TrackedOrder order, CancelOutcome outcome, string reason) : EngineMessage
{
    public TrackedOrder Order { get; } = order;

    public CancelOutcome Outcome { get; } = outcome;

    public string Reason { get; } = reason;
}

internal sealed class LookupDone(TrackedOrder order, LookupOutcome outcome) : EngineMessage
{
    public TrackedOrder Order { get; } = order;

    public LookupOutcome Outcome { get; } = outcome;
}

internal sealed class ReconcileOrders(IReadOnlyList<Order> venueOpen, DateTimeOffset snapshotAt, TaskCompletionSource<OrderComparison> done) : EngineMessage
{
    public IReadOnlyList<Order> VenueOpen { get; } = venueOpen;

    /// <summary>When the venue's open orders were asked for (the engine's clock).</summary>
    public DateTimeOffset SnapshotAt { get; } = snapshotAt;

    public TaskCompletionSource<OrderComparison> Done { get; } = done;
}

internal sealed class ReconcilePosition(decimal venuePosition, decimal venueEntryPrice, int epoch, bool final, TaskCompletionSource<ReconciliationResult> done) : EngineMessage
{
    public decimal VenuePosition { get; } = venuePosition;

    public decimal VenueEntryPrice { get; } = venueEntryPrice;

    /// <summary>The reconciler's epoch when the run began: a reconnect since then leaves the symbol unreconciled.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>The confirming run: it finishes the reconciliation even if it saw something new.</summary>
    public bool Final { get; } = final;

    public TaskCompletionSource<ReconciliationResult> Done { get; } = done;
}

internal sealed class StopMessage(bool cancelOrders, TaskCompletionSource done) : EngineMessage
{
    public bool CancelOrders { get; } = cancelOrders;

    public TaskCompletionSource Done { get; } = done;
}
