using Microsoft.Data.Sqlite;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>
/// The replay's in-memory state (<see cref="EngineStateStore.OpenInMemory"/>): its writes are queued to a writer thread
/// shared by every connection to the database. Whatever reads it sees what it would have seen had each write run at once,
/// in the order they were made across connections; a fill's "new or already booked" is answered at once, exactly; a write
/// that fails there fails every later call, as a failed write live does.
/// </summary>
public sealed class InMemoryStateTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _name = $"opensqt-test-{Guid.NewGuid():N}";
    private readonly SqliteConnection _keeper;

    public InMemoryStateTests()
    {
        // Keeps the shared in-memory database alive between the stores, as the replay's runner does.
        _keeper = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _name, Mode = SqliteOpenMode.Memory, Cache = SqliteCacheMode.Shared, Pooling = false }.ToString());
        _keeper.Open();
    }

    public void Dispose() => _keeper.Dispose();

    [Fact]
    public void QueuedWritesOfTwoConnectionsLandInTheOrderTheyWereMadeAndEveryReadSeesThem()
    {
        using var engine = EngineStateStore.OpenInMemory(_name, writeBehind: true);
        using var risk = EngineStateStore.OpenInMemory(_name, writeBehind: true);
        var order = StateStoreTests.NewOrder("TESTbP1X1", 94_900m);
        engine.SaveOrder("BTCUSDT", 1, order, 1);
        engine.SaveOrder("BTCUSDT", 2, StateStoreTests.NewOrder("TESTbP2X2", 94_800m), 2);

        // The order object changes after its write was queued: the write keeps what it had when it was made.
        order.Status = OrderStatus.Filled;
        order.FilledQuantity = 0.002m;
        engine.SaveOrder("BTCUSDT", 1, order, 1);
        order.FilledQuantity = 1m;

        // The same row written through one connection, then the other: the later write wins, as it would at once.
        engine.SavePnl("BTCUSDT", new PnlState(1m, 1, 1, 0));
        risk.SavePnl("BTCUSDT", new PnlState(2m, 2, 2, 0));
        engine.SavePnl("BTCUSDT", new PnlState(3m, 3, 2, 1));
        risk.SaveRisk("BTCUSDT", "{\"peak\":1}", Start);
        engine.SaveAnchor("BTCUSDT", 95_000m);

        var loaded = risk.Load("BTCUSDT");
        Assert.Equal(95_000m, loaded.Anchor);
        Assert.Equal(2, loaded.Sequence);
        Assert.Equal(["TESTbP2X2"], loaded.OpenOrders.Select(o => o.Order.ClientOrderId));
        Assert.Equal(new PnlState(3m, 3, 2, 1), engine.LoadPnl("BTCUSDT"));
        Assert.Equal("{\"peak\":1}", engine.LoadRisk("BTCUSDT"));
        var filled = engine.FindOrder("TESTbP1X1")!;
        Assert.Equal((OrderStatus.Filled, 0.002m), (filled.Order.Status!.Value, filled.Order.FilledQuantity));
    }

    [Fact]
    public void AFillIsAnsweredNewOrBookedAtOnceAndAnUndoneTransactionGivesItsFillsBack()
    {
        // A fill already in the database before the first store opened it is booked.
        Sql("""
            CREATE TABLE fills (symbol TEXT NOT NULL, trade_id TEXT NOT NULL, client_id TEXT, exchange_id TEXT NOT NULL, side INTEGER NOT NULL,
              price TEXT NOT NULL, quantity TEXT NOT NULL, fee TEXT NOT NULL, fee_asset TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (symbol, trade_id));
            INSERT INTO fills VALUES ('BTCUSDT', 't0', 'c0', 'x0', 0, '95000', '0.002', '0.01', 'USDT', 0);
            """);
        using var store = EngineStateStore.OpenInMemory(_name, writeBehind: true);
        using var other = EngineStateStore.OpenInMemory(_name, writeBehind: true);
        Assert.False(store.TryAddFill(NewFill("BTCUSDT", "t0")));

        Assert.True(store.TryAddFill(NewFill("BTCUSDT", "t1")));
        Assert.False(store.TryAddFill(NewFill("BTCUSDT", "t1")));
        Assert.False(other.TryAddFill(NewFill("BTCUSDT", "t1")));
        Assert.True(other.TryAddFill(NewFill("ETHUSDT", "t1")));

        // Booked inside a transaction that is undone: not booked after all, and booked again later.
        Assert.Throws<InvalidOperationException>(() => store.InTransaction(() =>
        {
            Assert.True(store.TryAddFill(NewFill("BTCUSDT", "t2")));
            throw new InvalidOperationException("the booking failed halfway");
        }));
        Assert.True(store.TryAddFill(NewFill("BTCUSDT", "t2")));

        var fills = store.Fills([], 0, long.MaxValue, 100).Select(f => $"{f.Symbol}:{f.TradeId}").Order();
        Assert.Equal(["BTCUSDT:t0", "BTCUSDT:t1", "BTCUSDT:t2", "ETHUSDT:t1"], fills);
    }

    /// <summary>
    /// Another connection's write made while a transaction is being queued waits for its end: queued between its BEGIN
    /// and COMMIT, it would run while the transaction holds the tables (shared cache) and wait for a COMMIT queued behind
    /// it, until the busy timeout failed it.
    /// </summary>
    [Fact]
    public async Task AnotherConnectionsWriteDuringATransactionWaitsForItsEndAndBothLand()
    {
        using var engine = EngineStateStore.OpenInMemory(_name, writeBehind: true);
        using var risk = EngineStateStore.OpenInMemory(_name, writeBehind: true);
        Thread? other = null;
        var saved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.InTransaction(() =>
        {
            engine.SaveSlot("BTCUSDT", new GridSlot(1, 94_900m, 0.002m));
            other = new Thread(() =>
            {
                risk.SaveRisk("BTCUSDT", "{\"peak\":2}", Start);
                saved.SetResult();
            });
            other.Start();

            // The other thread is blocked (on the store's order) or, were nothing to stop it, has queued its write.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!saved.Task.IsCompleted && (other.ThreadState & ThreadState.WaitSleepJoin) == 0 && DateTime.UtcNow < deadline)
            {
                Thread.Yield();
            }

            engine.SavePnl("BTCUSDT", new PnlState(5m, 1, 1, 0));
        });

        await saved.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("{\"peak\":2}", engine.LoadRisk("BTCUSDT"));
        Assert.Equal(new PnlState(5m, 1, 1, 0), risk.LoadPnl("BTCUSDT"));
        Assert.Single(risk.Load("BTCUSDT").Slots);
    }

    [Fact]
    public void AQueuedWriteThatFailsFailsEveryLaterCallOfEveryStoreWithItsError()
    {
        using var store = EngineStateStore.OpenInMemory(_name, writeBehind: true);
        using var other = EngineStateStore.OpenInMemory(_name, writeBehind: true);
        var slot = new GridSlot(1, 94_900m, 0.002m);
        store.SaveSlot("BTCUSDT", slot);
        Assert.Single(store.Load("BTCUSDT").Slots);

        // The table goes away under the kept statement: the queued write fails on the writer's thread.
        Sql("DROP TABLE slots");
        store.SaveSlot("BTCUSDT", slot);

        var failed = Assert.Throws<SqliteException>(() => store.Load("BTCUSDT"));
        Assert.Contains("no such table: slots", failed.Message, StringComparison.Ordinal);
        Assert.Throws<SqliteException>(() => other.SavePnl("BTCUSDT", PnlState.Empty));
        Assert.Throws<SqliteException>(() => store.TryAddFill(NewFill("BTCUSDT", "t1")));
    }

    /// <summary>
    /// The writer runs a write through SQLite's own interface and retries it, as Microsoft.Data.Sqlite does, while the table
    /// is locked: here by another connection's read still open on it (shared cache), until that read ends.
    /// </summary>
    [Fact]
    public async Task AWriteThatFindsItsTableReadByAnotherConnectionLandsOnceTheReadEnds()
    {
        using var store = EngineStateStore.OpenInMemory(_name, writeBehind: true);
        using var reader = new SqliteConnection(_keeper.ConnectionString);
        reader.Open();
        store.SaveSlot("BTCUSDT", new GridSlot(1, 94_900m, 0.002m));
        Assert.Single(store.Load("BTCUSDT").Slots);

        using var read = reader.CreateCommand();
        read.CommandText = "SELECT level FROM slots";
        var open = read.ExecuteReader();
        Assert.True(open.Read());

        // Queued behind the open read; the load after it waits for the writer, which waits for the read (seen waiting for
        // half a second, more than three of its retries; without the retries the load would fail with the lock's error).
        store.SaveSlot("BTCUSDT", new GridSlot(2, 94_800m, 0.002m));
        var loaded = Task.Run(() => store.Load("BTCUSDT"));
        var deadline = DateTime.UtcNow.AddMilliseconds(500);
        while (DateTime.UtcNow < deadline && !loaded.IsCompleted)
        {
            await Task.Yield();
        }

        Assert.False(loaded.IsCompleted, "the write ran (or failed) while another connection read its table");
        open.Dispose();
        Assert.Equal([1L, 2L], (await loaded.WaitAsync(TimeSpan.FromSeconds(10))).Slots.Select(s => s.Level).Order());
    }

    /// <summary>
    /// Writes the writer does not run through SQLite's own interface (more than one statement in a command, a value of
    /// another type than text, integer or null) run through Microsoft.Data.Sqlite, in their place in the order; the
    /// statements the writer compiled on a connection are finalised before that connection closes.
    /// </summary>
    [Fact]
    public void WritesTheWriterDoesNotCompileRunInOrderAndAConnectionsStatementsAreFinalisedBeforeItCloses()
    {
        var writer = StoreWriter.Acquire(_name, () => []);
        try
        {
            using var connection = new SqliteConnection(_keeper.ConnectionString);
            connection.Open();
            connection.Handle!.enable_sqlite3_next_stmt(true);
            Sql("CREATE TABLE t (n INTEGER, v)");
            using var one = Command(connection, "INSERT INTO t VALUES ($n, $v)", "$n", "$v");
            using var two = Command(connection, "INSERT INTO t VALUES ($n, 'a'); INSERT INTO t VALUES ($n + 1, 'b')", "$n");
            writer.Post(one, [1L, "text"]);
            writer.Post(two, [2]);
            writer.Post(one, [4, 0.5]);
            writer.Post(one, [5L, null]);
            writer.Post(one, [6L, ""]);
            writer.Post(one, [7L, "€ é"]);
            writer.Drain();

            using (var check = _keeper.CreateCommand())
            {
                check.CommandText = "SELECT n, quote(v) FROM t ORDER BY rowid";
                using var rows = check.ExecuteReader();
                var seen = new List<string>();
                while (rows.Read())
                {
                    seen.Add($"{rows.GetInt64(0)}:{rows.GetString(1)}");
                }

                Assert.Equal(["1:'text'", "2:'a'", "3:'b'", "4:0.5", "5:NULL", "6:''", "7:'€ é'"], seen);
            }

            // The writer compiled the one-statement insert on this connection; after the release none of its own is left.
            Assert.NotNull(SQLitePCL.raw.sqlite3_next_stmt(connection.Handle, null));
            one.Dispose();
            two.Dispose();
            writer.ReleaseStatements(connection);
            Assert.Null(SQLitePCL.raw.sqlite3_next_stmt(connection.Handle, null));
        }
        finally
        {
            writer.Release();
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.AddWithValue(name, DBNull.Value);
        }

        return command;
    }

    private static Fill NewFill(string symbol, string tradeId) => new()
    {
        Symbol = symbol,
        TradeId = tradeId,
        ExchangeOrderId = "x-" + tradeId,
        ClientOrderId = "c-" + tradeId,
        Side = OrderSide.Buy,
        Price = 95_000m,
        Quantity = 0.002m,
        Fee = 0.038m,
        Timestamp = Start,
    };

    private void Sql(string sql)
    {
        using var command = _keeper.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
