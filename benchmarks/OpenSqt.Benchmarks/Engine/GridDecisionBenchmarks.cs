using BenchmarkDotNet.Attributes;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.Benchmarks.Engine;

/// <summary>
/// One grid decision on a 20-level grid (10 buy levels, 10 sell levels) with every level working: the steady-state
/// tick (nothing to change), answered by the last decision as the engine does, and worked out in full (what the first
/// tick after any change costs), and a tick one interval lower (a trailing sell cancel and a new buy decided, not
/// applied). Target (issue 13): at most 1 us and no allocation.
/// </summary>
[MemoryDiagnoser]
public class GridDecisionBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<GridAction> _actions = new(64);
    private GridStrategy _strategy = null!;
    private GridStrategy _inFull = null!;

    [GlobalSetup]
    public void Setup()
    {
        _inFull = Build(repeats: false);
        _strategy = Build(repeats: true);
    }

    private GridStrategy Build(bool repeats)
    {
        var rules = new SymbolRules { Symbol = "BTCUSDT", BaseAsset = "BTC", QuoteAsset = "USDT", TickSize = 0.1m, StepSize = 0.001m, MinQuantity = 0.001m, MinNotional = 100m };
        _strategy = new GridStrategy(new GridOptions { Symbol = "BTCUSDT", PriceInterval = 50m, OrderQuantity = 200m, BuyWindowSize = 10, SellWindowSize = 10 }, rules)
        {
            RepeatsQuietDecisions = repeats,
        };
        var sequence = 0;

        // Ten filled levels above the anchor (their sells) and ten empty levels at and below it (their buys).
        _strategy.SetAnchor(95_000m);
        _strategy.RestoreLongPosition(0.020m, 94_000m);
        Apply(95_049m, ref sequence);
        _actions.Clear();
        _strategy.Decide(95_045m, TradingGate.Open, Now, _actions);
        if (_actions.Count != 0 || _strategy.WorkingOrders != 20)
        {
            throw new InvalidOperationException($"setup expected a steady 20-order grid, got {_strategy.WorkingOrders} working and {_actions.Count} action(s)");
        }

        return _strategy;
    }

    private void Apply(decimal price, ref int sequence)
    {
        _actions.Clear();
        _strategy.Decide(price, TradingGate.Open, Now, _actions);
        foreach (var action in _actions)
        {
            var slot = _strategy.GetOrCreateSlot(action.Level);
            if (action.Kind == GridActionKind.Cancel)
            {
                _strategy.ApplyOrderState(slot, slot.Order!, OrderStatus.Canceled, slot.Order!.FilledQuantity, 0, 0, null, Now);
                continue;
            }

            var order = _strategy.BeginOrder(action, "B" + (++sequence).ToString(System.Globalization.CultureInfo.InvariantCulture), Now);
            _strategy.ApplyOrderState(slot, order, OrderStatus.New, 0, 0, 0, "X" + order.ClientOrderId, Now);
        }
    }

    [Benchmark(Baseline = true, Description = "steady tick, 20 levels working")]
    public int SteadyTick()
    {
        _actions.Clear();
        _strategy.Decide(95_045m, TradingGate.Open, Now, _actions);
        return _actions.Count;
    }

    [Benchmark(Description = "steady tick, 20 levels working, worked out in full")]
    public int SteadyTickInFull()
    {
        _actions.Clear();
        _inFull.Decide(95_045m, TradingGate.Open, Now, _actions);
        return _actions.Count;
    }

    [Benchmark(Description = "tick one interval down: trailing cancel + new buy decided")]
    public int TrailingTick()
    {
        _actions.Clear();
        _strategy.Decide(94_990m, TradingGate.Open, Now, _actions);
        return _actions.Count;
    }
}
