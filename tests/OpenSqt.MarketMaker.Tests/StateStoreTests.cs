using Microsoft.Data.Sqlite;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>
/// The state file's order tables: working orders in their own small table, finished ones in <c>orders</c>. A file
/// written by an earlier engine (one rowid table of every order with an index for the client id, one for open orders and
/// one for time) opens with every order it held, the open ones back on their symbol in sequence order and the sequence
/// where it stopped.
/// </summary>
public sealed class StateStoreTests : IDisposable
{
    /// <summary>The orders table and its indexes as the engine created them before the table was keyed by client id.</summary>
    private const string OldOrdersSchema = """
        CREATE TABLE orders (
          client_id TEXT PRIMARY KEY, symbol TEXT NOT NULL, level INTEGER NOT NULL, role INTEGER NOT NULL,
          price TEXT NOT NULL, quantity TEXT NOT NULL, post_only INTEGER NOT NULL, reduce_only INTEGER NOT NULL,
          status INTEGER, exchange_id TEXT, filled TEXT NOT NULL, avg_price TEXT NOT NULL, reject_reason TEXT,
          seq INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, open INTEGER NOT NULL);
        CREATE INDEX orders_open ON orders(symbol, open);
        CREATE INDEX orders_time ON orders(symbol, updated_at);
        """;

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("opensqt-state").FullName;

    private string Path => System.IO.Path.Combine(_directory, "engine.db");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AStateFileWithTheOldOrdersTableOpensWithEveryOrderItsOpenOrdersInSequenceAndItsSequenceWhereItStopped()
    {
        // Two symbols; BTC's last order (sequence 7) finished, so only a sequence read over finished orders too finds it.
        WriteOldFile(
            ("TESTbP1X5", "BTCUSDT", 1, OrderRole.OpenLong, 94_900m, null, true, 5),
            ("TESTbP2X3", "BTCUSDT", 2, OrderRole.OpenLong, 94_800m, "x3", true, 3),
            ("TESTbP1X1", "BTCUSDT", 1, OrderRole.OpenLong, 94_900m, "x1", false, 1),
            ("TESTbM1X7", "BTCUSDT", -1, OrderRole.CloseLong, 95_100m, "x7", false, 7),
            ("TESTeP1X2", "ETHUSDT", 1, OrderRole.OpenLong, 3_390m, "e2", true, 2));

        using (var store = EngineStateStore.Open(Path))
        {
            var btc = store.Load("BTCUSDT");
            Assert.Equal(7, btc.Sequence);
            Assert.Equal(["TESTbP2X3", "TESTbP1X5"], btc.OpenOrders.Select(o => o.Order.ClientOrderId));
            var working = btc.OpenOrders[0];
            Assert.Equal((2L, 3L, OrderRole.OpenLong, 94_800m, 0.002m, true, false), (working.Level, working.Sequence, working.Order.Role, working.Order.Price, working.Order.Quantity, working.Order.PostOnly, working.Order.ReduceOnly));
            Assert.Equal((OrderStatus?)OrderStatus.New, working.Order.Status);
            Assert.Equal("x3", working.Order.ExchangeOrderId);
            Assert.Equal(Start.AddMinutes(3), working.Order.CreatedAt);
            Assert.Null(btc.OpenOrders[1].Order.Status);
            Assert.Null(btc.OpenOrders[1].Order.ExchangeOrderId);

            var eth = store.Load("ETHUSDT");
            Assert.Equal(2, eth.Sequence);
            Assert.Equal(["TESTeP1X2"], eth.OpenOrders.Select(o => o.Order.ClientOrderId));

            // The finished orders are kept, by client id and by venue id, with what they had.
            var finished = store.FindOrder("x7")!;
            Assert.Equal(("TESTbM1X7", OrderStatus.Filled, 0.002m, 95_100m), (finished.Order.ClientOrderId, finished.Order.Status!.Value, finished.Order.FilledQuantity, finished.Order.AveragePrice));
            Assert.Equal("x1", store.FindOrder("TESTbP1X1")!.Order.ExchangeOrderId);
            Assert.Equal(5, store.Orders([], 0, long.MaxValue, 100).Count);
        }

        // The working orders have their own table; the finished ones stay in orders, keyed by client id, with one index.
        Assert.Equal("TESTbP1X5,TESTbP2X3,TESTeP1X2", Sql("SELECT group_concat(client_id) FROM (SELECT client_id FROM working_orders ORDER BY client_id)"));
        Assert.Equal("TESTbM1X7,TESTbP1X1", Sql("SELECT group_concat(client_id) FROM (SELECT client_id FROM orders ORDER BY client_id)"));
        Assert.Contains("WITHOUT ROWID", Sql("SELECT sql FROM sqlite_master WHERE name='orders'"), StringComparison.Ordinal);
        Assert.Equal("orders_seq", Sql("SELECT group_concat(name) FROM sqlite_master WHERE type='index' AND tbl_name='orders' AND sql IS NOT NULL"));

        // Opened again, nothing is migrated twice and the orders are the same; a new order is written beside them.
        using (var again = EngineStateStore.Open(Path))
        {
            Assert.Equal(5, again.Orders([], 0, long.MaxValue, 100).Count);
            again.SaveOrder("BTCUSDT", 3, NewOrder("TESTbP3X8", 94_700m), 8);
            var btc = again.Load("BTCUSDT");
            Assert.Equal(8, btc.Sequence);
            Assert.Equal(["TESTbP2X3", "TESTbP1X5", "TESTbP3X8"], btc.OpenOrders.Select(o => o.Order.ClientOrderId));
        }
    }

