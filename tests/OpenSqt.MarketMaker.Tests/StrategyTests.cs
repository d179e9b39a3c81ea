using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Tests;

public sealed class StrategyTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    internal static SymbolRules Btc { get; } = new()
    {
        Symbol = "BTCUSDT",
        BaseAsset = "BTC",
        QuoteAsset = "USDT",
        TickSize = 0.1m,
        StepSize = 0.001m,
        MinQuantity = 0.001m,
        MinNotional = 100m,
    };

    internal static GridOptions Grid(int buyWindow = 3, int? sellWindow = null, GridMode mode = GridMode.Long, int threshold = 100, decimal quantity = 200m) => new()
    {
        Symbol = "BTCUSDT",
        PriceInterval = 100m,
        OrderQuantity = quantity,
        BuyWindowSize = buyWindow,
        SellWindowSize = sellWindow,
        GridMode = mode,
        OrderCleanupThreshold = threshold,
        CleanupBatchSize = 2,
    };

    private static List<GridAction> Decide(GridStrategy strategy, decimal price, TradingGate? gate = null, DateTimeOffset? now = null)
    {
        var actions = new List<GridAction>();
        strategy.Decide(price, gate ?? TradingGate.Open, now ?? Now, actions);
        return actions;
    }

    /// <summary>Places every Place action as the engine would and confirms it as NEW.</summary>
    private static void Work(GridStrategy strategy, List<GridAction> actions)
    {
        var sequence = 0;
        foreach (var action in actions.Where(a => a.Kind == GridActionKind.Place))
        {
            var order = strategy.BeginOrder(action, $"T{action.Level}R{(int)action.Role}N{++sequence}{Guid.NewGuid():N}"[..20], Now);
            strategy.ApplyOrderState(strategy.GetOrCreateSlot(action.Level), order, OrderStatus.New, 0, 0, 0, "x" + order.ClientOrderId, Now);
        }
    }

    private static void Fill(GridStrategy strategy, long level, decimal price, decimal fee = 0m)
    {
        var slot = strategy.GetOrCreateSlot(level);
        var order = slot.Order!;
        strategy.ApplyOrderState(slot, order, OrderStatus.Filled, order.Quantity, price, fee, order.ExchangeOrderId, Now);
    }

    [Theory]
    [InlineData("95000.04", "95000.0", "95000.04", 0)]
    [InlineData("95000.04", "95000.0", "94951", 0)]
    [InlineData("95000.04", "95000.0", "94949", -1)]
    [InlineData("95000.04", "95000.0", "95251", 3)]
    [InlineData("95000.04", "95000.0", "94349.9", -7)]
    public void AnchorIsTheFirstPriceOnTheTickAndTheCenterIsTheNearestLevel(string first, string anchor, string price, long center)
    {
        var strategy = new GridStrategy(Grid(), Btc);
        Decide(strategy, decimal.Parse(first));
        Assert.Equal(decimal.Parse(anchor), strategy.Anchor);
        Assert.Equal(center, strategy.CenterLevel(decimal.Parse(price)));
        Assert.Equal(decimal.Parse(anchor) + (center * 100m), strategy.LevelPrice(center));
    }

    [Theory]
    [InlineData("200", "0.002")]
    [InlineData("300", "0.003")]
    [InlineData("99", "0")]
    [InlineData("50", "0")]
    public void QuoteAmountIsConvertedToBaseRoundedDownAndCheckedAgainstTheVenueMinimums(string quote, string expected)
    {
        var strategy = new GridStrategy(Grid(quantity: decimal.Parse(quote)), Btc);
        var actions = Decide(strategy, 95000m);
        var qty = decimal.Parse(expected);
        if (qty == 0)
        {
            Assert.DoesNotContain(actions, a => a.Role == OrderRole.OpenLong);
        }
        else
        {
            Assert.All(actions, a => Assert.Equal(qty, a.Quantity));
            Assert.Equal(3, actions.Count);
        }
    }

    [Theory]
    [InlineData("0", new long[] { -1, -2, -3 })]
    [InlineData("5", new long[] { -1, -2, -3 })]
    [InlineData("10", new long[] { 0, -1, -2 })]
    [InlineData("-95", new long[] { -2, -3, -4 })]
    [InlineData("-89", new long[] { -1, -2, -3 })]
    public void BuysGoOnTheWindowOfLevelsAtLeastATenthIntervalBelowThePrice(string offset, long[] levels)
    {
        var strategy = new GridStrategy(Grid(), Btc);
        strategy.SetAnchor(95000m);
        var actions = Decide(strategy, 95000m + decimal.Parse(offset));
        Assert.Equal(levels, actions.Select(a => a.Level).ToArray());
        Assert.All(actions, a =>
        {
            Assert.Equal(OrderRole.OpenLong, a.Role);
            Assert.True(a.PostOnly);
            Assert.False(a.ReduceOnly);
            Assert.Equal(95000m + (a.Level * 100m), a.Price);
        });
    }

    [Fact]
    public void AFilledBuyGetsAReduceOnlyPostOnlySellOneIntervalAboveForItsQuantity()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, -1, 94900m);
        var actions = Decide(strategy, 94900m);
        var sell = Assert.Single(actions, a => a.Role == OrderRole.CloseLong);
        Assert.Equal(-1, sell.Level);
        Assert.Equal(95000m, sell.Price);
        Assert.Equal(0.002m, sell.Quantity);
        Assert.True(sell.ReduceOnly);
        Assert.True(sell.PostOnly);
        Assert.Equal(OrderSide.Sell, sell.Role.Side());
        Assert.Contains(actions, a => a.Role == OrderRole.OpenLong && a.Level == -4);
        Assert.DoesNotContain(actions, a => a.Role == OrderRole.OpenLong && a.Level == -1);
    }

    [Theory]
    [InlineData(3, null, "94700", false)]
    [InlineData(3, null, "94600", true)]
    [InlineData(3, 1, "94800", true)]
    [InlineData(3, 1, "94900", false)]
    public void SellsWorkOnlyWithinTheSellWindowWhichDefaultsToTheBuyWindow(int buyWindow, int? sellWindow, string price, bool cancelled)
    {
        var strategy = new GridStrategy(Grid(buyWindow, sellWindow), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, -1, 94900m);
        Work(strategy, Decide(strategy, 94900m));
        Assert.NotNull(strategy.GetOrCreateSlot(-1).Order);
        var actions = Decide(strategy, decimal.Parse(price));
        Assert.Equal(cancelled, actions.Any(a => a.Kind == GridActionKind.Cancel && a.Role == OrderRole.CloseLong && a.CancelReason == CancelReason.TrailingSell));
    }

    [Fact]
    public void BuysLeftMoreThanTheWindowBelowThePriceAreCancelledSoCapitalFollowsThePrice()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        Work(strategy, Decide(strategy, 95000m));
        var actions = Decide(strategy, 95200m);
        var cancels = actions.Where(a => a.Kind == GridActionKind.Cancel).ToArray();
        Assert.Equal([-3L, -2L], cancels.Select(c => c.Level).Order().ToArray());
        Assert.All(cancels, c => Assert.Equal(CancelReason.TrailingBuy, c.CancelReason));
        Assert.Equal([1L, 0L], actions.Where(a => a.Kind == GridActionKind.Place).Select(a => a.Level).ToArray());
    }

    [Fact]
    public void ATrailingGridForgetsEmptyLevelsItLeftBehindKeepsLevelsThatHoldAnythingAndTradesAForgottenLevelAgainAsNew()
    {
        // Threshold 10 and windows of 3: the grid keeps at most 10 + 4 x (3 + 3) = 34 slots before it forgets any.
        var strategy = new GridStrategy(Grid(threshold: 10), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, -1, 94900m);
        var parked = strategy.GetOrCreateSlot(-3);
        strategy.OnPlaceRefused(parked, parked.Order!, ExchangeErrorKind.InvalidArgument, "below the minimum", Now);
        var fresh = new GridStrategy(Grid(threshold: 10), Btc);
        fresh.SetAnchor(95000m);
        var expected = fresh.GetOrCreateSlot(-2);

        // The price climbs 100 intervals; trailing buys are cancelled and confirmed as the engine would.
        for (var step = 1; step <= 100; step++)
        {
            var actions = Decide(strategy, 95000m + (step * 100m));
            foreach (var cancel in actions.Where(a => a.Kind == GridActionKind.Cancel))
            {
                var slot = strategy.GetOrCreateSlot(cancel.Level);
                strategy.ApplyOrderState(slot, slot.Order!, OrderStatus.Canceled, slot.Order!.FilledQuantity, 0, 0, null, Now);
            }

            Work(strategy, actions.Where(a => a.Kind == GridActionKind.Place).ToList());
        }

        Assert.InRange(strategy.Slots.Count, 1, 35);
        Assert.True(strategy.TryGetSlot(-1, out var filled) && filled.PositionQuantity > 0, "the level holding a position is kept");
        Assert.True(strategy.TryGetSlot(-3, out var kept) && kept.IsParked(Now), "the parked level is kept");
        Assert.False(strategy.TryGetSlot(-2, out _), "the empty level far below is forgotten");
        Assert.Equal(0.002m, strategy.NetPosition);

        // Back down: the forgotten level is made again exactly as a new one and gets its buy.
        var back = Decide(strategy, 94850m);
        var buy = Assert.Single(back, a => a.Kind == GridActionKind.Place && a.Level == -2);
        Assert.Equal((expected.Price, expected.BaseQuantity), (buy.Price, buy.Quantity));
    }

    [Fact]
    public void NeutralModeOpensShortsAboveThePriceAndClosesThemOneIntervalLower()
    {
        var strategy = new GridStrategy(Grid(mode: GridMode.Neutral), Btc);
        var actions = Decide(strategy, 95000m);
        Assert.Equal([1L, 2L, 3L], actions.Where(a => a.Role == OrderRole.OpenShort).Select(a => a.Level).ToArray());
        Assert.All(actions.Where(a => a.Role == OrderRole.OpenShort), a => Assert.Equal(OrderSide.Sell, a.Role.Side()));
        Work(strategy, actions);
        Fill(strategy, 1, 95100m);
        Assert.Equal(-0.002m, strategy.NetPosition);
        var close = Assert.Single(Decide(strategy, 95100m), a => a.Role == OrderRole.CloseShort);
        Assert.Equal(95000m, close.Price);
        Assert.Equal(OrderSide.Buy, close.Role.Side());
        Assert.Equal(0.002m, close.Quantity);
    }

    [Fact]
    public void AfterThreePostOnlyRefusalsASlotUsesAPlainLimitAndAFillResetsTheCount()
    {
        // Each refusal waits for a new price (a tick up each time, the same level).
        var strategy = new GridStrategy(Grid(buyWindow: 1), Btc);
        for (var i = 0; i < 3; i++)
        {
            var action = Assert.Single(Decide(strategy, 95000m + (i * 0.1m)));
            Assert.True(action.PostOnly);
            var slot = strategy.GetOrCreateSlot(action.Level);
            var order = strategy.BeginOrder(action, $"P{i}", Now);
            strategy.OnPlaceRefused(slot, order, ExchangeErrorKind.PostOnlyRejected, "would take", Now);
            Assert.Equal(i + 1, slot.PostOnlyFailures);
            Assert.Equal(SlotStatus.Free, slot.Status);
        }

        var plain = Assert.Single(Decide(strategy, 95000.3m));
        Assert.False(plain.PostOnly);
        Work(strategy, [plain]);
        Fill(strategy, -1, 94900m);
        Assert.Equal(0, strategy.GetOrCreateSlot(-1).PostOnlyFailures);
        Assert.True(Assert.Single(Decide(strategy, 94900m), a => a.Role == OrderRole.CloseLong).PostOnly);
    }

    [Fact]
    public void InsufficientMarginLocksBuysForTheConfiguredTimeCancelsWorkingBuysAndKeepsSells()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, -1, 94900m);
        var actions = Decide(strategy, 94900m);
        var buy = actions.First(a => a.Role == OrderRole.OpenLong);
        var order = strategy.BeginOrder(buy, "M1", Now);
        strategy.OnPlaceRefused(strategy.GetOrCreateSlot(buy.Level), order, ExchangeErrorKind.InsufficientMargin, "margin", Now);
        Assert.Equal(Now.AddSeconds(10), strategy.MarginLockedUntil);

        var locked = Decide(strategy, 94900m, now: Now.AddSeconds(5));
        Assert.Equal([-2L, -3L], locked.Where(a => a.Kind == GridActionKind.Cancel).Select(a => a.Level).Order().Reverse().ToArray());
        Assert.DoesNotContain(locked, a => a.Kind == GridActionKind.Place && a.Role == OrderRole.OpenLong);
        Assert.Contains(locked, a => a.Kind == GridActionKind.Place && a.Role == OrderRole.CloseLong);

        Assert.Contains(Decide(strategy, 94900m, now: Now.AddSeconds(11)), a => a.Role == OrderRole.OpenLong && a.Kind == GridActionKind.Place);
    }

    [Theory]
    [InlineData(TradingState.Active, true, false, true, true)]
    [InlineData(TradingState.Reducing, true, true, false, true)]
    [InlineData(TradingState.Halted, true, true, false, true)]
    [InlineData(TradingState.Active, false, false, false, false)]
    [InlineData(TradingState.Halted, false, true, false, false)]
    public void TheTradingStateCancelsAndBlocksOpeningsWhileClosesArePlaced(TradingState state, bool canSend, bool buysCancelled, bool buysPlaced, bool sellsPlaced)
    {
        var strategy = new GridStrategy(Grid(), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, -1, 94900m);
        var actions = Decide(strategy, 94900m, TradingGate.In(state, canSend));
        Assert.Equal(buysCancelled, actions.Any(a => a.Kind == GridActionKind.Cancel && a.CancelReason == CancelReason.OpeningsHalted));
        Assert.Equal(buysPlaced, actions.Any(a => a.Kind == GridActionKind.Place && a.Role == OrderRole.OpenLong));
        Assert.Equal(sellsPlaced, actions.Any(a => a.Kind == GridActionKind.Place && a.Role == OrderRole.CloseLong));
        Assert.DoesNotContain(actions, a => a.Kind == GridActionKind.Cancel && a.Role == OrderRole.CloseLong);
    }

    [Fact]
    public void HaltedKeepsAWorkingCloseWhereItIsWhileReducingTrailsIt()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, -1, 94900m);
        Work(strategy, Decide(strategy, 94900m).Where(a => a.Role == OrderRole.CloseLong).ToList());

        // The price falls far below: the close at 95000 is out of the sell window.
        Assert.DoesNotContain(Decide(strategy, 94000m, TradingGate.In(TradingState.Halted)), a => a.Kind == GridActionKind.Cancel && a.Role == OrderRole.CloseLong);
        Assert.Contains(Decide(strategy, 94000m, TradingGate.In(TradingState.Reducing)), a => a.Kind == GridActionKind.Cancel && a.Role == OrderRole.CloseLong && a.CancelReason == CancelReason.TrailingSell);
    }

    [Fact]
    public void AHaltedSymbolWithoutACloseForItsPositionGetsOneEvenOutsideTheSellWindow()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, -1, 94900m);
        var actions = Decide(strategy, 94000m, TradingGate.In(TradingState.Halted));
        var close = Assert.Single(actions, a => a.Kind == GridActionKind.Place);
        Assert.Equal(OrderRole.CloseLong, close.Role);
        Assert.Equal(95000m, close.Price);
        Assert.True(close.ReduceOnly);
    }

    [Fact]
    public void FlattenReplacesLimitClosesByReduceOnlyMarketClosesOfThePosition()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, -1, 94900m);
        Fill(strategy, -2, 94800m);
        Work(strategy, Decide(strategy, 94800m).Where(a => a.Role == OrderRole.CloseLong && a.Level == -1).ToList());

        var actions = Decide(strategy, 94800m, TradingGate.In(TradingState.Halted, flatten: true));
        Assert.Contains(actions, a => a.Kind == GridActionKind.Cancel && a.Level == -1 && a.CancelReason == CancelReason.Flatten);
        var market = Assert.Single(actions, a => a.Kind == GridActionKind.Place);
        Assert.True(market.Market);
        Assert.True(market.ReduceOnly);
        Assert.Equal(-2L, market.Level);
        Assert.Equal(strategy.GetOrCreateSlot(-2).PositionQuantity, market.Quantity);
        Assert.DoesNotContain(actions, a => a.Kind == GridActionKind.Place && !a.Market);
    }

    [Fact]
    public void InNeutralModeTheShortSideStopsAtItsPositionLimitWhileTheLongSideKeepsOpening()
    {
        var strategy = new GridStrategy(Grid(mode: GridMode.Neutral), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, 1, 95100m);
        var limited = new TradingGate(TradingState.Active, true, 0.002m, 0.002m, int.MaxValue, false);
        var actions = Decide(strategy, 95100m, limited);

        Assert.Equal([2L, 3L], actions.Where(a => a.Kind == GridActionKind.Cancel && a.Role == OrderRole.OpenShort).Select(a => a.Level).Order().ToArray());
        Assert.DoesNotContain(actions, a => a.Kind == GridActionKind.Place && a.Role == OrderRole.OpenShort);
        Assert.Contains(actions, a => a.Kind == GridActionKind.Place && a.Role == OrderRole.CloseShort);
        Assert.DoesNotContain(actions, a => a.Kind == GridActionKind.Cancel && a.Role == OrderRole.OpenLong && a.CancelReason == CancelReason.OpeningsHalted);

        // Without the limit the short side refills.
        Assert.Contains(Decide(strategy, 95100m), a => a.Kind == GridActionKind.Place && a.Role == OrderRole.OpenShort);
    }

    [Fact]
    public void NewOpeningsStopWhereTheyWouldTakeTheSideBeyondItsLimitAndTheOpenOrderLimitHolds()
    {
        var strategy = new GridStrategy(Grid(buyWindow: 5), Btc);
        var capped = Decide(strategy, 95000m, new TradingGate(TradingState.Active, true, 0.0045m, decimal.MaxValue, int.MaxValue, false));
        Assert.Equal(2, capped.Count(a => a.Role == OrderRole.OpenLong));
        var fresh = new GridStrategy(Grid(buyWindow: 5), Btc);
        Assert.Equal(3, Decide(fresh, 95000m, new TradingGate(TradingState.Active, true, decimal.MaxValue, decimal.MaxValue, 3, false)).Count);
    }

    [Fact]
    public void UnrealisedPnlIsMarkedAtThePriceWithTheOpeningFeesIncluded()
    {
        var strategy = new GridStrategy(Grid(mode: GridMode.Neutral), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, -1, 94900m, fee: 0.04m);
        Fill(strategy, 1, 95100m, fee: 0.05m);
        Assert.Equal((0.002m * (94000m - 94900m)) - 0.04m + (0.002m * (95100m - 94000m)) - 0.05m, strategy.UnrealisedPnl(94000m));
    }

    [Fact]
    public void WorkingOrdersNeverExceedTheCleanupThresholdAndTheCleanerCancelsFarthestFromTheCrowdedSide()
    {
        var strategy = new GridStrategy(Grid(buyWindow: 10, threshold: 4), Btc);
        var actions = Decide(strategy, 95000m);
        Assert.Equal(4, actions.Count);
        Work(strategy, actions);

        // Restored state can hold more than the threshold: the cleaner trims the crowded side, farthest first.
        foreach (var level in new long[] { -5, -6 })
        {
            var slot = strategy.GetOrCreateSlot(level);
            var order = strategy.BeginOrder(GridAction.Place(level, OrderRole.OpenLong, slot.Price, 0.002m, true, false), $"C{-level}", Now);
            strategy.ApplyOrderState(slot, order, OrderStatus.New, 0, 0, 0, $"X{-level}", Now);
        }

        var cleanup = Decide(strategy, 95000m).Where(a => a.CancelReason == CancelReason.Cleanup).Select(a => a.Level).ToArray();
        Assert.Equal([-6L, -5L], cleanup);
    }

    [Fact]
    public void AnExistingLongIsSpreadOverSellSlotsAboveTheAnchor()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        strategy.SetAnchor(95000m);
        strategy.RestoreLongPosition(0.005m, 94000m);
        Assert.Equal(0.005m, strategy.NetPosition);
        Assert.Equal(0.002m, strategy.GetOrCreateSlot(1).PositionQuantity);
        Assert.Equal(0.002m, strategy.GetOrCreateSlot(2).PositionQuantity);
        Assert.Equal(0.001m, strategy.GetOrCreateSlot(3).PositionQuantity);
        // The third slot's 0.001 would close at 95400 for 95.4, below the minimum notional of 100: that dust merges into
        // the nearest slot whose close waits, so two sells go out and carry the whole position.
        var sells = Decide(strategy, 95000m).Where(a => a.Role == OrderRole.CloseLong).OrderBy(a => a.Price).ToArray();
        Assert.True(strategy.TakeSlotsChanged());
        Assert.Equal([(95200m, 0.002m), (95300m, 0.003m)], sells.Select(s => (s.Price, s.Quantity)).ToArray());
        Assert.True(strategy.GetOrCreateSlot(3).IsEmpty);
        Assert.Equal(0.005m, strategy.NetPosition);
        Assert.Equal(94000m * 0.003m, strategy.GetOrCreateSlot(2).OpenNotional);
    }

    [Fact]
    public void ACloseBelowTheVenueMinimumsWaitsForTheNextCloseOfItsSideAndMergesIntoIt()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        strategy.SetAnchor(95000m);

        // The rest of a partly filled buy: 0.001 closing at 95000 is 95, below the minimum notional of 100.
        strategy.LoadSlot(-1, 1, 0.001m, 94.9m, 0.019m, 0m, 0);
        var alone = Decide(strategy, 95000m);
        Assert.DoesNotContain(alone, a => a.Role == OrderRole.CloseLong);
        Assert.False(strategy.TakeSlotsChanged());

        // The next long of the side opens: its close carries the dust, entry notional and fees included.
        strategy.LoadSlot(-2, 1, 0.002m, 189.6m, 0.038m, 0m, 0);
        var close = Assert.Single(Decide(strategy, 94900m), a => a.Role == OrderRole.CloseLong);
        Assert.True(strategy.TakeSlotsChanged());
        Assert.Equal((-2L, 0.003m, 94900m, true), (close.Level, close.Quantity, close.Price, close.ReduceOnly));
        var merged = strategy.GetOrCreateSlot(-2);
        Assert.Equal((0.003m, 284.5m, 0.057m), (merged.PositionQuantity, merged.OpenNotional, merged.OpenFees));
        Assert.True(strategy.GetOrCreateSlot(-1).IsEmpty);
    }

    [Fact]
    public void WithCloseDustWithMarketOrderDustIsClosedAtOnceByAReduceOnlyMarketOrderUnlessBelowTheMinimumQuantity()
    {
        var grid = Grid();
        grid.CloseDustWithMarketOrder = true;
        var strategy = new GridStrategy(grid, Btc);
        strategy.SetAnchor(95000m);
        strategy.LoadSlot(-1, 1, 0.001m, 94.9m, 0m, 0m, 0);
        strategy.LoadSlot(-2, 1, 0.002m, 189.6m, 0m, 0m, 0);

        var actions = Decide(strategy, 95000m).Where(a => !a.Role.Opens()).ToArray();
        var market = Assert.Single(actions, a => a.Market);
        Assert.Equal((-1L, OrderRole.CloseLong, 0.001m, true), (market.Level, market.Role, market.Quantity, market.ReduceOnly));
        Assert.Equal(0.002m, Assert.Single(actions, a => !a.Market).Quantity);
        Assert.False(strategy.TakeSlotsChanged());

        // Below the minimum quantity nothing can be sent: the dust merges as without the option.
        var tiny = new GridStrategy(grid, Btc with { MinQuantity = 0.002m });
        tiny.SetAnchor(95000m);
        tiny.LoadSlot(-1, 1, 0.001m, 94.9m, 0m, 0m, 0);
        tiny.LoadSlot(-2, 1, 0.002m, 189.6m, 0m, 0m, 0);
        var merged = Assert.Single(Decide(tiny, 95000m), a => !a.Role.Opens());
        Assert.Equal((0.003m, false), (merged.Quantity, merged.Market));
    }

    [Fact]
    public void InNeutralModeClosesAreReduceOnlyAndACloseTheNetPositionCannotCoverWaits()
    {
        var strategy = new GridStrategy(Grid(mode: GridMode.Neutral), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, 1, 95100m);
        var close = Assert.Single(Decide(strategy, 95100m), a => a.Role == OrderRole.CloseShort);
        Assert.True(close.ReduceOnly);

        // A long opens below while the short is still open: the venue's net is flat, so neither reduce-only close could
        // work; a buy of the short's close would open a long on the venue. Both wait.
        var both = new GridStrategy(Grid(mode: GridMode.Neutral), Btc);
        both.SetAnchor(95000m);
        both.LoadSlot(1, -1, 0.002m, 190.2m, 0m, 0m, 0);
        both.LoadSlot(-1, 1, 0.002m, 189.8m, 0m, 0m, 0);
        Assert.Equal(0m, both.NetPosition);
        Assert.DoesNotContain(Decide(both, 95000m), a => a.Kind == GridActionKind.Place && !a.Role.Opens());

        // One more short makes the net short by one level: exactly one short's close is placed, reduce-only.
        both.LoadSlot(2, -1, 0.002m, 190.4m, 0m, 0m, 0);
        var closes = Decide(both, 95000m).Where(a => a.Kind == GridActionKind.Place && !a.Role.Opens()).ToArray();
        var only = Assert.Single(closes);
        Assert.Equal((OrderRole.CloseShort, 0.002m, true), (only.Role, only.Quantity, only.ReduceOnly));
    }

    [Fact]
    public void InNeutralModeAShortFoundOnTheVenueIsSpreadOverSlotsBelowTheAnchorWithReduceOnlyBuys()
    {
        var strategy = new GridStrategy(Grid(mode: GridMode.Neutral), Btc);
        strategy.SetAnchor(95000m);
        strategy.RestorePosition(-0.005m, 96000m);
        Assert.Equal(-0.005m, strategy.NetPosition);
        Assert.Equal([(-1L, 0.002m), (-2L, 0.002m), (-3L, 0.001m)], strategy.Slots.Where(s => s.IsFilled).OrderByDescending(s => s.Level)
            .Select(s => (s.Level, s.PositionSign * s.PositionQuantity < 0 ? s.PositionQuantity : -1m)).ToArray());
        // As for a long, the third slot's 0.001 (94.6 at 94600) is dust and merges into the nearest short.
        var buys = Decide(strategy, 95000m).Where(a => a.Role == OrderRole.CloseShort).OrderBy(a => a.Price).ToArray();
        Assert.Equal([(94700m, 0.003m), (94800m, 0.002m)], buys.Select(b => (b.Price, b.Quantity)).ToArray());
        Assert.All(buys, b => Assert.True(b.ReduceOnly));
        Assert.Equal(-0.005m, strategy.NetPosition);
    }

    [Theory]
    [InlineData(0.001, -0.003)]
    [InlineData(0.005, 0.001)]
    [InlineData(-0.001, -0.005)]
    public void APositionCorrectionTreatsAShortLikeALong(double difference, double expectedNet)
    {
        var strategy = new GridStrategy(Grid(mode: GridMode.Neutral), Btc);
        strategy.SetAnchor(95000m);
        strategy.RestorePosition(-0.004m, 95000m);
        strategy.CorrectPosition((decimal)difference, 95000m);

        Assert.Equal((decimal)expectedNet, strategy.NetPosition);

        // A longer venue position shrinks the shorts before any long appears; shorts and longs never sit side by side.
        Assert.False(strategy.Slots.Any(s => s.PositionSign > 0 && s.IsFilled) && strategy.Slots.Any(s => s.PositionSign < 0 && s.IsFilled));
    }

    [Fact]
    public void ExitCancelsEveryWorkingOrder()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        Work(strategy, Decide(strategy, 95000m));
        Fill(strategy, -1, 94900m);
        Work(strategy, Decide(strategy, 94900m));
        var actions = new List<GridAction>();
        strategy.CancelAll(actions);
        Assert.Equal(strategy.WorkingOrders, actions.Count);
        Assert.All(actions, a => Assert.Equal(CancelReason.Exit, a.CancelReason));
        Assert.Contains(actions, a => a.Role == OrderRole.CloseLong);
    }

    [Fact]
    public void ARoundTripRealisesSellMinusBuyTimesQuantityMinusBothFees()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        Work(strategy, Decide(strategy, 95000m));
        var slot = strategy.GetOrCreateSlot(-1);
        var buy = slot.Order!;
        strategy.ApplyOrderState(slot, buy, OrderStatus.PartiallyFilled, 0.001m, 94900m, 0.01898m, buy.ExchangeOrderId, Now);
        strategy.ApplyOrderState(slot, buy, OrderStatus.Filled, 0.002m, 94900m, 0.01898m, buy.ExchangeOrderId, Now);
        Work(strategy, Decide(strategy, 94900m));
        var sell = slot.Order!;
        var outcome = strategy.ApplyOrderState(slot, sell, OrderStatus.Filled, 0.002m, 95000m, 0.038m, sell.ExchangeOrderId, Now);
        Assert.True(outcome.RoundTripClosed);
        Assert.Equal((100m * 0.002m) - 0.01898m - 0.01898m - 0.038m, outcome.RoundTripPnl);
        Assert.True(slot.IsEmpty);
        Assert.Equal(SlotStatus.Free, slot.Status);
    }

    [Theory]
    [InlineData(null, OrderStatus.New, 0, OrderStatus.New)]
    [InlineData(OrderStatus.PartiallyFilled, OrderStatus.New, 1, OrderStatus.PartiallyFilled)]
    [InlineData(OrderStatus.Filled, OrderStatus.New, 1, OrderStatus.Filled)]
    [InlineData(OrderStatus.Canceled, OrderStatus.PartiallyFilled, 1, OrderStatus.Canceled)]
    [InlineData(OrderStatus.New, OrderStatus.Canceled, 0, OrderStatus.Canceled)]
    [InlineData(null, OrderStatus.New, 1, OrderStatus.PartiallyFilled)]
    [InlineData(OrderStatus.New, OrderStatus.PartiallyFilled, 1, OrderStatus.PartiallyFilled)]
    public void StatusMergeNeverGoesBackAndTerminalStaysTerminal(OrderStatus? current, OrderStatus incoming, int filled, OrderStatus expected) =>
        Assert.Equal(expected, current.Advance(incoming, filled));

    [Fact]
    public void DuplicateAndOlderUpdatesChangeNothingAndTheFillOnlyGrows()
    {
        var strategy = new GridStrategy(Grid(buyWindow: 1), Btc);
        Work(strategy, Decide(strategy, 95000m));
        var slot = strategy.GetOrCreateSlot(-1);
        var order = slot.Order!;
        Assert.True(strategy.ApplyOrderState(slot, order, OrderStatus.PartiallyFilled, 0.001m, 94900m, 0, null, Now).Changed);
        Assert.False(strategy.ApplyOrderState(slot, order, OrderStatus.PartiallyFilled, 0.001m, 94900m, 0, null, Now).Changed);
        Assert.False(strategy.ApplyOrderState(slot, order, OrderStatus.New, 0m, 0, 0, null, Now).Changed);
        Assert.Equal(0.001m, slot.PositionQuantity);
        Assert.True(strategy.ApplyOrderState(slot, order, OrderStatus.Filled, 0.002m, 94900m, 0, null, Now).Finished);
        Assert.False(strategy.ApplyOrderState(slot, order, OrderStatus.Canceled, 0.002m, 0, 0, null, Now).Changed);
        Assert.Equal(OrderStatus.Filled, order.Status);
        Assert.Equal(0.002m, slot.PositionQuantity);
        Assert.Equal(0, strategy.WorkingOrders);
    }

    [Fact]
    public void AFillThatArrivesBeforeThePlaceAnswerIsBookedAndTheLateAnswerChangesNothing()
    {
        var strategy = new GridStrategy(Grid(buyWindow: 1), Btc);
        var action = Assert.Single(Decide(strategy, 95000m));
        var order = strategy.BeginOrder(action, "EARLY1", Now);
        var slot = strategy.GetOrCreateSlot(action.Level);
        Assert.Equal(SlotStatus.Pending, slot.Status);
        var stream = strategy.ApplyOrderState(slot, order, OrderStatus.Filled, 0.002m, 94900m, 0, "17", Now);
        Assert.True(stream.Finished);
        Assert.Equal(SlotStatus.Free, slot.Status);
        var answer = strategy.ApplyOrderState(slot, order, OrderStatus.New, 0m, 0, 0, "17", Now);
        Assert.False(answer.Changed);
        Assert.Equal(SlotStatus.Free, slot.Status);
        Assert.Equal(0.002m, strategy.NetPosition);
    }

    [Fact]
    public void AnOrderIsShownAsTheSameInstanceUntilWhatItShowsChanges()
    {
        var order = new SlotOrder { ClientOrderId = "c1", Role = OrderRole.OpenLong, Price = 95_000m, Quantity = 0.002m, CreatedAt = Now, UpdatedAt = Now };
        var first = order.ToOrder("BTCUSDT");
        Assert.Same(first, order.ToOrder("BTCUSDT"));
        Assert.Equal(OrderStatus.New, first.Status);
        Assert.Equal("", first.ExchangeOrderId);

        // Each field the venue changes shows in the next picture; the earlier picture stays as it was.
        order.ExchangeOrderId = "x1";
        var acknowledged = order.ToOrder("BTCUSDT");
        Assert.Equal("x1", acknowledged.ExchangeOrderId);
        Assert.Equal("", first.ExchangeOrderId);

        order.Status = OrderStatus.PartiallyFilled;
        order.FilledQuantity = 0.001m;
        order.AveragePrice = 95_000m;
        order.UpdatedAt = Now.AddSeconds(1);
        var partly = order.ToOrder("BTCUSDT");
        Assert.NotSame(acknowledged, partly);
        Assert.Equal((OrderStatus.PartiallyFilled, 0.001m, 95_000m, Now.AddSeconds(1)), (partly.Status, partly.FilledQuantity, partly.AveragePrice, partly.UpdatedAt));
        Assert.Same(partly, order.ToOrder("BTCUSDT"));

        order.AveragePrice = 95_000.5m;
        Assert.Equal(95_000.5m, order.ToOrder("BTCUSDT").AveragePrice);
        order.RejectReason = "post-only would take";
        Assert.Equal("post-only would take", order.ToOrder("BTCUSDT").RejectReason);
        Assert.Equal("ETHUSDT", order.ToOrder("ETHUSDT").Symbol);
    }

    /// <summary>
    /// The decisions, sums and snapshot walk only the slots that hold something they read (GridStrategy.ActiveSlots), in
    /// the order the slots are kept: each field that makes a slot count sets it walked, and setting it back to nothing
    /// takes it out again.
    /// </summary>
    [Fact]
    public void ASlotIsWalkedWhileItHoldsAnythingAWalkReadsInTheOrderTheSlotsAreKept()
    {
        var strategy = new GridStrategy(Grid(), Btc);
        strategy.SetAnchor(95_000m);
        var first = strategy.GetOrCreateSlot(-3);
        var slot = strategy.GetOrCreateSlot(-1);
        var last = strategy.GetOrCreateSlot(-2);
        Assert.Empty(strategy.ActiveSlots.ToArray());
        (Action Set, Action Reset)[] fields =
        [
            (() => slot.PositionSign = 1, () => slot.PositionSign = 0),
            (() => slot.PositionQuantity = 0.000m, () => slot.PositionQuantity = 0m),
            (() => slot.OpenNotional = 0.00m, () => slot.OpenNotional = 0m),
            (() => slot.Status = SlotStatus.Pending, () => slot.Status = SlotStatus.Free),
            (() => slot.Order = new SlotOrder { ClientOrderId = "c1", Role = OrderRole.OpenLong, Price = 94_900m, Quantity = 0.002m }, () => slot.Order = null),
            (() => slot.ParkedUntil = Now, () => slot.ParkedUntil = DateTimeOffset.MinValue),
        ];
        foreach (var (set, reset) in fields)
        {
            set();
            Assert.Same(slot, Assert.Single(strategy.ActiveSlots.ToArray()));
            reset();
            Assert.Empty(strategy.ActiveSlots.ToArray());
        }

        last.PositionSign = -1;
        first.PositionSign = 1;
        slot.ParkedUntil = Now;
        Assert.Equal([first, slot, last], strategy.ActiveSlots.ToArray());
        Assert.Equal(strategy.Slots.Where(s => s.PositionSign != 0 || s.IsParked(Now.AddTicks(-1))), strategy.ActiveSlots.ToArray());
    }

    [Fact]
    public void ADustVerdictFollowsThePositionItWasMadeFor()
    {
        // 0.001 BTC closed one interval up (95,100) is 95.1 USDT: below the 100 USDT minimum, so it merges into the next
        // long's close; once the same slot holds 0.002 it is a close of its own.
        var strategy = new GridStrategy(Grid(buyWindow: 2), Btc);
        strategy.SetAnchor(95_000m);
        var dust = strategy.GetOrCreateSlot(0);
        dust.PositionSign = 1;
        dust.PositionQuantity = 0.001m;
        dust.OpenNotional = 95m;
        var actions = Decide(strategy, 95_050m);
        Assert.DoesNotContain(actions, a => a.Kind == GridActionKind.Place && a.Level == 0);

        dust.PositionQuantity = 0.002m;
        dust.OpenNotional = 190m;
        actions = Decide(strategy, 95_050m, now: Now.AddSeconds(1));
        var close = Assert.Single(actions, a => a.Kind == GridActionKind.Place && a.Level == 0);
        Assert.Equal(OrderRole.CloseLong, close.Role);
        Assert.Equal(0.002m, close.Quantity);
    }

    [Fact]
    public void ALevelWhosePostOnlyOrderWasRefusedWaitsForANewPriceBeforeTryingAgain()
    {
        // The venue refused the buy at 94,900 as post-only: the market had crossed it. On the same price the engine would
        // send it again at once and be refused again; it waits for the next price, whatever it is.
        var strategy = new GridStrategy(Grid(buyWindow: 1), Btc);
        var first = Assert.Single(Decide(strategy, 95_000m), a => a.Kind == GridActionKind.Place);
        var slot = strategy.GetOrCreateSlot(first.Level);
        var order = strategy.BeginOrder(first, "b1", Now);
        strategy.OnPlaceRefused(slot, order, ExchangeErrorKind.PostOnlyRejected, "would take liquidity", Now);

        Assert.DoesNotContain(Decide(strategy, 95_000m, now: Now.AddMilliseconds(1)), a => a.Kind == GridActionKind.Place);
        var again = Assert.Single(Decide(strategy, 95_000.1m, now: Now.AddMilliseconds(2)), a => a.Kind == GridActionKind.Place);
        Assert.Equal(first.Level, again.Level);
        Assert.True(again.PostOnly, "one refusal does not give up post-only");

        // Any other refusal is not held to the price.
        var third = strategy.BeginOrder(again, "b2", Now.AddMilliseconds(2));
        strategy.OnPlaceRefused(slot, third, ExchangeErrorKind.RateLimited, "busy", Now.AddMilliseconds(2));
        Assert.Single(Decide(strategy, 95_000.1m, now: Now.AddMilliseconds(3)), a => a.Kind == GridActionKind.Place);
    }
}
