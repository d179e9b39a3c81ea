using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;

namespace OpenSqt.MarketMaker.Strategy;

/// <summary>The result of applying one order state to a slot.</summary>
public readonly record struct OrderOutcome(
    bool Changed,
    decimal FilledDelta,
    decimal FillPrice,
    decimal RealisedPnl,
    bool RoundTripClosed,
    decimal RoundTripPnl,
    bool Finished)
{
    public static OrderOutcome Unchanged { get; } = default;
}

/// <summary>
/// The OpenSQT grid of one symbol as pure logic: no I/O, no clock, no locks. The caller owns the single thread that
/// drives it, feeds it prices and order states, and carries out the actions it decides. <see cref="Decide"/> allocates
/// nothing once the slots around the price exist.
/// </summary>
public sealed class GridStrategy
{
    private readonly Dictionary<long, GridSlot> _slots = [];
    private readonly GridSlot[] _cleanupScratch;
    private readonly List<long> _pruneScratch = [];
    private readonly int _pruneAbove;
    private readonly decimal _interval;
    private readonly SlotChanges _changes = new();
    private DateTimeOffset _marginLockedUntil = DateTimeOffset.MinValue;
    private int _workingOrders;
    // The last few quiet decisions, at most one per set of levels the price fell between: a price that goes back and forth
    // over a level's edge (a tenth of an interval below or above a level, or half way between two) meets the same two or
    // three sets again and again, and each is answered from here while nothing else changed.
    private readonly QuietDecision?[] _quiet = new QuietDecision?[4];
    private int _quietNext;
    private bool _waitsOnPrice;
    private OpenTotals? _openTotals;
    private readonly List<GridSlot> _activeScratch = [];
    private GridSlot[] _active = [];
    private long _activeAt = -1;

