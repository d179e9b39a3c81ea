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
        _ledger = new Ledger(grid.Symbol, _strategy, _store, PnlState.Empty, _risk, new Broadcast<PositionEvent>(), _time, NullLogger.Instance);
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
}
