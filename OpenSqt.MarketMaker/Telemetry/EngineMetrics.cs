using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OpenSqt.MarketMaker.Telemetry;

/// <summary>The engine's metrics, built from <see cref="IMeterFactory"/>. Names are stable: dashboards use them.</summary>
public sealed class EngineMetrics
{
    public const string MeterName = "OpenSqt.MarketMaker";
    public const string OrdersPlaced = "opensqt.engine.orders.placed";
    public const string OrdersFilled = "opensqt.engine.orders.filled";
    public const string OrdersCancelled = "opensqt.engine.orders.cancelled";
    public const string OrdersRejected = "opensqt.engine.orders.rejected";
    public const string WorkingOrders = "opensqt.engine.orders.working";
    public const string Position = "opensqt.engine.position";
    public const string RealisedPnl = "opensqt.engine.pnl.realised";
    public const string UnrealisedPnl = "opensqt.engine.pnl.unrealised";
    public const string TickToOrder = "opensqt.engine.tick_to_order.duration";
    public const string RiskHalted = "opensqt.engine.risk.halted";
    public const string PlaceStageDuration = "opensqt.engine.place.stage.duration";

    private readonly Counter<long> _placed;
    private readonly Counter<long> _filled;
    private readonly Counter<long> _cancelled;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _tickToOrder;
    private readonly Histogram<double> _placeStage;

    public EngineMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _placed = meter.CreateCounter<long>(OrdersPlaced, "{order}", "Orders the venue accepted");
        _filled = meter.CreateCounter<long>(OrdersFilled, "{order}", "Orders filled completely");
        _cancelled = meter.CreateCounter<long>(OrdersCancelled, "{order}", "Orders cancelled");
        _rejected = meter.CreateCounter<long>(OrdersRejected, "{order}", "Orders the venue refused, by reason");
        _tickToOrder = meter.CreateHistogram<double>(TickToOrder, "s", "From a price tick to the venue's answer to the order it caused",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
        _placeStage = meter.CreateHistogram<double>(PlaceStageDuration, "s", "Where the time from a price tick to the venue's answer goes, by stage (see PlaceStage)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.1] });
        meter.CreateObservableGauge(WorkingOrders, () => Observe(s => s.WorkingOrders), "{order}", "Orders working or in flight");
        meter.CreateObservableGauge(Position, () => Observe(s => s.Position), "{base}", "Net position of the grid");
        meter.CreateObservableGauge(RealisedPnl, () => Observe(s => s.RealisedPnl), "{quote}", "Realised PnL of closed round trips, fees included");
        meter.CreateObservableGauge(UnrealisedPnl, () => Observe(s => s.UnrealisedPnl), "{quote}", "Unrealised PnL of the open grid position");
        meter.CreateObservableGauge(RiskHalted, () => Observe(s => s.Halted ? 1 : 0), "{state}", "1 while the symbol does not trade normally");
    }

    /// <summary>The current figures of every symbol, supplied by the engine host.</summary>
    public Func<IEnumerable<SymbolFigures>> Figures { get; set; } = () => [];

    public void Placed(string symbol, string side) => _placed.Add(1, new TagList { { "symbol", symbol }, { "side", side } });

    public void Filled(string symbol, string side) => _filled.Add(1, new TagList { { "symbol", symbol }, { "side", side } });

    public void Cancelled(string symbol, string reason) => _cancelled.Add(1, new TagList { { "symbol", symbol }, { "reason", reason } });

    public void Rejected(string symbol, string reason) => _rejected.Add(1, new TagList { { "symbol", symbol }, { "reason", reason } });

    public void TickToOrderLatency(string symbol, TimeSpan elapsed) => _tickToOrder.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("symbol", symbol));

    /// <summary>Whether anyone listens to the place stages; the engine skips working them out when nobody does.</summary>
    public bool PlaceStagesMeasured => _placeStage.Enabled;

    public void PlaceStageLatency(string symbol, string stage, TimeSpan elapsed) =>
        _placeStage.Record(elapsed.TotalSeconds, new TagList { { "symbol", symbol }, { "stage", stage } });

    private IEnumerable<Measurement<double>> Observe(Func<SymbolFigures, double> value) =>
        Figures().Select(f => new Measurement<double>(value(f), new KeyValuePair<string, object?>("symbol", f.Symbol)));
}

/// <summary>
/// The stages of <see cref="EngineMetrics.PlaceStageDuration"/>, in the order an order passes them. Their sum is the tick
/// to order latency plus the writer's pick-up of the answer.
/// </summary>
public static class PlaceStage
{
    /// <summary>Tick received from the price stream to the writer starting its decision (inbox hop, throttle).</summary>
    public const string Inbox = "inbox";

    /// <summary>Risk gate and grid decision.</summary>
    public const string Decide = "decide";

    /// <summary>The order written to the state store: nothing is sent before it is durable.</summary>
    public const string Persist = "persist";

    /// <summary>Hand-off to the venue call and the per-symbol and account rate limit tokens.</summary>
    public const string Limiter = "limiter";

    /// <summary>The place call: gRPC to the connector, the venue, and the answer back.</summary>
    public const string Send = "send";

    /// <summary>The answer back on the symbol's writer.</summary>
    public const string Reply = "reply";
}

/// <summary>One symbol's figures for the gauges.</summary>
public sealed record SymbolFigures(string Symbol, int WorkingOrders, double Position, double RealisedPnl, double UnrealisedPnl, bool Halted);

/// <summary>The engine's trace source: one activity per decision, with the gRPC client call and the venue's answer beneath it.</summary>
public static class EngineTelemetry
{
    public static readonly ActivitySource Source = new(EngineMetrics.MeterName);
}
