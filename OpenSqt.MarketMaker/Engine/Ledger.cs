using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Engine;

/// <summary>What the fills of one order state add to the books, in the quote asset.</summary>
/// <param name="Price">The price of the quantity the state adds.</param>
/// <param name="Fee">The fees of the new fills that go with that quantity (into the slot, like the quantity).</param>
/// <param name="LateFee">Fees that arrived after the quantity they belong to was booked: straight into realised PnL.</param>
internal readonly record struct FillBooking(decimal Price, decimal Fee, decimal LateFee);

/// <summary>
/// The books of one symbol: fills (each trade id booked once, its fee once), the slots' positions they make, the
/// realised PnL with its fee and funding lines, and the snapshot operators read. The grid's decisions stay in <see cref="GridStrategy"/>; this class only records
/// what happened. Called by the symbol's writer only.
/// </summary>
internal sealed partial class Ledger
{
    private readonly string _symbol;
    private readonly GridStrategy _strategy;
    private readonly EngineStateStore _store;
    private readonly RiskState _risk;
    private readonly Broadcast<PositionEvent> _positions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<string, decimal> _assetPrice;
    private readonly HashSet<string> _unpricedAssets = new(StringComparer.Ordinal);
    private DateTimeOffset? _openedAt;
    private EngineSnapshot _snapshot;
    private PositionSums? _positionSums;

    /// <summary>
    /// <paramref name="assetPrice"/> gives the latest price of another symbol the engine trades (0 when unknown), to convert
    /// a fee paid in a third asset (a BNB fee on Binance) into the quote asset.
    /// </summary>
    public Ledger(string symbol, GridStrategy strategy, EngineStateStore store, PnlState pnl, RiskState risk, Broadcast<PositionEvent> positions, TimeProvider time, ILogger logger,
        Func<string, decimal>? assetPrice = null)
    {
        _assetPrice = assetPrice ?? (_ => 0m);
        _symbol = symbol;
        _strategy = strategy;
        _store = store;
        _risk = risk;
        _positions = positions;
        _time = time;
        _logger = logger;
        Pnl = pnl;
        _snapshot = BuildSnapshot();
    }

    public PnlState Pnl { get; private set; }

    /// <summary>The latest view for operators; replaced as a whole, read from any thread.</summary>
    public EngineSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>
    /// Stores the fills of an order state and prices what it adds over <paramref name="previousFilled"/>: from the new
    /// fills when they cover it, else from the venue's average price, else at the order's limit price. Every fee is
    /// converted into the quote asset with the price at fill time. A trade id is booked once and its fee once: a later
    /// record of a booked trade whose fee is larger (a fee that arrived after its fill, or a fee-only record) books the
    /// difference as a late fee, and so do the fees of new fills when the quantity they belong to was booked before
    /// (from an order state without fills). A later record with a smaller or no fee changes nothing: some venues repeat a
    /// fill without its fee. Call inside the store transaction that applies the state.
    /// </summary>
    public FillBooking RecordFills(SlotOrder order, IReadOnlyList<Fill> fills, decimal cumulativeFilled, decimal averagePrice,
        decimal previousFilled, decimal previousAverage)
    {
        decimal newQuantity = 0, newNotional = 0, fee = 0, lateFee = 0;
        foreach (var fill in fills)
        {
            var own = fill with { Symbol = _symbol, ClientOrderId = fill.ClientOrderId ?? order.ClientOrderId };
            var feePrice = own.Price > 0 ? own.Price : order.AveragePrice > 0 ? order.AveragePrice : order.Price;
            if (_store.TryAddFill(own))
            {
                newQuantity += own.Quantity;
                newNotional += own.Price * own.Quantity;
                fee += FeeInQuote(own.Fee, own.FeeAsset, feePrice);
                continue;
            }

            if (_store.BookedFill(_symbol, own.TradeId) is not { } booked)
            {
                continue;
            }

            var quantityNow = booked.Quantity == 0 && own.Quantity > 0;
            var feeNow = Math.Abs(own.Fee) > Math.Abs(booked.Fee);
            if (!quantityNow && !feeNow)
            {
                continue;
            }

            _store.UpdateFill(feeNow ? own : own with { Fee = booked.Fee, FeeAsset = booked.Asset });
            if (quantityNow)
            {
                // The first record of this trade carried only its fee (booked then); this one brings its quantity.
                newQuantity += own.Quantity;
                newNotional += own.Price * own.Quantity;
            }

            if (feeNow)
            {
                var extra = FeeInQuote(own.Fee, own.FeeAsset, feePrice) - FeeInQuote(booked.Fee, booked.Asset, feePrice);
                lateFee += extra;
                Log.LateFee(_logger, _symbol, own.TradeId, own.Fee - booked.Fee, own.FeeAsset, extra);
            }
        }

        var delta = cumulativeFilled - previousFilled;
        if (delta <= 0)
        {
            // The quantity these fills belong to is booked already: their fees are late.
            return new FillBooking(0m, 0m, lateFee + fee);
        }

        var price = newQuantity == delta ? newNotional / newQuantity
            : averagePrice > 0 ? ((averagePrice * cumulativeFilled) - (previousAverage * previousFilled)) / delta
            : order.Price;
        return new FillBooking(price, fee, lateFee);
    }