    public GridStrategy(GridOptions options, SymbolRules rules)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rules);
        Options = options;
        Rules = rules;
        _interval = options.PriceInterval;
        _cleanupScratch = new GridSlot[options.OrderCleanupThreshold + (4 * (options.BuyWindowSize + options.EffectiveSellWindowSize)) + 16];
        _pruneAbove = options.OrderCleanupThreshold + (4 * (options.BuyWindowSize + options.EffectiveSellWindowSize));
    }

    public GridOptions Options { get; }

    public SymbolRules Rules { get; }

    /// <summary>The first price seen (rounded to the tick); the grid is aligned on it.</summary>
    public decimal? Anchor { get; private set; }

    /// <summary>The price of the last decision (0 before the first): a refused post-only order was decided on it.</summary>
    public decimal DecidedPrice { get; private set; }

    /// <summary>New buys are refused until this time after an insufficient-margin refusal.</summary>
    public DateTimeOffset MarginLockedUntil
    {
        get => _marginLockedUntil;
        private set => SlotChanges.Set(_changes, ref _marginLockedUntil, value);
    }

    public IReadOnlyCollection<GridSlot> Slots => _slots.Values;

    /// <summary>Counts the changes to the slots' open positions (see <see cref="SlotChanges.Positions"/>).</summary>
    internal long PositionsVersion => _changes.Positions;

    /// <summary>Counts the changes to which slots are kept and which are idle (see <see cref="SlotChanges.Membership"/>).</summary>
    internal long MembershipVersion => _changes.Membership;

    /// <summary>
    /// The slots that are not idle (<see cref="GridSlot.IsIdle"/>), in the order of <see cref="Slots"/>: every walk that
    /// an idle slot adds nothing to (decisions, sums, the snapshot) takes these, about half of a trailing grid's slots. Kept
    /// until a slot is added, removed or turns idle or not; a new list each time, so a walk that changes slots as it goes
    /// (dust merged) goes on over the list it started with, as it would over <see cref="Slots"/>.
    /// </summary>
    internal ReadOnlySpan<GridSlot> ActiveSlots
    {
        get
        {
            if (_activeAt != _changes.Membership)
            {
                foreach (var slot in _slots.Values)
                {
                    if (!slot.IsIdle)
                    {
                        _activeScratch.Add(slot);
                    }
                }

                _active = [.. _activeScratch];
                _activeScratch.Clear();
                _activeAt = _changes.Membership;
            }

            return _active;
        }
    }

    /// <summary>Orders working or in flight.</summary>
    public int WorkingOrders
    {
        get => _workingOrders;
        private set => SlotChanges.Set(_changes, ref _workingOrders, value);
    }

    /// <summary>Whether a decision that changed nothing is repeated without working it out again; off only to check it against one.</summary>
    internal bool RepeatsQuietDecisions { get; init; } = true;

    /// <summary>Decisions worked out in full; the others repeated a decision that changed nothing (see <see cref="Decide"/>).</summary>
    internal long FullDecisions { get; private set; }

    /// <summary>Whether a decision moved positions between slots (dust merged) that must be saved before anything is sent.</summary>
    public bool SlotsChanged { get; private set; }

    /// <summary>Returns <see cref="SlotsChanged"/> and clears it.</summary>
    public bool TakeSlotsChanged()
    {
        var changed = SlotsChanged;
        SlotsChanged = false;
        return changed;
    }

    /// <summary>Net position of all slots: positive long, negative short.</summary>
    public decimal NetPosition
    {
        get
        {
            var net = 0m;
            foreach (var slot in ActiveSlots)
            {
                if (slot.PositionSign > 0)
                {
                    net += slot.PositionQuantity;
                }
                else if (slot.PositionSign < 0)
                {
                    net -= slot.PositionQuantity;
                }
            }

            return net;
        }
    }

    public void SetAnchor(decimal anchor)
    {
        if (Anchor is not null)
        {
            throw new InvalidOperationException("the anchor is set once");
        }

        Anchor = Rules.RoundPrice(anchor);
        _changes.Note();
    }

    public decimal LevelPrice(long level) => Rules.RoundPrice(Anchor!.Value + (level * _interval));

    public GridSlot GetOrCreateSlot(long level)
    {
        if (!_slots.TryGetValue(level, out var slot))
        {
            var price = LevelPrice(level);
            var quantity = price > 0 ? Rules.RoundQuantityDown(Options.OrderQuantity / price) : 0m;
            if (quantity <= 0 || Rules.Check(quantity, price) is not null)
            {
                quantity = 0m;
            }

            slot = new GridSlot(level, price, quantity) { Changes = _changes };
            _slots.Add(level, slot);
            _changes.Membership++;
            _changes.Note();
        }

        return slot;
    }

    public bool TryGetSlot(long level, out GridSlot slot) => _slots.TryGetValue(level, out slot!);

    public bool IsMarginLocked(DateTimeOffset now) => now < MarginLockedUntil;

    /// <summary>The level nearest to <paramref name="price"/>.</summary>
    public long CenterLevel(decimal price) => (long)Math.Round((price - Anchor!.Value) / _interval, MidpointRounding.AwayFromZero);

    /// <summary>
    /// One adjustment for the price <paramref name="price"/>: trailing cancels, risk cancels and new orders, appended to
    /// <paramref name="actions"/> (cancels first). The first price sets the anchor. The gate applies per side: an opening
    /// order is placed only while the symbol is Active, its side below its position limit and (buys) margin is not locked;
    /// otherwise working openings of that side are cancelled. Closing orders stay working and are placed in every state;
    /// Halted keeps them where they are (no trailing) and, with flatten, replaces them by reduce-only market closes.
    /// <para>
    /// Most ticks change nothing: the price moves inside the same grid interval and no order or position changed since.
    /// A decision that sent nothing and changed nothing is remembered with what it was made on (the levels the price
    /// falls between, the gate, the count of changes to the slots, and the time until which no parked level or margin
    /// lock expires); a tick with the same inputs gets the same empty answer without walking the slots. A decision that
    /// depended on the exact price (a level waiting for a new price after a post-only refusal, the cleanup over the order
    /// threshold) is not remembered.
    /// </para>
    /// </summary>
    public void Decide(decimal price, TradingGate gate, DateTimeOffset now, List<GridAction> actions)
    {
        if (price <= 0)
        {
            return;
        }

        DecidedPrice = price;
        if (Anchor is null)
        {
            Anchor = Rules.RoundPrice(price);
            _changes.Note();
        }

        // A remembered decision answers a price strictly inside the range of prices its levels hold for (see Remember):
        // two comparisons instead of the division below. The price and both ends have at most MaxRangeScale decimals,
        // so a price inside is at least 1e-12 from either end, and the division (28 significant digits) could put it on
        // an end only for a price more than 1e16 from the anchor.
        var changes = _changes.Count;
        if (price.Scale <= MaxRangeScale)
        {
            foreach (var remembered in _quiet)
            {
                if (remembered is { } quiet && quiet.Changes == changes && quiet.Low < price && price < quiet.High && now < quiet.Until && quiet.Gate == gate)
                {
                    return;
                }
            }
        }

        // Levels from the anchor, divided once (decimal division is the costliest step of a tick). A tenth of the
        // interval is 0.1 level, so the buy below and the sell above are the same as dividing price -/+ a tenth.
        var offset = (price - Anchor.Value) / _interval;
        var center = (long)Math.Round(offset, MidpointRounding.AwayFromZero);
        var topBuy = (long)Math.Floor(offset - 0.1m);
        var bottomSell = (long)Math.Ceiling(offset + 0.1m);
        foreach (var remembered in _quiet)
        {
            if (remembered is { } quiet && quiet.Changes == changes && quiet.TopBuy == topBuy && quiet.BottomSell == bottomSell && quiet.Center == center
                && now < quiet.Until && quiet.Gate == gate)
            {
                return;
            }
        }

        FullDecisions++;
        _waitsOnPrice = false;
        var before = actions.Count;
        var until = DecideInFull(price, gate, now, actions, center, topBuy, bottomSell);
        if (RepeatsQuietDecisions && actions.Count == before && !SlotsChanged && !_waitsOnPrice && until > now)
        {
            // The offsets with the same three levels: topBuy + 0.1 <= offset < topBuy + 1.1 (floor of offset - 0.1),
            // bottomSell - 1.1 < offset <= bottomSell - 0.1 (ceiling of offset + 0.1), and center - 0.5 <= or < offset
            // < or <= center + 0.5 (rounded away from zero); the open interval between the innermost ends holds them
            // all, in prices exactly (the anchor changes only with a change counted above). Ends of more than
            // MaxRangeScale decimals (an interval of that many) give no range: such a grid always divides.
            var low = Anchor.Value + (Math.Max(Math.Max(topBuy + 0.1m, bottomSell - 1.1m), center - 0.5m) * _interval);
            var high = Anchor.Value + (Math.Min(Math.Min(topBuy + 1.1m, bottomSell - 0.1m), center + 0.5m) * _interval);
            if (low.Scale > MaxRangeScale || high.Scale > MaxRangeScale)
            {
                (low, high) = (0m, 0m);
            }

            Remember(new QuietDecision(_changes.Count, gate, topBuy, bottomSell, center, until, low, high));
        }
    }

    /// <summary>The most decimals a price may have to be answered from a remembered decision's range of prices.</summary>
    private const int MaxRangeScale = 12;

    /// <summary>
    /// Keeps a quiet decision in the place of one made before the last change (it can never answer again), or of one on the
    /// same levels, else of the oldest.
    /// </summary>
    private void Remember(QuietDecision decision)
    {
        var place = -1;
        for (var i = 0; i < _quiet.Length && place < 0; i++)
        {
            if (_quiet[i] is not { } kept || kept.Changes != decision.Changes
                || (kept.TopBuy == decision.TopBuy && kept.BottomSell == decision.BottomSell && kept.Center == decision.Center))
            {
                place = i;
            }
        }

        if (place < 0)
        {
            place = _quietNext;
            _quietNext = (_quietNext + 1) % _quiet.Length;
        }

        _quiet[place] = decision;
    }

    /// <summary>
    /// The decision worked out in full; returns the time until which it holds as far as time goes (the earliest expiry of
    /// a parked level or of the margin lock; <see cref="DateTimeOffset.MinValue"/> when it must not be repeated at all).
    /// </summary>
    private DateTimeOffset DecideInFull(decimal price, TradingGate gate, DateTimeOffset now, List<GridAction> actions, long center, long topBuy, long bottomSell)
    {
        var buyWindow = Options.BuyWindowSize;
        var sellWindow = Options.EffectiveSellWindowSize;
        var until = MarginLockedUntil > now ? MarginLockedUntil : DateTimeOffset.MaxValue;
        var lowestBuy = topBuy - buyWindow + 1;
        var highestSell = Math.Max(center, bottomSell - 1) + sellWindow;
        var neutral = Options.GridMode == GridMode.Neutral;
        var halted = gate.State == TradingState.Halted;
        var flatten = halted && gate.Flatten;

        // The position against each side's limit, and in neutral mode the closing quantity working on each side (against
        // what the net position lets reduce-only closes take). Without a limit and outside neutral mode (the common case)
        // the room is unbounded and the pass over the slots is not needed.
        var limited = gate.MaxLong != decimal.MaxValue || gate.MaxShort != decimal.MaxValue;
        decimal net = 0, sellCover = 0, buyCover = 0;
        if (limited || neutral)
        {
            // The net position as the open-position sums hold it (kept until a position changes): only compared and
            // subtracted below, so the decimals another way of summing would carry change nothing.
            net = OpenTotalsNow().Net;
            decimal closingLong = 0, closingShort = 0;
            foreach (var slot in ActiveSlots)
            {
                if (slot.Order is { IsTerminal: false } live)
                {
                    switch (live.Role)
                    {
                        case OrderRole.CloseLong:
                            closingLong += live.Quantity - live.FilledQuantity;
                            break;
                        case OrderRole.CloseShort:
                            closingShort += live.Quantity - live.FilledQuantity;
                            break;
                    }
                }
            }

            // Closes are reduce-only in both modes. In neutral mode long and short slots can be open at once and the
            // venue holds only their net: a close the net cannot cover (a sell while the net is short) would be refused
            // as reduce-only, or would open the other way without the flag, so it waits until the net covers it.
            sellCover = Math.Max(net, 0m) - closingLong;
            buyCover = Math.Max(-net, 0m) - closingShort;
        }

        var longRoom = gate.MaxLong == decimal.MaxValue ? decimal.MaxValue : gate.MaxLong - Math.Max(net, 0m);
        var shortRoom = gate.MaxShort == decimal.MaxValue ? decimal.MaxValue : gate.MaxShort - Math.Max(-net, 0m);
        var opening = gate.State == TradingState.Active;
        var longsAllowed = opening && longRoom > 0 && !IsMarginLocked(now);
        var shortsAllowed = opening && neutral && shortRoom > 0;

        // Cancels: openings the gate no longer allows, trailing, and limit closes a flatten replaces.
        foreach (var slot in ActiveSlots)
        {
            if (slot.ParkedUntil > now && slot.ParkedUntil < until)
            {
                until = slot.ParkedUntil;
            }

            var order = slot.Order;
            if (order is null || order.CancelRequested || slot.Status == SlotStatus.Free || order.IsTerminal)
            {
                continue;
            }

            switch (order.Role)
            {
                case OrderRole.OpenLong when !longsAllowed:
                case OrderRole.OpenShort when !shortsAllowed:
                    actions.Add(GridAction.Cancel(slot, CancelReason.OpeningsHalted));
                    break;
                case OrderRole.OpenLong when slot.Level < lowestBuy:
                    actions.Add(GridAction.Cancel(slot, CancelReason.TrailingBuy));
                    break;
                case OrderRole.OpenShort when slot.Level > highestSell:
                    actions.Add(GridAction.Cancel(slot, CancelReason.TrailingSell));
                    break;
                case OrderRole.CloseLong or OrderRole.CloseShort when flatten && !order.Market:
                    actions.Add(GridAction.Cancel(slot, CancelReason.Flatten));
                    break;
                case OrderRole.CloseLong when !halted && slot.Level + 1 > highestSell:
                    actions.Add(GridAction.Cancel(slot, CancelReason.TrailingSell));
                    break;
                case OrderRole.CloseShort when !halted && slot.Level - 1 < lowestBuy:
                    actions.Add(GridAction.Cancel(slot, CancelReason.TrailingBuy));
                    break;
            }
        }

        if (WorkingOrders > Options.OrderCleanupThreshold)
        {
            // The batch depends on the exact price.
            AddCleanup(price, actions);
            until = DateTimeOffset.MinValue;
        }

        if (!gate.CanSend)
        {
            return until;
        }

        var working = WorkingOrders;
        var limit = Math.Min(Options.OrderCleanupThreshold, gate.MaxOpenOrders);
        if (!flatten)
        {
            MergeDust(now);
        }

        // Closing orders first: they reduce risk.
        foreach (var slot in ActiveSlots)
        {
            if (working >= limit)
            {
                break;
            }

            if (slot.Status != SlotStatus.Free || slot.Order is not null || slot.IsEmpty || slot.IsParked(now) || WaitsForNewPrice(slot, price))
            {
                continue;
            }

            var closesLong = slot.PositionSign > 0;
            if (neutral && slot.PositionQuantity > (closesLong ? sellCover : buyCover))
            {
                continue;
            }

            if (!flatten && IsDust(slot))
            {
                // Below the venue's minimums: closed by a reduce-only market order when the user allows it, else it waits
                // to merge into the next close of its side.
                if (!Options.CloseDustWithMarketOrder || !IsSendableReduceOnly(slot.PositionQuantity))
                {
                    continue;
                }

                actions.Add(GridAction.PlaceMarket(slot.Level, closesLong ? OrderRole.CloseLong : OrderRole.CloseShort, price, slot.PositionQuantity, reduceOnly: true));
            }
            else if (flatten)
            {
                var role = closesLong ? OrderRole.CloseLong : OrderRole.CloseShort;
                actions.Add(GridAction.PlaceMarket(slot.Level, role, price, slot.PositionQuantity, reduceOnly: true));
            }
            else if (closesLong && (halted || slot.Level + 1 <= highestSell))
            {
                actions.Add(GridAction.Place(slot.Level, OrderRole.CloseLong, LevelPrice(slot.Level + 1), slot.PositionQuantity, UsePostOnly(slot), reduceOnly: true));
            }
            else if (!closesLong && (halted || slot.Level - 1 >= lowestBuy))
            {
                actions.Add(GridAction.Place(slot.Level, OrderRole.CloseShort, LevelPrice(slot.Level - 1), slot.PositionQuantity, UsePostOnly(slot), reduceOnly: true));
            }
            else
            {
                continue;
            }

            working++;
            if (closesLong)
            {
                sellCover -= slot.PositionQuantity;
            }
            else
            {
                buyCover -= slot.PositionQuantity;
            }
        }

        if (longsAllowed)
        {
            // The room left once the openings already working are counted; worked out at the first candidate only.
            decimal? room = null;
            for (var level = topBuy; level >= lowestBuy && working < limit; level--)
            {
                var slot = GetOrCreateSlot(level);
                if (slot.Status == SlotStatus.Free && slot.Order is null && slot.IsEmpty && slot.BaseQuantity > 0 && !slot.IsParked(now) && !WaitsForNewPrice(slot, price))
                {
                    room ??= longRoom == decimal.MaxValue ? decimal.MaxValue : longRoom - WorkingOpening(OrderRole.OpenLong);
                    if (slot.BaseQuantity <= room)
                    {
                        actions.Add(GridAction.Place(level, OrderRole.OpenLong, slot.Price, slot.BaseQuantity, UsePostOnly(slot), reduceOnly: false));
                        room -= slot.BaseQuantity;
                        working++;
                    }
                }
            }
        }

        if (shortsAllowed)
        {
            decimal? room = null;
            for (var level = bottomSell; level < bottomSell + sellWindow && working < limit; level++)
            {
                var slot = GetOrCreateSlot(level);
                if (slot.Status == SlotStatus.Free && slot.Order is null && slot.IsEmpty && slot.BaseQuantity > 0 && !slot.IsParked(now) && !WaitsForNewPrice(slot, price))
                {
                    room ??= shortRoom == decimal.MaxValue ? decimal.MaxValue : shortRoom - WorkingOpening(OrderRole.OpenShort);
                    if (slot.BaseQuantity <= room)
                    {
                        actions.Add(GridAction.Place(level, OrderRole.OpenShort, slot.Price, slot.BaseQuantity, UsePostOnly(slot), reduceOnly: false));
                        room -= slot.BaseQuantity;
                        working++;
                    }
                }
            }
        }

        if (_slots.Count > _pruneAbove)
        {
            Prune(lowestBuy, highestSell, now);
        }

        return until;
    }

    /// <summary>The opening quantity of <paramref name="role"/> still working (not filled, no cancel asked).</summary>
    private decimal WorkingOpening(OrderRole role)
    {
        var working = 0m;
        foreach (var slot in ActiveSlots)
        {
            if (slot.Order is { IsTerminal: false, CancelRequested: false } live && live.Role == role)
            {
                working += live.Quantity - live.FilledQuantity;
            }
        }

        return working;
    }

    /// <summary>
    /// Forgets slots the price has left behind that hold nothing a new slot would not (no order, position, PnL of a
    /// round trip in progress, refusal or post-only history): a trailing grid would otherwise make every decision walk
    /// every level the price ever passed. <see cref="GetOrCreateSlot"/> makes the same slot again when it is needed.
    /// </summary>
    private void Prune(long lowestBuy, long highestSell, DateTimeOffset now)
    {
        var keepBelow = lowestBuy - Options.BuyWindowSize;
        var keepAbove = highestSell + Options.EffectiveSellWindowSize;
        foreach (var slot in _slots.Values)
        {
            if ((slot.Level < keepBelow || slot.Level > keepAbove) && slot.Order is null && slot.Status == SlotStatus.Free
                && slot.PositionSign == 0 && slot.PositionQuantity == 0 && slot.OpenNotional == 0 && slot.OpenFees == 0 && slot.RoundTripPnl == 0
                && slot.PostOnlyFailures == 0 && slot.Refusals == 0 && !slot.IsParked(now))
            {
                _pruneScratch.Add(slot.Level);
            }
        }

        foreach (var level in _pruneScratch)
        {
            _slots.Remove(level);
            _changes.Membership++;
            _changes.Note();
        }

        _pruneScratch.Clear();
    }

    /// <summary>
    /// What the open position would earn or lose if closed at <paramref name="price"/>, the fees already paid to open it
    /// included (they are booked into realised PnL only when the position closes).
    /// </summary>
    public decimal UnrealisedPnl(decimal price)
    {
        // Summed per slot, multiplied once: the same figure as each slot's (sign x (price x quantity - notional) - fees).
        // A tick costs one multiplication.
        var totals = OpenTotalsNow();
        return (price * totals.Net) - totals.Notional - totals.Fees;
    }

    /// <summary>
    /// The open positions' sums (net, entry notional, opening fees). They change only with the slots' positions: kept until
    /// the next change of one (orders coming and going leave them).
    /// </summary>
    private OpenTotals OpenTotalsNow()
    {
        if (_openTotals is not { } totals || totals.Positions != _changes.Positions)
        {
            totals = SumOpenPositions();
            _openTotals = totals;
        }

        return totals;
    }

    private OpenTotals SumOpenPositions()
    {
        decimal net = 0, notional = 0, fees = 0;
        foreach (var slot in ActiveSlots)
        {
            if (slot.PositionSign == 0 || slot.PositionQuantity == 0)
            {
                continue;
            }

            if (slot.PositionSign > 0)
            {
                net += slot.PositionQuantity;
                notional += slot.OpenNotional;
            }
            else
            {
                net -= slot.PositionQuantity;
                notional -= slot.OpenNotional;
            }

            fees += slot.OpenFees;
        }

        return new OpenTotals(_changes.Positions, net, notional, fees);
    }

    /// <summary>Cancels for every working order (exit).</summary>
    public void CancelAll(List<GridAction> actions)
    {
        foreach (var slot in ActiveSlots)
        {
            if (slot.Order is { IsTerminal: false, CancelRequested: false } && slot.Status != SlotStatus.Free)
            {
                actions.Add(GridAction.Cancel(slot, CancelReason.Exit));
            }
        }
    }

    private bool UsePostOnly(GridSlot slot) => slot.PostOnlyFailures < Options.PostOnlyFallbackAfter;

    /// <summary>
    /// Whether the slot's last post-only order was refused while the engine decided on <paramref name="price"/>: sent
    /// again on the same price it would be refused again at once (and, once post-only is given up, would take liquidity
    /// at a price the market has left), so the slot waits for a decision on another price.
    /// </summary>
    private bool WaitsForNewPrice(GridSlot slot, decimal price)
    {
        if (slot.PostOnlyRefusedAtPrice is not { } refused)
        {
            return false;
        }

        if (refused == price)
        {
            // Another price decides differently: this decision is not repeated on a price in the same interval.
            _waitsOnPrice = true;
            return true;
        }

        slot.PostOnlyRefusedAtPrice = null;
        return false;
    }

    /// <summary>The price a slot's limit close goes out at: one interval above a long, one below a short.</summary>
    private decimal ClosePrice(GridSlot slot) => LevelPrice(slot.PositionSign > 0 ? slot.Level + 1 : slot.Level - 1);

    /// <summary>
    /// Whether the close of a slot's position is below the venue's minimum quantity or notional (or off the step), as an
    /// opening is checked (<see cref="SymbolRules.Check"/>), without allocating on the decision path.
    /// </summary>
    private bool IsDust(GridSlot slot)
    {
        var anchored = Anchor is not null;
        if (slot.LastDustVerdict is { } last && last.Version == slot.PositionVersion && last.Anchored == anchored)
        {
            return last.IsDust;
        }

        var quantity = slot.PositionQuantity;
        var dust = quantity < Rules.MinQuantity || !Rules.IsOnStep(quantity) || (Rules.MinNotional > 0 && ClosePrice(slot) * quantity < Rules.MinNotional);
        slot.LastDustVerdict = new DustVerdict(slot.PositionVersion, anchored, dust);
        return dust;
    }

    /// <summary>A reduce-only market order is exempt from the minimum notional (Binance -4164), not from the minimum quantity or step.</summary>
    private bool IsSendableReduceOnly(decimal quantity) =>
        quantity >= Rules.MinQuantity && Rules.IsOnStep(quantity) && (Rules.MaxQuantity is not { } max || quantity <= max);

    /// <summary>
    /// Merges each dust position that waits for a close into the nearest other slot of its side that waits too (no order
    /// working), so the next close of that side carries it: position, entry notional, opening fees and the round trip's
    /// realised part move together. Dust the user closes by market order stays where it is. Sets <see cref="SlotsChanged"/>.
    /// </summary>
    private void MergeDust(DateTimeOffset now)
    {
        foreach (var dust in ActiveSlots)
        {
            if (dust.Status != SlotStatus.Free || dust.Order is not null || dust.IsEmpty || !IsDust(dust)
                || (Options.CloseDustWithMarketOrder && IsSendableReduceOnly(dust.PositionQuantity)))
            {
                continue;
            }

            GridSlot? target = null;
            foreach (var slot in ActiveSlots)
            {
                if (slot != dust && slot.PositionSign == dust.PositionSign && !slot.IsEmpty && slot.Status == SlotStatus.Free && slot.Order is null && !slot.IsParked(now)
                    && (target is null || Math.Abs(slot.Level - dust.Level) < Math.Abs(target.Level - dust.Level)))
                {
                    target = slot;
                }
            }

            if (target is null)
            {
                continue;
            }

            target.PositionQuantity += dust.PositionQuantity;
            target.OpenNotional += dust.OpenNotional;
            target.OpenFees += dust.OpenFees;
            target.RoundTripPnl += dust.RoundTripPnl;
            dust.PositionSign = 0;
            dust.PositionQuantity = 0;
            dust.OpenNotional = 0;
            dust.OpenFees = 0;
            dust.RoundTripPnl = 0;
            SlotsChanged = true;
        }
    }

    /// <summary>Over the threshold: cancel a batch from the crowded side, farthest from the price first.</summary>
    private void AddCleanup(decimal price, List<GridAction> actions)
    {
        int buys = 0, sells = 0;
        foreach (var slot in ActiveSlots)
        {
            if (slot.Order is { IsTerminal: false, CancelRequested: false })
            {
                if (slot.Order.Side == OrderSide.Buy)
                {
                    buys++;
                }
                else
                {
                    sells++;
                }
            }
        }

        var side = buys >= sells ? OrderSide.Buy : OrderSide.Sell;
        var count = 0;
        foreach (var slot in ActiveSlots)
        {
            if (slot.Order is { IsTerminal: false, CancelRequested: false } order && order.Side == side && count < _cleanupScratch.Length)
            {
                _cleanupScratch[count++] = slot;
            }
        }

        Array.Sort(_cleanupScratch, 0, count, Comparer<GridSlot>.Create((a, b) =>
            Math.Abs(b.Order!.Price - price).CompareTo(Math.Abs(a.Order!.Price - price))));
        var batch = Math.Min(Options.CleanupBatchSize, count);
        for (var i = 0; i < batch; i++)
        {
            var slot = _cleanupScratch[i];
            if (!actions.Exists(a => a.Kind == GridActionKind.Cancel && a.Level == slot.Level))
            {
                actions.Add(GridAction.Cancel(slot, CancelReason.Cleanup));
            }
        }

        Array.Clear(_cleanupScratch, 0, count);
    }

    /// <summary>Records an order about to be sent on its slot: the slot becomes PENDING.</summary>
    public SlotOrder BeginOrder(GridAction action, string clientOrderId, DateTimeOffset now)
    {
        var slot = GetOrCreateSlot(action.Level);
        if (slot.Order is not null || slot.Status != SlotStatus.Free)
        {
            throw new InvalidOperationException($"slot {action.Level} already has order {slot.Order?.ClientOrderId}");
        }

        var order = new SlotOrder
        {
            ClientOrderId = clientOrderId,
            Role = action.Role,
            Price = action.Price,
            Quantity = action.Quantity,
            PostOnly = action.PostOnly,
            ReduceOnly = action.ReduceOnly,
            Market = action.Market,
            CreatedAt = now,
            UpdatedAt = now,
        };
        Attach(slot, order);
        return order;
    }

    /// <summary>Puts a known order back on its slot (restart from saved state).</summary>
    public void Attach(GridSlot slot, SlotOrder order)
    {
        slot.Order = order;
        slot.Status = order.Status is null ? SlotStatus.Pending : SlotStatus.Locked;
        WorkingOrders++;
    }

    /// <summary>
    /// Applies an order state idempotently: a duplicate or older state changes nothing, a finished order stays
    /// finished, the cumulative fill only grows. <paramref name="fillPrice"/> and <paramref name="fee"/> price the
    /// quantity this state adds over what was booked.
    /// </summary>
    public OrderOutcome ApplyOrderState(GridSlot slot, SlotOrder order, OrderStatus status, decimal cumulativeFilled,
        decimal fillPrice, decimal fee, string? exchangeOrderId, DateTimeOffset time, string? rejectReason = null)
    {
        var changed = false;
        if (exchangeOrderId is not null && order.ExchangeOrderId is null)
        {
            order.ExchangeOrderId = exchangeOrderId;
            changed = true;
        }

        var delta = cumulativeFilled - order.FilledQuantity;
        if (delta < 0)
        {
            delta = 0;
        }

        decimal realised = 0, roundTripPnl = 0;
        var roundTripClosed = false;
        if (delta > 0)
        {
            var price = fillPrice > 0 ? fillPrice : order.Price;
            order.AveragePrice = ((order.AveragePrice * order.FilledQuantity) + (price * delta)) / cumulativeFilled;
            order.FilledQuantity = cumulativeFilled;
            (realised, roundTripClosed, roundTripPnl) = BookFill(slot, order.Role, delta, price, fee);
            slot.PostOnlyFailures = 0;
            slot.Refusals = 0;
            changed = true;
            fillPrice = price;
        }

        var previous = order.Status;
        var next = previous.Advance(status, order.FilledQuantity);
        if (next != previous)
        {
            order.Status = next;
            order.RejectReason ??= rejectReason;
            changed = true;
        }

        var finished = false;
        if (ReferenceEquals(slot.Order, order))
        {
            if (order.IsTerminal)
            {
                Release(slot);
                finished = true;
            }
            else if (order.Status is not null && slot.Status == SlotStatus.Pending)
            {
                slot.Status = SlotStatus.Locked;
            }
        }

        if (changed)
        {
            order.UpdatedAt = time > order.UpdatedAt ? time : order.UpdatedAt;
        }

        return changed ? new OrderOutcome(true, delta, fillPrice, realised, roundTripClosed, roundTripPnl, finished) : OrderOutcome.Unchanged;
    }

    /// <summary>
    /// The venue refused a place: the slot is free again. Post-only and margin refusals have their own rules; a refusal
    /// that sending again would not change (<see cref="IsPermanent"/>) parks the level with a doubling backoff.
    /// Returns until when the level is parked, or null.
    /// </summary>
    public DateTimeOffset? OnPlaceRefused(GridSlot slot, SlotOrder order, ExchangeErrorKind kind, string reason, DateTimeOffset now)
    {
        order.Status ??= OrderStatus.Rejected;
        if (!order.IsTerminal)
        {
            order.Status = OrderStatus.Rejected;
        }

        order.RejectReason = reason;
        order.UpdatedAt = now;
        if (kind == ExchangeErrorKind.PostOnlyRejected)
        {
            slot.PostOnlyFailures++;
            slot.PostOnlyRefusedAtPrice = DecidedPrice;
        }
        else if (kind == ExchangeErrorKind.InsufficientMargin && order.Side == OrderSide.Buy)
        {
            MarginLockedUntil = now.AddSeconds(Options.MarginLockDurationSeconds);
        }

        DateTimeOffset? parked = null;
        if (IsPermanent(kind))
        {
            var seconds = Math.Min((double)Options.MaxRefusalBackoffSeconds, Options.RefusalBackoffSeconds * Math.Pow(2, Math.Min(slot.Refusals, 30)));
            slot.Refusals++;
            slot.ParkedUntil = now.AddSeconds(seconds);
            parked = slot.ParkedUntil;
        }

        if (ReferenceEquals(slot.Order, order))
        {
            Release(slot);
        }

        return parked;
    }

    /// <summary>
    /// A refusal the same order would get again at once: reduce-only with nothing to reduce, below the minimum or
    /// otherwise invalid, insufficient margin, or refused by the venue's own rules. Post-only refusals have their
    /// fallback; lost, rate-limited or unknown outcomes are not refusals of the order.
    /// </summary>
    public static bool IsPermanent(ExchangeErrorKind kind) =>
        kind is ExchangeErrorKind.InvalidArgument or ExchangeErrorKind.InsufficientMargin or ExchangeErrorKind.ReduceOnlyRejected or ExchangeErrorKind.Rejected;

    /// <summary>A cancel failed for good or was not needed: allow the strategy to ask again.</summary>
    public static void OnCancelFailed(SlotOrder order) => order.CancelRequested = false;

    private void Release(GridSlot slot)
    {
        slot.Order = null;
        slot.Status = SlotStatus.Free;
        WorkingOrders--;
    }

    private static (decimal Realised, bool Closed, decimal RoundTrip) BookFill(GridSlot slot, OrderRole role, decimal quantity, decimal price, decimal fee)
    {
        var sign = role.PositionSign();
        if (role.Opens())
        {
            if (slot.IsEmpty)
            {
                slot.PositionSign = sign;
                slot.PositionQuantity = 0;
                slot.OpenNotional = 0;
                slot.OpenFees = 0;
            }

            slot.PositionQuantity += quantity;
            slot.OpenNotional += price * quantity;
            slot.OpenFees += fee;
            return (0, false, 0);
        }

        if (slot.IsEmpty)
        {
            // A close without a position (should not happen with reduce-only): count its fee as a loss.
            slot.RoundTripPnl -= fee;
            return (-fee, false, 0);
        }

        var closed = Math.Min(quantity, slot.PositionQuantity);
        decimal entryNotional, entryFees;
        if (closed == slot.PositionQuantity)
        {
            entryNotional = slot.OpenNotional;
            entryFees = slot.OpenFees;
        }
        else
        {
            entryNotional = slot.OpenNotional * closed / slot.PositionQuantity;
            entryFees = slot.OpenFees * closed / slot.PositionQuantity;
        }

        var pnl = (sign * ((price * closed) - entryNotional)) - fee - entryFees;
        slot.PositionQuantity -= closed;
        slot.OpenNotional -= entryNotional;
        slot.OpenFees -= entryFees;
        slot.RoundTripPnl += pnl;
        if (slot.PositionQuantity > 0)
        {
            return (pnl, false, 0);
        }

        var roundTrip = slot.RoundTripPnl;
        slot.PositionSign = 0;
        slot.PositionQuantity = 0;
        slot.OpenNotional = 0;
        slot.OpenFees = 0;
        slot.RoundTripPnl = 0;
        return (pnl, true, roundTrip);
    }

    /// <summary>
    /// Spreads a position found on the venue (signed: positive long, negative short) over filled slots one interval apart,
    /// each taking its level's theoretical quantity (the last one the rest), so their closes go out as usual: a long above
    /// the anchor (its sells one interval higher), a short below it (its buys one interval lower).
    /// </summary>
    public void RestorePosition(decimal position, decimal entryPrice)
    {
        if (Anchor is null)
        {
            throw new InvalidOperationException("set the anchor before restoring a position");
        }

        var sign = Math.Sign(position);
        var remaining = Rules.RoundQuantityDown(Math.Abs(position));
        for (long level = sign; remaining > 0; level += sign)
        {
            var slot = GetOrCreateSlot(level);
            var take = slot.BaseQuantity > 0 && remaining - slot.BaseQuantity >= Math.Max(Rules.MinQuantity, slot.BaseQuantity / 2) ? slot.BaseQuantity : remaining;
            slot.PositionSign = sign;
            slot.PositionQuantity = take;
            slot.OpenNotional = entryPrice * take;
            slot.OpenFees = 0;
            remaining -= take;
        }
    }

    /// <summary>A long position found on the venue; see <see cref="RestorePosition"/>.</summary>
    public void RestoreLongPosition(decimal quantity, decimal entryPrice) => RestorePosition(Math.Abs(quantity), entryPrice);

    /// <summary>
    /// Corrects the local position by <paramref name="difference"/> (venue minus local), slot by slot and alike for both
    /// sides: the slots of the side the difference reduces give it up first (highest longs, lowest shorts first), and
    /// what is left opens a slot of the other side near <paramref name="price"/> (a short only in neutral mode).
    /// </summary>
    public void CorrectPosition(decimal difference, decimal price)
    {
        if (difference == 0)
        {
            return;
        }

        var sign = Math.Sign(difference);

        // A longer venue position first shrinks local shorts, a shorter one local longs.
        var reduced = _slots.Values.Where(s => s.PositionSign == -sign && s.PositionQuantity > 0)
            .OrderBy(s => sign * s.Level)
            .ToList();
        var left = Math.Abs(difference);
        foreach (var slot in reduced)
        {
            if (left <= 0)
            {
                break;
            }

            var take = Math.Min(left, slot.PositionQuantity);
            slot.OpenNotional -= slot.OpenNotional * take / slot.PositionQuantity;
            slot.PositionQuantity -= take;
            left -= take;
            if (slot.PositionQuantity == 0)
            {
                slot.PositionSign = 0;
                slot.OpenNotional = 0;
                slot.OpenFees = 0;
            }
        }

        if (left <= 0 || (sign < 0 && Options.GridMode != GridMode.Neutral))
        {
            return;
        }

        // The rest is a position of the difference's side: a slot at the price, moving away from the close while taken.
        var level = CenterLevel(price);
        var target = GetOrCreateSlot(level);
        while (target.PositionSign == -sign || target.Order is not null)
        {
            level += sign;
            target = GetOrCreateSlot(level);
        }

        target.PositionSign = sign;
        target.PositionQuantity += left;
        target.OpenNotional += price * left;
    }

    /// <summary>Restores a saved slot position (restart).</summary>
    public void LoadSlot(long level, int sign, decimal quantity, decimal openNotional, decimal openFees, decimal roundTripPnl, int postOnlyFailures)
    {
        var slot = GetOrCreateSlot(level);
        slot.PositionSign = sign;
        slot.PositionQuantity = quantity;
        slot.OpenNotional = openNotional;
        slot.OpenFees = openFees;
        slot.RoundTripPnl = roundTripPnl;
        slot.PostOnlyFailures = postOnlyFailures;
    }

    /// <summary>
    /// A decision that sent and changed nothing, with what it was made on (see <see cref="Decide"/>): the count of changes,
    /// the gate, the levels, the time it holds until, and the prices strictly between <c>Low</c> and <c>High</c> that fall
    /// between the same levels (both 0 when the grid's prices have too many decimals for the range).
    /// </summary>
    private readonly record struct QuietDecision(long Changes, TradingGate Gate, long TopBuy, long BottomSell, long Center, DateTimeOffset Until, decimal Low, decimal High);

    /// <summary>The open positions' signed quantity, entry notional and opening fees, at a count of changes.</summary>
    private readonly record struct OpenTotals(long Positions, decimal Net, decimal Notional, decimal Fees);
}