    [Fact]
    public async Task ConnectionsOpeningAnOldStateFileAtTheSameTimeMigrateItOnceAndEachSeesEveryOrder()
    {
        WriteOldFile(
            ("TESTbP1X1", "BTCUSDT", 1, OrderRole.OpenLong, 94_900m, "x1", true, 1),
            ("TESTbP2X2", "BTCUSDT", 2, OrderRole.OpenLong, 94_800m, "x2", false, 2));

        // The engine's host, its symbols' writers and its readers open the file as it starts.
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => EngineStateStore.Open(Path))));
        try
        {
            foreach (var store in stores)
            {
                Assert.Equal(2, store.Orders([], 0, long.MaxValue, 100).Count);
                Assert.Equal(2, store.Load("BTCUSDT").Sequence);
            }
        }
        finally
        {
            foreach (var store in stores)
            {
                store.Dispose();
            }
        }
    }

    [Fact]
    public void AnOrderThatFinishesMovesToTheFinishedOrdersWithItsStateAndKeepsTheSequence()
    {
        using var store = EngineStateStore.Open(Path);
        var first = NewOrder("TESTbP1X1", 94_900m);
        store.SaveOrder("BTCUSDT", 1, first, 1);
        store.SaveOrder("BTCUSDT", 2, NewOrder("TESTbP2X2", 94_800m), 2);

        first.Status = OrderStatus.Canceled;
        store.SaveOrder("BTCUSDT", 1, first, 1);
        var second = store.Load("BTCUSDT").OpenOrders.Single();
        second.Order.Status = OrderStatus.Filled;
        store.SaveOrder("BTCUSDT", second.Level, second.Order, second.Sequence);

        var btc = store.Load("BTCUSDT");
        Assert.Empty(btc.OpenOrders);
        Assert.Equal(2, btc.Sequence);
        Assert.Equal(OrderStatus.Canceled, store.FindOrder("TESTbP1X1")!.Order.Status);
        Assert.Equal(OrderStatus.Filled, store.FindOrder("TESTbP2X2")!.Order.Status);
        Assert.Equal(2, store.Orders([], 0, long.MaxValue, 100).Count);
        Assert.Null(Sql("SELECT group_concat(client_id) FROM working_orders"));
        Assert.Equal("TESTbP1X1,TESTbP2X2", Sql("SELECT group_concat(client_id) FROM (SELECT client_id FROM orders ORDER BY client_id)"));
    }

    /// <summary>A new working buy of 0.002 at <paramref name="price"/>, made at the tests' start.</summary>
    internal static SlotOrder NewOrder(string clientOrderId, decimal price) => new()
    {
        ClientOrderId = clientOrderId,
        Role = OrderRole.OpenLong,
        Price = price,
        Quantity = 0.002m,
        PostOnly = true,
        CreatedAt = Start,
        UpdatedAt = Start,
    };

    private void WriteOldFile(params (string ClientId, string Symbol, long Level, OrderRole Role, decimal Price, string? ExchangeId, bool Open, long Sequence)[] orders)
    {
        using var connection = Connect();
        using (var schema = connection.CreateCommand())
        {
            schema.CommandText = "PRAGMA journal_mode=WAL;" + OldOrdersSchema;
            schema.ExecuteNonQuery();
        }

        foreach (var o in orders)
        {
            using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO orders(client_id, symbol, level, role, price, quantity, post_only, reduce_only, status, exchange_id, filled, avg_price, reject_reason, seq, created_at, updated_at, open)
                VALUES ($c, $s, $l, $r, $p, '0.002', 1, 0, $st, $x, $f, $a, NULL, $seq, $t, $t, $o)
                """;
            insert.Parameters.AddWithValue("$c", o.ClientId);
            insert.Parameters.AddWithValue("$s", o.Symbol);
            insert.Parameters.AddWithValue("$l", o.Level);
            insert.Parameters.AddWithValue("$r", (int)o.Role);
            insert.Parameters.AddWithValue("$p", o.Price.ToString(System.Globalization.CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$st", o.ExchangeId is null ? DBNull.Value : o.Open ? (int)OrderStatus.New : (int)OrderStatus.Filled);
            insert.Parameters.AddWithValue("$x", (object?)o.ExchangeId ?? DBNull.Value);
            insert.Parameters.AddWithValue("$f", o.Open ? "0" : "0.002");
            insert.Parameters.AddWithValue("$a", o.Open ? "0" : o.Price.ToString(System.Globalization.CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$seq", o.Sequence);
            insert.Parameters.AddWithValue("$t", Start.AddMinutes(o.Sequence).ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$o", o.Open ? 1 : 0);
            insert.ExecuteNonQuery();
        }
    }

    private string? Sql(string query)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = query;
        return command.ExecuteScalar() as string;
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