    /// <summary>
    /// A fee in the quote (settle) asset: a quote fee as it is, a base-asset fee at the fill price, a fee in a third asset
    /// (Binance's BNB fee discount) at the latest price of that asset against the quote when the engine trades it. Without
    /// a price the fee cannot be valued: it is left out of the quote totals and a warning names the asset, once.
    /// </summary>
    public decimal FeeInQuote(decimal fee, string? asset, decimal fillPrice)
    {
        var rules = _strategy.Rules;
        if (fee == 0 || string.IsNullOrEmpty(asset) || asset == rules.QuoteAsset)
        {
            return fee;
        }

        if (asset == rules.BaseAsset)
        {
            return fee * fillPrice;
        }

        var price = _assetPrice(asset + rules.QuoteAsset);
        if (price > 0)
        {
            return fee * price;
        }

        if (_unpricedAssets.Add(asset))
        {
            Log.FeeUnpriced(_logger, _symbol, fee, asset, rules.QuoteAsset);
        }

        return 0m;
    }

    /// <summary>
    /// Saves what a booked fill changed: the slot, the realised PnL with its fee line, late fees and a closed round trip.
    /// Inside the transaction. Returns whether the books changed.
    /// </summary>
    public bool Book(GridSlot slot, OrderOutcome outcome, FillBooking booking, DateTimeOffset time)
    {
        if (outcome.FilledDelta <= 0 && booking.LateFee == 0)
        {
            return false;
        }

        if (outcome.FilledDelta > 0)
        {
            _store.SaveSlot(_symbol, slot);
        }

        var fees = (outcome.FilledDelta > 0 ? booking.Fee : 0m) + booking.LateFee;
        var pnl = Pnl with { Realised = Pnl.Realised + outcome.RealisedPnl - booking.LateFee, Fees = Pnl.Fees + fees };
        if (outcome.RoundTripClosed)
        {
            pnl = pnl with
            {
                RoundTrips = pnl.RoundTrips + 1,
                Wins = pnl.Wins + (outcome.RoundTripPnl > 0 ? 1 : 0),
                Losses = pnl.Losses + (outcome.RoundTripPnl < 0 ? 1 : 0),
            };
            _store.AddRoundTrip(_symbol, slot.Level, outcome.RoundTripPnl, time);
        }

        Pnl = pnl;
        _store.SavePnl(_symbol, pnl);
        return true;
    }

    /// <summary>
    /// Books a funding payment the venue reported, once per symbol and funding time, into realised PnL and its funding
    /// line (so into the drawdown equity too). Returns whether it was new.
    /// </summary>
    public bool BookFunding(FundingFee fee, decimal markPrice)
    {
        if (fee.Symbol != _symbol || fee.Amount == 0)
        {
            return false;
        }

        var amount = FeeInQuote(fee.Amount, fee.Asset, fee.MarkPrice > 0 ? fee.MarkPrice : markPrice);
        var booked = false;
        _store.InTransaction(() =>
        {
            if (!_store.TryAddFunding(_symbol, fee, amount))
            {
                return;
            }

            var pnl = Pnl with { Realised = Pnl.Realised + amount, Funding = Pnl.Funding + amount };
            _store.SavePnl(_symbol, pnl);
            Pnl = pnl;
            booked = true;
        });

        if (booked)
        {
            Log.Funding(_logger, _symbol, amount, fee.Rate, fee.PositionSize, fee.FundingTime, Pnl.Funding);
            Refresh();
        }

        return booked;
    }

    /// <summary>
    /// After the booked fill is on disk: publishes the position, keeps its history and feeds the breaker.
    /// <paramref name="lastPrice"/> is the price positions are valued at: the mark, or the last trade where there is none.
    /// </summary>
    public void Published(long level, SlotOrder order, OrderOutcome outcome, DateTimeOffset time, decimal lastPrice)
    {
        if (outcome.FilledDelta <= 0)
        {
            return;
        }

        _openedAt ??= time;
        var snapshot = Refresh();
        _store.AddPositionSnapshot(new PositionSnapshotRow(_symbol, snapshot.Position, snapshot.EntryPrice, outcome.FillPrice, snapshot.UnrealisedPnl(lastPrice), time));
        _positions.Publish(new PositionEvent(_symbol, snapshot, lastPrice, "fill", ToOrder(order)));
        Log.Filled(_logger, _symbol, order.ClientOrderId, order.Side, outcome.FilledDelta, outcome.FillPrice, snapshot.Position);
        if (outcome.RoundTripClosed)
        {
            Log.RoundTrip(_logger, _symbol, level, outcome.RoundTripPnl, Pnl.Realised);
            _risk.Breaker(_symbol)?.OnRoundTrip(outcome.RoundTripPnl);
        }
    }

