using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>
/// A decision that sent and changed nothing is repeated for the ticks after it that change none of its inputs, without
/// walking the slots again. These tests hold it to the decision worked out in full on every tick.
/// </summary>
public sealed class QuietDecisionTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(GridMode.Long, 1)]
    [InlineData(GridMode.Long, 2)]
    [InlineData(GridMode.Neutral, 3)]
    [InlineData(GridMode.Neutral, 4)]
    public void RepeatedDecisionsAreTheDecisionsWorkedOutInFullOverARandomDayOfTicksFillsRefusalsAndGateChanges(GridMode mode, int seed)
    {
        var options = StrategyTests.Grid(buyWindow: 4, mode: mode, threshold: 12);
        options.PostOnlyFallbackAfter = 2;
        var repeating = new GridStrategy(options, StrategyTests.Btc);
        var full = new GridStrategy(options, StrategyTests.Btc) { RepeatsQuietDecisions = false };
        var random = new Random(seed);
        var price = 95_000m;
        var now = Start;
        var gate = TradingGate.Open;
        var ids = 0;
        var cancels = new List<(GridAction Action, int Due, bool Fails)>();
        for (var step = 0; step < 20_000; step++)
        {
            // Mostly small moves inside one interval, sometimes a jump over several levels.
            price += random.Next(100) < 97 ? random.Next(-3, 4) * 0.1m : random.Next(-250, 251) * 1m;
            now += TimeSpan.FromMilliseconds(random.Next(1, 2_000));
            if (random.Next(400) == 0)
            {
                gate = RandomGate(random);
            }

            var expected = Decide(full, price, gate, now);
            var actual = Decide(repeating, price, gate, now);
            Assert.Equal(expected, actual);
            Assert.Equal(full.UnrealisedPnl(price), repeating.UnrealisedPnl(price));
            Assert.Equal(OpenPositionValue(full, price), repeating.UnrealisedPnl(price));

            // The engine's part, done alike on both: send, answer, fill, cancel.
            var outcome = random.Next(100);
            foreach (var action in actual)
            {
                var id = $"c{++ids}";
                if (action.Kind == GridActionKind.Cancel)
                {
                    // Asked now, answered a few ticks later; one in ten fails (the order is still working).
                    AskCancel(full, action);
                    AskCancel(repeating, action);
                    cancels.Add((action, step + random.Next(0, 6), random.Next(10) == 0));
                }
                else
                {
                    Place(full, action, id, outcome, now);
                    Place(repeating, action, id, outcome, now);
                }
            }

            foreach (var cancel in cancels.Where(c => c.Due <= step).ToList())
            {
                AnswerCancel(full, cancel.Action, cancel.Fails);
                AnswerCancel(repeating, cancel.Action, cancel.Fails);
                cancels.Remove(cancel);
            }

            FillCrossed(full, price, now);
            FillCrossed(repeating, price, now);
            AssertTheWalksTakeEverySlotThatIsNotIdleInOrder(full);
            AssertTheWalksTakeEverySlotThatIsNotIdleInOrder(repeating);
        }

        Assert.True(repeating.FullDecisions * 3 < full.FullDecisions, $"{repeating.FullDecisions} full decisions of {full.FullDecisions}");
    }

    [Fact]
    public void TicksInsideOneIntervalWithNothingChangedAreAnsweredByTheLastDecisionUntilAParkedLevelMayTradeAgain()
    {
        var strategy = new GridStrategy(StrategyTests.Grid(buyWindow: 3), StrategyTests.Btc);
        var first = Decide(strategy, 95_000m, TradingGate.Open, Start);
        Assert.Equal(3, first.Count);

        // The top buy is refused for good: its level is parked for the backoff (RefusalBackoffSeconds, 5 s by default).
        var top = first.Single(a => a.Level == -1);
        foreach (var action in first)
        {
            var order = strategy.BeginOrder(action, $"c{action.Level}", Start);
            var slot = strategy.GetOrCreateSlot(action.Level);
            if (action.Level == top.Level)
            {
                strategy.OnPlaceRefused(slot, order, ExchangeErrorKind.Rejected, "refused", Start);
            }
            else
            {
                strategy.ApplyOrderState(slot, order, OrderStatus.New, 0, 0, 0, "x" + action.Level, Start);
            }
        }

        var parkedUntil = strategy.GetOrCreateSlot(top.Level).ParkedUntil;
        Assert.True(parkedUntil > Start);
        Assert.Empty(Decide(strategy, 95_000m, TradingGate.Open, Start));
        var decisions = strategy.FullDecisions;
        for (var i = 1; i <= 50; i++)
        {
            Assert.Empty(Decide(strategy, 95_000m + (i % 7 * 0.1m), TradingGate.Open, Start + TimeSpan.FromMilliseconds(i)));
        }

        Assert.Equal(decisions, strategy.FullDecisions);

        // The parked level may trade again: the time alone makes the decision new.
        var again = Decide(strategy, 95_000.3m, TradingGate.Open, parkedUntil);
        Assert.Equal(top.Level, Assert.Single(again).Level);

        // So does another gate, and a tick in another interval.
        Assert.NotEmpty(Decide(strategy, 95_000.3m, TradingGate.In(TradingState.Reducing), parkedUntil));
        Assert.Equal(decisions + 2, strategy.FullDecisions);
    }

    [Fact]
    public void APriceGoingBackAndForthOverTheEdgeBetweenTwoLevelsIsAnsweredFromMemoryOnBothSides()
    {
        var strategy = new GridStrategy(StrategyTests.Grid(buyWindow: 3), StrategyTests.Btc);
        strategy.SetAnchor(95_000m);
        foreach (var action in Decide(strategy, 95_049.9m, TradingGate.Open, Start))
        {
            var order = strategy.BeginOrder(action, $"c{action.Level}", Start);
            strategy.ApplyOrderState(strategy.GetOrCreateSlot(action.Level), order, OrderStatus.New, 0, 0, 0, "x" + action.Level, Start);
        }

        Assert.Empty(Decide(strategy, 95_049.9m, TradingGate.Open, Start));
        var decisions = strategy.FullDecisions;

        // Half way between level 0 (95,000) and level 1 (95,100) the nearest level changes: a price trading around 95,050
        // meets two sets of levels: the one below is remembered already, the one above is worked out in full once, and from
        // then on both are answered from memory while nothing changes.
        for (var i = 1; i <= 100; i++)
        {
            Assert.Empty(Decide(strategy, i % 2 == 0 ? 95_049.9m : 95_050m, TradingGate.Open, Start + TimeSpan.FromMilliseconds(i)));
        }

        Assert.Equal(decisions + 1, strategy.FullDecisions);

        // A change to the slots forgets both: the next tick on either side is worked out in full again.
        strategy.GetOrCreateSlot(-2).Order!.CancelRequested = true;
        Assert.Empty(Decide(strategy, 95_049.9m, TradingGate.Open, Start + TimeSpan.FromSeconds(1)));
        Assert.Empty(Decide(strategy, 95_050m, TradingGate.Open, Start + TimeSpan.FromSeconds(1)));
        Assert.Equal(decisions + 3, strategy.FullDecisions);
    }

    /// <summary>
    /// An order's acknowledgement (its venue id, New, the slot from pending to locked, the time of the update) changes
    /// nothing a decision reads: the next tick is answered from memory. Its cancel request and its end do change it.
    /// </summary>
    [Fact]
    public void AnAcknowledgementLeavesTheRememberedDecisionAndACancelOrAFillDoesNot()
    {
        var strategy = new GridStrategy(StrategyTests.Grid(buyWindow: 3), StrategyTests.Btc);
        var orders = new List<(GridSlot Slot, SlotOrder Order)>();
        foreach (var action in Decide(strategy, 95_000m, TradingGate.Open, Start))
        {
            orders.Add((strategy.GetOrCreateSlot(action.Level), strategy.BeginOrder(action, $"c{action.Level}", Start)));
        }

        Assert.Empty(Decide(strategy, 95_000.1m, TradingGate.Open, Start));
        var decisions = strategy.FullDecisions;

        foreach (var (slot, order) in orders)
        {
            strategy.ApplyOrderState(slot, order, OrderStatus.New, 0, 0, 0, "x" + slot.Level, Start.AddMilliseconds(5));
            Assert.Equal(SlotStatus.Locked, slot.Status);
        }

        Assert.Empty(Decide(strategy, 95_000.2m, TradingGate.Open, Start.AddMilliseconds(10)));
        Assert.Equal(decisions, strategy.FullDecisions);

        // A cancel request is read by the decision (the order is no longer counted as working on its level).
        orders[0].Order.CancelRequested = true;
        Assert.Empty(Decide(strategy, 95_000.1m, TradingGate.Open, Start.AddMilliseconds(20)));
        Assert.Equal(decisions + 1, strategy.FullDecisions);

        // Its end frees the slot: the level is bought again.
        strategy.ApplyOrderState(orders[0].Slot, orders[0].Order, OrderStatus.Canceled, 0, 0, 0, null, Start.AddMilliseconds(30));
        var again = Decide(strategy, 95_000.1m, TradingGate.Open, Start.AddMilliseconds(40));
        Assert.Equal(orders[0].Slot.Level, Assert.Single(again).Level);
        Assert.Equal(decisions + 2, strategy.FullDecisions);
    }

    private static List<GridAction> Decide(GridStrategy strategy, decimal price, TradingGate gate, DateTimeOffset now)
    {
        var actions = new List<GridAction>();
        strategy.Decide(price, gate, now, actions);
        return actions;
    }

    private static TradingGate RandomGate(Random random) => random.Next(6) switch
    {
        0 => TradingGate.In(TradingState.Reducing),
        1 => TradingGate.In(TradingState.Halted),
        2 => TradingGate.In(TradingState.Active, canSend: false),
        3 => TradingGate.Open with { MaxLong = 0.004m, MaxShort = 0.004m },
        4 => TradingGate.Open with { MaxOpenOrders = 5 },
        _ => TradingGate.Open,
    };

    private static void AskCancel(GridStrategy strategy, GridAction action)
    {
        if (strategy.GetOrCreateSlot(action.Level).Order is { } order && order.ClientOrderId == action.ClientOrderId)
        {
            order.CancelRequested = true;
        }
    }

    private static void AnswerCancel(GridStrategy strategy, GridAction action, bool fails)
    {
        var slot = strategy.GetOrCreateSlot(action.Level);
        if (slot.Order is not { IsTerminal: false } order || order.ClientOrderId != action.ClientOrderId)
        {
            return;
        }

        if (fails)
        {
            GridStrategy.OnCancelFailed(order);
        }
        else
        {
            strategy.ApplyOrderState(slot, order, OrderStatus.Canceled, order.FilledQuantity, 0, 0, null, order.UpdatedAt);
        }
    }

    /// <summary>The venue's answer, by <paramref name="outcome"/>: mostly working, sometimes refused in each way that matters.</summary>
    private static void Place(GridStrategy strategy, GridAction action, string id, int outcome, DateTimeOffset now)
    {
        var order = strategy.BeginOrder(action, id, now);
        var slot = strategy.GetOrCreateSlot(action.Level);
        switch (outcome)
        {
            case < 4 when action.PostOnly:
                strategy.OnPlaceRefused(slot, order, ExchangeErrorKind.PostOnlyRejected, "would take", now);
                break;
            case 5:
                strategy.OnPlaceRefused(slot, order, ExchangeErrorKind.Rejected, "refused", now);
                break;
            case 6:
                strategy.OnPlaceRefused(slot, order, ExchangeErrorKind.InsufficientMargin, "margin", now);
                break;
            default:
                strategy.ApplyOrderState(slot, order, OrderStatus.New, 0, 0, 0, "x" + id, now);
                break;
        }
    }

    /// <summary>Fills the working orders the price reached; an order worth more than 0.002 fills in two halves.</summary>
    private static void FillCrossed(GridStrategy strategy, decimal price, DateTimeOffset now)
    {
        foreach (var slot in strategy.Slots.ToList())
        {
            if (slot.Order is not { IsTerminal: false } order || order.Status is null || order.Market)
            {
                continue;
            }

            var crossed = order.Side == OrderSide.Buy ? price <= order.Price : price >= order.Price;
            if (crossed)
            {
                var filled = order.FilledQuantity == 0 && order.Quantity > 0.002m ? order.Quantity / 2 : order.Quantity;
                strategy.ApplyOrderState(slot, order, filled == order.Quantity ? OrderStatus.Filled : OrderStatus.PartiallyFilled, filled, order.Price, 0.01m, null, now);
            }
        }
    }

    /// <summary>
    /// The slots the decisions, sums and snapshot walk are the kept slots, in their order, less those holding nothing a walk
    /// reads (worked out here from the fields, so a setter that forgot to say a slot turned idle or not is caught).
    /// </summary>
    private static void AssertTheWalksTakeEverySlotThatIsNotIdleInOrder(GridStrategy strategy)
    {
        static bool PlainZero(decimal value) => value == 0m && value.Scale == 0;
        var expected = strategy.Slots
            .Where(s => !(s.Order is null && s.Status == SlotStatus.Free && s.PositionSign == 0 && PlainZero(s.PositionQuantity) && PlainZero(s.OpenNotional)
                && s.ParkedUntil == DateTimeOffset.MinValue))
            .ToList();
        Assert.Equal(expected, strategy.ActiveSlots.ToArray());
    }

    /// <summary>The open positions marked at <paramref name="price"/>, slot by slot, opening fees included.</summary>
    private static decimal OpenPositionValue(GridStrategy strategy, decimal price) => strategy.Slots
        .Where(s => s.PositionSign != 0)
        .Sum(s => (s.PositionSign * ((price * s.PositionQuantity) - s.OpenNotional)) - s.OpenFees);
}
