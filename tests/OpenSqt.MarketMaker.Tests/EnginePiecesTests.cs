using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;
using OpenSqt.MarketMaker.Telemetry;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>The engine's pieces on their own: the order tracker, the ledger and the reconciler over a real state file.</summary>
public sealed class EnginePiecesTests : IDisposable
{
    private const string Book = "TEST";
    private const decimal BnbPrice = 600m;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"opensqt-pieces-{Guid.NewGuid():N}.db");
    private readonly EngineStateStore _store;
    private readonly GridStrategy _strategy;
    private readonly RiskState _risk;
    private readonly Ledger _ledger;
    private readonly OrderTracker _tracker;
    private readonly Reconciler _reconciler;
    private long _sequence;

    public EnginePiecesTests()
    {
        var grid = StrategyTests.Grid();
        _store = EngineStateStore.Open(_path);
        _strategy = new GridStrategy(grid, StrategyTests.Btc);
        _strategy.SetAnchor(95_000m);
        _risk = new RiskState(Microsoft.Extensions.Options.Options.Create(new MarketMakerOptions { Symbols = [grid] }), _time);
        _ledger = new Ledger(grid.Symbol, _strategy, _store, PnlState.Empty, _risk, new Broadcast<PositionEvent>(), _time, NullLogger.Instance,
            symbol => symbol == "BNBUSDT" ? BnbPrice : 0m);
        _tracker = new OrderTracker(grid, _strategy, _store, _ledger, _risk, new EngineMetrics(_services.GetRequiredService<IMeterFactory>()), _time, NullLogger.Instance);
        _reconciler = new Reconciler(grid, _strategy, _tracker, _ledger, _risk, restoredFromState: false, Book, _time, NullLogger.Instance);
    }

    public void Dispose()
    {
        _store.Dispose();
        _services.Dispose();
        File.Delete(_path);
    }

    private TrackedOrder Begin(long level)
    {
        var price = _strategy.LevelPrice(level);
        var sequence = ++_sequence;
        var id = ClientOrderId.Create(Book, ClientOrderId.SymbolTag("BTCUSDT"), OrderRole.OpenLong, level, sequence);
        return _tracker.Begin(GridAction.Place(level, OrderRole.OpenLong, price, 0.002m, postOnly: true, reduceOnly: false), id, sequence, _time.GetUtcNow(), 0);
    }

    private OrderUpdate Update(TrackedOrder tracked, OrderStatus status, decimal filled, Fill? fill) =>
        OrderUpdate.From(Venue(tracked, status, filled), "sim", fill);

    private Fill Trade(string id, decimal quantity, decimal fee, string feeAsset = "USDT", decimal price = 94_900m) =>
        new() { TradeId = id, ExchangeOrderId = "x", Symbol = "BTCUSDT", Side = OrderSide.Buy, Price = price, Quantity = quantity, Fee = fee, FeeAsset = feeAsset, Timestamp = _time.GetUtcNow() };

    private Order Venue(TrackedOrder tracked, OrderStatus status, decimal filled = 0m, IReadOnlyList<Fill>? fills = null) => new()
    {
        ExchangeOrderId = "x" + tracked.Order.ClientOrderId,
        ClientOrderId = tracked.Order.ClientOrderId,
        Symbol = "BTCUSDT",
        Side = OrderSide.Buy,
        Type = OrderType.Limit,
        Price = tracked.Order.Price,
        Quantity = tracked.Order.Quantity,
        FilledQuantity = filled,
        AveragePrice = filled > 0 ? tracked.Order.Price : 0,
        Status = status,
        Fills = fills ?? [],
        CreatedAt = _time.GetUtcNow(),
        UpdatedAt = _time.GetUtcNow(),
    };

    [Fact]
    public void ACancelTheVenueCannotFindWhileThePlaceIsOutKeepsTheSlotAndIsSentAgainOnceTheOrderLands()
    {
        var tracked = Begin(-1);
        OrderTracker.CancelSent(tracked);

        _tracker.OnCancelled(tracked, new CancelOutcome(CancelResult.Done, ExchangeErrorKind.NotFound, "unknown order"), "TrailingBuy");
        Assert.False(tracked.Order.IsTerminal);
        Assert.Equal(1, _strategy.WorkingOrders);
        Assert.Empty(_tracker.TakeCancels());

        _tracker.OnPlaced(tracked, new PlaceOutcome(PlaceResult.Placed, Venue(tracked, OrderStatus.New), ExchangeErrorKind.Unknown, ""));
        Assert.Equal([tracked], _tracker.TakeCancels());
        Assert.Equal(1, _strategy.WorkingOrders);

        _tracker.Apply(tracked, OrderStatus.Canceled, 0, 0, [], null, _time.GetUtcNow(), null);
        Assert.Equal(0, _strategy.WorkingOrders);
    }

    [Fact]
    public void ACancelOfAConfirmedOrderTheVenueCannotFindIsLookedUpInsteadOfFreeingTheSlot()
    {
        var tracked = Begin(-1);
        _tracker.OnPlaced(tracked, new PlaceOutcome(PlaceResult.Placed, Venue(tracked, OrderStatus.New), ExchangeErrorKind.Unknown, ""));
        OrderTracker.CancelSent(tracked);

        _tracker.OnCancelled(tracked, new CancelOutcome(CancelResult.Done, ExchangeErrorKind.NotFound, "unknown order"), "TrailingBuy");
        Assert.Equal([tracked], _tracker.TakeLookups());
        Assert.Equal(1, _strategy.WorkingOrders);

        // The venue says it filled: the fill is booked, not lost to a "cancelled".
        var fill = new Fill { TradeId = "t1", ExchangeOrderId = "x", Symbol = "BTCUSDT", Side = OrderSide.Buy, Price = tracked.Order.Price, Quantity = 0.002m, Fee = 0.01m, Timestamp = _time.GetUtcNow() };
        _tracker.OnLookup(tracked, new LookupOutcome(LookupResult.Found, Venue(tracked, OrderStatus.Filled, 0.002m, [fill]), ""));
        Assert.Equal(OrderStatus.Filled, tracked.Order.Status);
        Assert.Equal(0.002m, _strategy.NetPosition);
    }

    [Fact]
    public void AFillSeenByTheStreamAndAgainByReconciliationIsBookedOnce()
    {
        var tracked = Begin(-1);
        _tracker.OnPlaced(tracked, new PlaceOutcome(PlaceResult.Placed, Venue(tracked, OrderStatus.New), ExchangeErrorKind.Unknown, ""));
        var fill = new Fill { TradeId = "t1", ExchangeOrderId = "x", Symbol = "BTCUSDT", Side = OrderSide.Buy, Price = tracked.Order.Price, Quantity = 0.001m, Fee = 0.01m, Timestamp = _time.GetUtcNow() };
        _tracker.Apply(tracked, OrderStatus.PartiallyFilled, 0.001m, tracked.Order.Price, [fill], null, _time.GetUtcNow(), null);

        var comparison = _reconciler.CompareOrders([Venue(tracked, OrderStatus.PartiallyFilled, 0.001m, [fill])], _time.GetUtcNow());

        Assert.Empty(comparison.Missing);
        Assert.Equal(0.001m, _strategy.NetPosition);
        Assert.Single(_store.Fills([], 0, long.MaxValue, 100));
    }

    [Fact]
    public void ReconciliationCancelsOnlyUntrackedOrdersWithTheEnginesPrefixAndReportsForeignOnes()
    {
        var tracked = Begin(-1);
        _tracker.OnPlaced(tracked, new PlaceOutcome(PlaceResult.Placed, Venue(tracked, OrderStatus.New), ExchangeErrorKind.Unknown, ""));
        var own = Venue(tracked, OrderStatus.New) with { ClientOrderId = ClientOrderId.Create(Book, ClientOrderId.SymbolTag("BTCUSDT"), OrderRole.OpenLong, -7, 99), ExchangeOrderId = "lost" };
        var otherBook = own with { ClientOrderId = ClientOrderId.Create("ZZZZ", ClientOrderId.SymbolTag("BTCUSDT"), OrderRole.OpenLong, -7, 99), ExchangeOrderId = "other-bot" };
        var manual = own with { ClientOrderId = "web_8f2a", ExchangeOrderId = "manual" };

        var first = _reconciler.CompareOrders([Venue(tracked, OrderStatus.New), own, otherBook, manual], _time.GetUtcNow());
        Assert.Empty(first.Unknown);
        Assert.True(_reconciler.Pending);

        var comparison = _reconciler.CompareOrders([Venue(tracked, OrderStatus.New), own, otherBook, manual], _time.GetUtcNow());

        Assert.Equal(["lost"], comparison.Unknown.Select(o => o.ExchangeOrderId));
        Assert.Equal(["other-bot", "manual"], comparison.Foreign.Select(o => o.ExchangeOrderId));
        Assert.Empty(comparison.Missing);
    }

    [Fact]
    public void AnOrderMissingFromTheVenueIsLookedUpOnlyWhenTheNextRunMissesItTooAndNeverWhenCreatedAfterTheSnapshot()
    {
        var older = Begin(-1);
        _tracker.OnPlaced(older, new PlaceOutcome(PlaceResult.Placed, Venue(older, OrderStatus.New), ExchangeErrorKind.Unknown, ""));
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var snapshotAt = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMilliseconds(5));
        var newer = Begin(-2);
        _tracker.OnPlaced(newer, new PlaceOutcome(PlaceResult.Placed, Venue(newer, OrderStatus.New), ExchangeErrorKind.Unknown, ""));

        // The venue's snapshot was asked for before the second order was placed and lists neither.
        Assert.Empty(_reconciler.CompareOrders([], snapshotAt).Missing);
        Assert.True(_reconciler.Pending);

        // The stream explains nothing in between: the older order is missing twice and looked up; the newer one is in
        // this snapshot, as it should be.
        var second = _reconciler.CompareOrders([Venue(newer, OrderStatus.New)], _time.GetUtcNow());
        Assert.Equal([older], second.Missing);
        Assert.False(_reconciler.Pending);
    }

    [Fact]
    public void AnOrderMissingOnceThatTheStreamFinishesBeforeTheNextRunIsForgotten()
    {
        var tracked = Begin(-1);
        _tracker.OnPlaced(tracked, new PlaceOutcome(PlaceResult.Placed, Venue(tracked, OrderStatus.New), ExchangeErrorKind.Unknown, ""));
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Empty(_reconciler.CompareOrders([], _time.GetUtcNow()).Missing);

        _tracker.Apply(tracked, OrderStatus.Canceled, 0, 0, [], null, _time.GetUtcNow(), null);

        Assert.Empty(_reconciler.CompareOrders([], _time.GetUtcNow()).Missing);
        Assert.False(_reconciler.Pending);
    }

    [Fact]
    public void APositionDifferenceIsActedOnOnlyWhenTwoRunsInARowSeeTheSameOne()
    {
        var tracked = Begin(-1);
        _tracker.OnPlaced(tracked, new PlaceOutcome(PlaceResult.Placed, Venue(tracked, OrderStatus.New), ExchangeErrorKind.Unknown, ""));
        _reconciler.Finish(_reconciler.Epoch);
        var fill = new Fill { TradeId = "t1", ExchangeOrderId = "x", Symbol = "BTCUSDT", Side = OrderSide.Buy, Price = tracked.Order.Price, Quantity = 0.002m, Fee = 0.01m, Timestamp = _time.GetUtcNow() };

        // A fill the stream has not delivered yet: seen once, remembered, nothing done.
        var first = _reconciler.ComparePosition(0.002m, tracked.Order.Price, 95_000m);
        Assert.True(first.Pending);
        Assert.False(first.Corrected);
        Assert.Equal(0m, _strategy.NetPosition);

        // The stream delivers it: the next run matches and forgets the difference.
        _tracker.Apply(tracked, OrderStatus.Filled, 0.002m, tracked.Order.Price, [fill], null, _time.GetUtcNow(), null);
        Assert.True(_reconciler.ComparePosition(0.002m, tracked.Order.Price, 95_000m).PositionMatch);
        Assert.False(_reconciler.Pending);
        Assert.False(_risk.Breaker("BTCUSDT")!.IsOpen);

        // A real difference (someone sold 0.001 on the account): the same one twice opens the breaker (50 %).
        Assert.True(_reconciler.ComparePosition(0.001m, tracked.Order.Price, 95_000m).Pending);
        Assert.False(_risk.Breaker("BTCUSDT")!.IsOpen);
        var second = _reconciler.ComparePosition(0.001m, tracked.Order.Price, 95_000m);
        Assert.False(second.Pending);
        Assert.True(_risk.Breaker("BTCUSDT")!.IsOpen);
        Assert.Equal(0.002m, _strategy.NetPosition);
    }

    [Fact]
    public void AReconnectDuringAReconciliationLeavesTheSymbolUnreconciledUntilARunThatBeganAfterIt()
    {
        var epoch = _reconciler.Epoch;
        _reconciler.Finish(epoch);
        Assert.True(_reconciler.Reconciled);

        // A stream reconnects: nothing is placed until a reconciliation finishes.
        _reconciler.Invalidate();
        Assert.False(_reconciler.Reconciled);

        // A run that began before a second reconnect does not count.
        var started = _reconciler.Epoch;
        _reconciler.Invalidate();
        _reconciler.Finish(started);
        Assert.False(_reconciler.Reconciled);

        _reconciler.Finish(_reconciler.Epoch);
        Assert.True(_reconciler.Reconciled);
    }

    [Fact]
    public void AFeeRecordThatArrivesAfterItsFillReachesRealisedPnlAndTheFeeTotalExactlyOnce()
    {
        var tracked = Begin(-1);
        Assert.Equal(94_900m, tracked.Order.Price);

        // The place answer already says filled, without its trades: the quantity is booked, no fee is known yet.
        _tracker.OnPlaced(tracked, new PlaceOutcome(PlaceResult.Placed, Venue(tracked, OrderStatus.Filled, 0.002m), ExchangeErrorKind.Unknown, ""));
        Assert.Equal(0.002m, _strategy.NetPosition);
        Assert.Equal((0m, 0m), (_ledger.Pnl.Realised, _ledger.Pnl.Fees));

        // The stream's trade with its fee comes after: the quantity is not booked again, the fee is.
        Assert.Equal(TrackerEffect.Changed, _tracker.OnUpdate(Update(tracked, OrderStatus.Filled, 0.002m, Trade("t1", 0.002m, 0.0759m))));
        Assert.Equal(0.002m, _strategy.NetPosition);
        Assert.Equal((-0.0759m, 0.0759m), (_ledger.Pnl.Realised, _ledger.Pnl.Fees));

        // The same record again, and a copy without its fee (as some order answers repeat a trade): nothing more.
        Assert.Equal(TrackerEffect.None, _tracker.OnUpdate(Update(tracked, OrderStatus.Filled, 0.002m, Trade("t1", 0.002m, 0.0759m))));
        _tracker.OnLookup(tracked, new LookupOutcome(LookupResult.Found, Venue(tracked, OrderStatus.Filled, 0.002m, [Trade("t1", 0.002m, 0m)]), ""));
        Assert.Equal((-0.0759m, 0.0759m), (_ledger.Pnl.Realised, _ledger.Pnl.Fees));

        // A fee-only record (quantity 0) correcting the trade's fee upwards books the difference, once.
        var correction = Trade("t1", 0m, 0.0800m) with { Price = 0m };
        Assert.Equal(TrackerEffect.Changed, _tracker.OnUpdate(Update(tracked, OrderStatus.Filled, 0.002m, correction)));
        Assert.Equal(TrackerEffect.None, _tracker.OnUpdate(Update(tracked, OrderStatus.Filled, 0.002m, correction)));
        Assert.Equal((-0.0800m, 0.0800m), (_ledger.Pnl.Realised, _ledger.Pnl.Fees));
        Assert.Equal(0.0800m, _store.LoadPnl("BTCUSDT").Fees);
        Assert.Equal(-0.0800m, _store.LoadPnl("BTCUSDT").Realised);
        var stored = Assert.Single(_store.Fills([], 0, long.MaxValue, 100));
        Assert.Equal((0.002m, 0.0800m, 94_900m), (stored.Quantity, stored.Fee, stored.Price));
    }

    [Fact]
    public void AFeeRecordBeforeItsTradesQuantityIsBookedOnceAndTheTradeKeepsItsQuantity()
    {
        var tracked = Begin(-1);
        _tracker.OnPlaced(tracked, new PlaceOutcome(PlaceResult.Placed, Venue(tracked, OrderStatus.New), ExchangeErrorKind.Unknown, ""));

        _tracker.OnUpdate(Update(tracked, OrderStatus.New, 0m, Trade("t9", 0m, 0.05m) with { Price = 0m }));
        _tracker.OnUpdate(Update(tracked, OrderStatus.Filled, 0.002m, Trade("t9", 0.002m, 0.05m)));

        Assert.Equal(0.002m, _strategy.NetPosition);
        Assert.Equal(0.05m, _ledger.Pnl.Fees);
        Assert.Equal(-0.05m, _ledger.Pnl.Realised);
        Assert.Equal(94_900m * 0.002m, Assert.Single(_strategy.Slots, s => s.IsFilled).OpenNotional);
        Assert.Equal(0.002m, Assert.Single(_store.Fills([], 0, long.MaxValue, 100)).Quantity);
    }

    [Theory]
    [InlineData("USDT", "0.038", "0.038")]
    [InlineData("BTC", "0.0000004", "0.03796")]
    [InlineData("BNB", "0.0001", "0.06")]
    [InlineData("XYZ", "1", "0")]
    public void AFeeIsBookedInTheQuoteAssetConvertedWithThePriceAtFillTime(string asset, string fee, string expectedQuote)
    {
        var tracked = Begin(-1);
        _tracker.OnPlaced(tracked, new PlaceOutcome(PlaceResult.Placed, Venue(tracked, OrderStatus.New), ExchangeErrorKind.Unknown, ""));

        _tracker.OnUpdate(Update(tracked, OrderStatus.Filled, 0.002m, Trade("t1", 0.002m, decimal.Parse(fee, System.Globalization.CultureInfo.InvariantCulture), asset)));

        var quote = decimal.Parse(expectedQuote, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(quote, _ledger.Pnl.Fees);

        // An opening fee reaches realised PnL when the position closes; here it waits with the slot.
        Assert.Equal(quote, Assert.Single(_strategy.Slots, s => s.IsFilled).OpenFees);
        Assert.Equal(asset, Assert.Single(_store.Fills([], 0, long.MaxValue, 100)).FeeAsset);
    }

    [Fact]
    public void AFundingPaymentIsBookedOnceIntoRealisedPnlAsItsOwnLineAndSurvivesARestart()
    {
        var fee = new FundingFee { Symbol = "BTCUSDT", Amount = -0.019m, Asset = "USDT", Rate = 0.0001m, PositionSize = 0.002m, MarkPrice = 95_000m, FundingTime = new DateTimeOffset(2026, 1, 1, 8, 0, 0, TimeSpan.Zero) };

        Assert.True(_ledger.BookFunding(fee, 95_000m));
        Assert.False(_ledger.BookFunding(fee, 95_000m));
        Assert.False(_ledger.BookFunding(fee with { Symbol = "ETHUSDT" }, 95_000m));

        Assert.Equal((-0.019m, -0.019m, 0m), (_ledger.Pnl.Realised, _ledger.Pnl.Funding, _ledger.Pnl.Fees));
        Assert.Equal(_ledger.Pnl, _store.LoadPnl("BTCUSDT"));
        Assert.Equal(-0.019m, _ledger.Snapshot.Pnl.Funding);
    }
}