    /// <summary>Saves every slot's position in one transaction (after a correction from the venue).</summary>
    public void SaveAllSlots() =>
        _store.InTransaction(() =>
        {
            foreach (var slot in _strategy.Slots)
            {
                _store.SaveSlot(_symbol, slot);
            }
        });

    /// <summary>Rebuilds the operators' snapshot from the slots and returns it.</summary>
    public EngineSnapshot Refresh()
    {
        var snapshot = BuildSnapshot();
        Volatile.Write(ref _snapshot, snapshot);
        return snapshot;
    }

    private EngineSnapshot BuildSnapshot()
    {
        // The position's sums change only with the slots' positions and which slots are kept: worked out again only then
        // (a snapshot is built after every change, and most are orders coming and going).
        var at = (_strategy.PositionsVersion, _strategy.MembershipVersion);
        if (_positionSums is not { } sums || sums.At != at)
        {
            sums = SumPositions(at);
            _positionSums = sums;
        }

        var open = new List<Order>(_strategy.WorkingOrders);
        foreach (var slot in _strategy.ActiveSlots)
        {
            if (slot.Order is { } order && !order.IsTerminal)
            {
                open.Add(ToOrder(order));
            }
        }

        return new EngineSnapshot(_symbol, sums.Position, sums.Notional, Pnl, open, _strategy.WorkingOrders, _strategy.Anchor, sums.Position == 0 ? null : _openedAt, _time.GetUtcNow());
    }

    private PositionSums SumPositions((long, long) at)
    {
        decimal position = 0, notional = 0;
        foreach (var slot in _strategy.ActiveSlots)
        {
            // The sums of sign x quantity and sign x notional without the multiplications, over every slot that is not
            // idle (an idle one adds nothing, not even decimals): +x or -x for a sign of 1 or -1 is exactly what the product
            // was. A slot without a position adds a zero that only carries its decimals, which changes the sum only when
            // it has more decimals than the sum so far.
            switch (slot.PositionSign)
            {
                case > 0:
                    position += slot.PositionQuantity;
                    notional += slot.OpenNotional;
                    break;
                case < 0:
                    position -= slot.PositionQuantity;
                    notional -= slot.OpenNotional;
                    break;
                default:
                    if (slot.PositionQuantity.Scale > position.Scale)
                    {
                        position += 0m * slot.PositionQuantity;
                    }

                    if (slot.OpenNotional.Scale > notional.Scale)
                    {
                        notional += 0m * slot.OpenNotional;
                    }

                    break;
            }
        }

        return new PositionSums(at, position, notional);
    }

    /// <summary>The snapshot's position and entry notional, summed at the strategy's positions and membership counts <see cref="At"/>.</summary>
    private readonly record struct PositionSums((long Positions, long Membership) At, decimal Position, decimal Notional);

    private Order ToOrder(SlotOrder order) => order.ToOrder(_symbol);

    private static partial class Log
    {
        [LoggerMessage(103, LogLevel.Information, "{Symbol}: {ClientOrderId} {Side} filled {Quantity} at {Price}; position {Position}")]
        public static partial void Filled(ILogger logger, string symbol, string clientOrderId, OrderSide side, decimal quantity, decimal price, decimal position);

        [LoggerMessage(104, LogLevel.Information, "{Symbol}: round trip of level {Level} closed with {Pnl}; realised {Realised}")]
        public static partial void RoundTrip(ILogger logger, string symbol, long level, decimal pnl, decimal realised);

        [LoggerMessage(120, LogLevel.Information, "{Symbol}: fee of trade {TradeId} arrived after its fill: {Fee} {Asset} more ({Quote} in the quote asset), booked into realised PnL")]
        public static partial void LateFee(ILogger logger, string symbol, string tradeId, decimal fee, string asset, decimal quote);

        [LoggerMessage(121, LogLevel.Warning, "{Symbol}: a fee of {Fee} {Asset} cannot be valued in {Quote}: the engine has no price of {Asset}{Quote}; it is left out of the PnL totals")]
        public static partial void FeeUnpriced(ILogger logger, string symbol, decimal fee, string asset, string quote);

        [LoggerMessage(122, LogLevel.Information, "{Symbol}: funding of {Amount} booked (rate {Rate}, position {Position}, funding time {FundingTime}); funding total {Total}")]
        public static partial void Funding(ILogger logger, string symbol, decimal amount, decimal rate, decimal position, DateTimeOffset fundingTime, decimal total);
    }
}
