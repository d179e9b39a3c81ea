using System.Globalization;
using Microsoft.Data.Sqlite;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.State;

/// <summary>
/// Realised PnL bookkeeping of one symbol, in the quote (settle) asset. <see cref="Realised"/> is the total: closed round
/// trips net of their fees, fees booked late, and funding. <see cref="Fees"/> is every trading fee paid so far (the fees of
/// a position still open reach <see cref="Realised"/> when it closes) and <see cref="Funding"/> every funding payment
/// (negative paid, positive received), each its own line.
/// </summary>
public sealed record PnlState(decimal Realised, int RoundTrips, int Wins, int Losses, decimal Fees = 0, decimal Funding = 0)
{
    public static PnlState Empty { get; } = new(0, 0, 0, 0);
}

/// <summary>An order as stored: the slot it belongs to and its last known state.</summary>
public sealed record StoredOrder(string Symbol, long Level, SlotOrder Order, long Sequence);

/// <summary>What a symbol had when the engine stopped.</summary>
public sealed record SymbolSnapshot(
    decimal? Anchor,
    long Sequence,
    IReadOnlyList<(long Level, int Sign, decimal Quantity, decimal OpenNotional, decimal OpenFees, decimal RoundTripPnl, int PostOnlyFailures)> Slots,
    IReadOnlyList<StoredOrder> OpenOrders,
    PnlState Pnl);

/// <summary>One position snapshot for the history.</summary>
public sealed record PositionSnapshotRow(string Symbol, decimal Quantity, decimal EntryPrice, decimal MarketPrice, decimal UnrealizedPnl, DateTimeOffset Time);

/// <summary>
/// The engine's crash-safe state in one SQLite file (WAL): slots, every order with its client id (written before the
/// order is sent), fills (unique by trade id, so a fill is booked once), round trips, realised PnL and the risk state (operator limits,
/// trading state, breakers, equity peaks).
/// Each symbol's writer owns one connection; readers (the operator services) open their own.
/// </summary>
public sealed class EngineStateStore : IDisposable
{
    /// <summary>Writes an order (insert or update) into the table <c>{0}</c>.</summary>
    private const string SaveOrderSql = """
        INSERT INTO {0}(client_id, symbol, level, role, price, quantity, post_only, reduce_only, status, exchange_id, filled, avg_price, reject_reason, seq, created_at, updated_at, open)
        VALUES ($c, $s, $l, $r, $p, $q, $po, $ro, $st, $x, $f, $a, $rr, $seq, $ca, $ua, $o)
        ON CONFLICT(client_id) DO UPDATE SET status=$st, exchange_id=$x, filled=$f, avg_price=$a, reject_reason=$rr, updated_at=$ua, open=$o
        """;

    /// <summary>Every order, working or finished, for the readers.</summary>
    private const string AllOrders = "(SELECT * FROM working_orders UNION ALL SELECT * FROM orders)";

    /// <summary>
    /// The columns of the two order tables: <c>working_orders</c>, the orders not finished (a few per symbol), and
    /// <c>orders</c>, the finished ones; an order moves from the first to the second in the write that finishes it. Both
    /// are keyed by the client id without a rowid (the row lives in its key's b-tree). A new order, on its way out, writes
    /// one page of one small b-tree, where a single table (a rowid table with indexes for the client id, open orders and
    /// time) wrote four pages, each a frame of the WAL written before the order could go. <c>orders</c> has an index by
    /// symbol and sequence for the restart's next sequence.
    /// </summary>
    private const string OrdersColumns = """
          client_id TEXT PRIMARY KEY, symbol TEXT NOT NULL, level INTEGER NOT NULL, role INTEGER NOT NULL,
          price TEXT NOT NULL, quantity TEXT NOT NULL, post_only INTEGER NOT NULL, reduce_only INTEGER NOT NULL,
          status INTEGER, exchange_id TEXT, filled TEXT NOT NULL, avg_price TEXT NOT NULL, reject_reason TEXT,
          seq INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, open INTEGER NOT NULL
        """;

    private const string OrdersColumnNames =
        "client_id, symbol, level, role, price, quantity, post_only, reduce_only, status, exchange_id, filled, avg_price, reject_reason, seq, created_at, updated_at, open";

    private readonly SqliteConnection _connection;

    /// <summary>
    /// Every statement but the order writes below, compiled on its first use and kept with its parameters for the store's
    /// life, keyed by its text (a fixed set). Compiling a statement again for each write cost more than the write: on the
    /// replay's day of ~28,000 orders, each with its slot, fill, PnL and position history rows, the compiling was a tenth
    /// of the engine's time, and live it sits in an order's way out to the venue. The transactions' BEGIN and COMMIT are
    /// kept here too: Microsoft.Data.Sqlite's <c>BeginTransaction</c> compiles them anew for every transaction; run as
    /// kept statements, the connection sees no <c>SqliteTransaction</c> and the commands need none.
    /// </summary>
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

    private bool _inTransaction;

    /// <summary>The fills booked with the writer (<see cref="StoreWriter.BookFill"/>) in the transaction under way.</summary>
    private List<(string Symbol, string TradeId)>? _transactionFills;

    /// <summary>
    /// The order writes, prepared once: the working order's is on every order's way out (nothing is sent before it is
    /// durable), and compiling the statement again for each order cost more than writing it.
    /// </summary>
    private SqliteCommand? _saveWorking;

    private SqliteCommand? _saveFinished;

    /// <summary>
    /// The replay's in-memory state only: the writer its writes are queued to instead of run at once (see
    /// <see cref="StoreWriter"/>); null for a state file, whose writes are on disk before the call returns.
    /// </summary>
    private StoreWriter? _behind;

    private EngineStateStore(SqliteConnection connection) => _connection = connection;

    /// <summary>
    /// The engine's state as its options say: the file at <see cref="MarketMakerOptions.StatePath"/>, or, for the replay
    /// only, the in-memory database <see cref="MarketMakerOptions.InMemoryState"/>.
    /// </summary>
    public static EngineStateStore Open(MarketMakerOptions options) =>
        options.InMemoryState is { } name ? OpenInMemory(name, options.InMemoryStateWriteBehind) : Open(options.StatePath);

    public static EngineStateStore Open(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return Open(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, DefaultTimeout = 30 });
    }

    /// <summary>
    /// A connection to the shared-cache in-memory database <paramref name="name"/> (the replay's, see
    /// <see cref="MarketMakerOptions.InMemoryState"/>): every connection of the process opening the same name shares it,
    /// and it lives while one of them is open. Its journal stays in memory (WAL does not apply); a connection that finds a
    /// table locked by another's transaction retries for the same 30 s as the file's busy timeout. With
    /// <paramref name="writeBehind"/>, its writes are queued to the database's writer thread (<see cref="StoreWriter"/>).
    /// </summary>
    public static EngineStateStore OpenInMemory(string name, bool writeBehind)
    {
        var store = Open(new SqliteConnectionStringBuilder { DataSource = name, Mode = SqliteOpenMode.Memory, Cache = SqliteCacheMode.Shared, Pooling = false, DefaultTimeout = 30 });
        if (writeBehind)
        {
            store._behind = StoreWriter.Acquire(name, store.BookedFillKeys);
        }

        return store;
    }

    private static EngineStateStore Open(SqliteConnectionStringBuilder source)
    {
        var connection = new SqliteConnection(source.ToString());
        connection.Open();
        var store = new EngineStateStore(connection);
        // WAL with synchronous=NORMAL: a commit is in the WAL file (the OS has it) when the call returns, so a state
        // written before an order is sent survives a crash or kill of the process, which is what the engine must
        // survive; only a power loss or kernel crash can lose the last commits, and reconciliation at the next start
        // finds the orders by their client id prefix. FULL would add an fsync to every order's latency.
        store.Execute("PRAGMA journal_mode=WAL;");
        store.Execute("PRAGMA synchronous=NORMAL;");
        store.Execute("PRAGMA busy_timeout=10000;");
        // One write transaction (BEGIN IMMEDIATE) for the schema: the engine's connections open the file at the same
        // time, and the second one to get here must find the first one's migration done, not run it again.
        store.InTransaction(() => store.CreateSchema());
        return store;
    }

    private void CreateSchema()
    {
        MigrateOrders();
        Execute($"""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS working_orders (
            {OrdersColumns}
              ) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS orders (
            {OrdersColumns}
              ) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS orders_seq ON orders(symbol, seq);
            CREATE TABLE IF NOT EXISTS fills (
              symbol TEXT NOT NULL, trade_id TEXT NOT NULL, client_id TEXT, exchange_id TEXT NOT NULL, side INTEGER NOT NULL,
              price TEXT NOT NULL, quantity TEXT NOT NULL, fee TEXT NOT NULL, fee_asset TEXT NOT NULL, time INTEGER NOT NULL,
              PRIMARY KEY (symbol, trade_id));
            CREATE TABLE IF NOT EXISTS slots (
              symbol TEXT NOT NULL, level INTEGER NOT NULL, sign INTEGER NOT NULL, quantity TEXT NOT NULL,
              open_notional TEXT NOT NULL, open_fees TEXT NOT NULL, round_trip_pnl TEXT NOT NULL, post_only_failures INTEGER NOT NULL,
              PRIMARY KEY (symbol, level));
            CREATE TABLE IF NOT EXISTS pnl (symbol TEXT PRIMARY KEY, realised TEXT NOT NULL, round_trips INTEGER NOT NULL, wins INTEGER NOT NULL, losses INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS round_trips (symbol TEXT NOT NULL, level INTEGER NOT NULL, pnl TEXT NOT NULL, closed_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS risk (scope TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS position_history (symbol TEXT NOT NULL, quantity TEXT NOT NULL, entry_price TEXT NOT NULL, market_price TEXT NOT NULL, unrealized TEXT NOT NULL, time INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS funding (symbol TEXT NOT NULL, funding_time INTEGER NOT NULL, amount TEXT NOT NULL, asset TEXT NOT NULL, quote_amount TEXT NOT NULL, PRIMARY KEY (symbol, funding_time));
            """);

        // State files written before fees and funding had their own lines get them, starting at zero.
        foreach (var column in new[] { "fees", "funding" })
        {
            if (Convert.ToInt64(Scalar("SELECT COUNT(*) FROM pragma_table_info('pnl') WHERE name=$n", ("$n", column)), CultureInfo.InvariantCulture) == 0)
            {
                Execute($"ALTER TABLE pnl ADD COLUMN {column} TEXT NOT NULL DEFAULT '0'");
            }
        }
    }

    /// <summary>
    /// State files written before the working orders had their own table (one rowid table of every order, with an index
    /// for the client id and two more) get the tables of today, with every row: the open ones in <c>working_orders</c>,
    /// the finished ones in <c>orders</c>.
    /// </summary>
    private void MigrateOrders()
    {
        if (Scalar("SELECT name FROM sqlite_master WHERE type='table' AND name='orders'") is null
            || Scalar("SELECT name FROM sqlite_master WHERE type='table' AND name='working_orders'") is not null)
        {
            return;
        }

        Execute($"""
            CREATE TABLE working_orders (
            {OrdersColumns}
              ) WITHOUT ROWID;
            INSERT INTO working_orders({OrdersColumnNames}) SELECT {OrdersColumnNames} FROM orders WHERE open<>0;
            CREATE TABLE finished_orders (
            {OrdersColumns}
              ) WITHOUT ROWID;
            INSERT INTO finished_orders({OrdersColumnNames}) SELECT {OrdersColumnNames} FROM orders WHERE open=0;
            DROP TABLE orders;
            ALTER TABLE finished_orders RENAME TO orders;
            """);
    }

    /// <summary>This state file's id, made once; it prefixes every client order id.</summary>
    public string Book()
    {
        var existing = Scalar("SELECT value FROM meta WHERE key='book'");
        if (existing is string book)
        {
            return book;
        }

        book = ClientOrderId.NewBook();
        Execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('book', $v)", ("$v", book));
        return (string)Scalar("SELECT value FROM meta WHERE key='book'")!;
    }

    /// <summary>The id of the lease this state file's engine last held at the connector, if any.</summary>
    public string? LeaseId() => Scalar("SELECT value FROM meta WHERE key='lease'") as string;

    /// <summary>Remembers the lease, so that a restarted engine resumes it instead of waiting for it to lapse.</summary>
    public void SaveLeaseId(string? leaseId)
    {
        if (leaseId is null)
        {
            Save("DELETE FROM meta WHERE key='lease'");
        }
        else
        {
            Save("INSERT INTO meta(key, value) VALUES ('lease', $v) ON CONFLICT(key) DO UPDATE SET value=excluded.value", ("$v", leaseId));
        }
    }

    /// <summary>Runs <paramref name="action"/> in one transaction: all of its writes land, or none.</summary>
    public void InTransaction(Action action)
    {
        if (_inTransaction)
        {
            action();
            return;
        }

        // Queued behind a write-behind state: no other connection's writes between its BEGIN and COMMIT (StoreWriter).
        _behind?.BeginTransaction();
        try
        {
            RunTransaction(action);
        }
        finally
        {
            _behind?.EndTransaction();
        }
    }

    private void RunTransaction(Action action)
    {
        // IMMEDIATE, as Microsoft.Data.Sqlite's BeginTransaction() does: the write lock is taken at the start, so two
        // connections never both read then fail to upgrade.
        Save("BEGIN IMMEDIATE;");
        _inTransaction = true;
        var committed = false;
        try
        {
            action();
            Save("COMMIT;");
            committed = true;
        }
        finally
        {
            _inTransaction = false;
            if (!committed)
            {
                RollBack();
                foreach (var (symbol, tradeId) in _transactionFills ?? [])
                {
                    _behind?.ForgetFill(symbol, tradeId);
                }
            }

            _transactionFills?.Clear();
        }
    }

    /// <summary>
    /// Undoes a transaction that did not commit, if SQLite has not undone it already (some errors end the transaction
    /// themselves). A rollback that fails too is not reported over the error that caused it, which the caller gets.
    /// </summary>
    private void RollBack()
    {
        // Queued writes first: the transaction's BEGIN and writes may not have run yet.
        _behind?.Wait();
        RollBackOpenTransaction(_connection);
    }

    /// <summary>
    /// Undoes the transaction open on <paramref name="connection"/>, if any (the store's own, and the replay's writer's
    /// after a queued write failed). A rollback that fails is not reported: the error that caused it is.
    /// </summary>
    internal static void RollBackOpenTransaction(SqliteConnection connection)
    {
        if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) != 0)
        {
            return;
        }

        try
        {
            using var rollback = connection.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // The connection stays in the failed transaction: the next write fails and the engine halts on it.
        }
    }

    public SymbolSnapshot Load(string symbol)
    {
        var anchorText = Scalar("SELECT value FROM meta WHERE key=$k", ("$k", "anchor:" + symbol)) as string;
        decimal? anchor = anchorText is null ? null : D(anchorText);
        // The highest sequence of working and of finished orders (the last entry of the symbol's range of the index).
        var sequence = Convert.ToInt64(Scalar("""
            SELECT COALESCE(MAX(m), 0) FROM (
              SELECT MAX(seq) AS m FROM working_orders WHERE symbol=$s UNION ALL SELECT MAX(seq) FROM orders WHERE symbol=$s)
            """, ("$s", symbol)), CultureInfo.InvariantCulture);
        var slots = new List<(long, int, decimal, decimal, decimal, decimal, int)>();
        using (var cmd = Command("SELECT level, sign, quantity, open_notional, open_fees, round_trip_pnl, post_only_failures FROM slots WHERE symbol=$s", ("$s", symbol)))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                slots.Add((reader.GetInt64(0), reader.GetInt32(1), D(reader.GetString(2)), D(reader.GetString(3)), D(reader.GetString(4)), D(reader.GetString(5)), reader.GetInt32(6)));
            }
        }

        var open = QueryOrders("SELECT * FROM working_orders WHERE symbol=$s ORDER BY seq", ("$s", symbol));
        return new SymbolSnapshot(anchor, sequence, slots, open, LoadPnl(symbol));
    }

    public PnlState LoadPnl(string symbol)
    {
        using var cmd = Command("SELECT realised, round_trips, wins, losses, fees, funding FROM pnl WHERE symbol=$s", ("$s", symbol));
        using var reader = cmd.ExecuteReader();
        return reader.Read()
            ? new PnlState(D(reader.GetString(0)), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), D(reader.GetString(4)), D(reader.GetString(5)))
            : PnlState.Empty;
    }

    public void SaveAnchor(string symbol, decimal anchor) =>
        Save("INSERT OR REPLACE INTO meta(key, value) VALUES ($k, $v)", ("$k", "anchor:" + symbol), ("$v", S(anchor)));

    /// <summary>
    /// Writes an order and its state (insert or update): a working order into <c>working_orders</c>; a finished one
    /// moves to <c>orders</c> in one transaction.
    /// </summary>
    public void SaveOrder(string symbol, long level, SlotOrder order, long sequence)
    {
        if (!order.IsTerminal)
        {
            Write(_saveWorking ??= PrepareSave("working_orders"), symbol, level, order, sequence);
            return;
        }

        SaveFinished(symbol, level, order, sequence);
    }

    // A method of its own: the closure of the transaction's callback is made only for a finished order's move, not for
    // every save.
    private void SaveFinished(string symbol, long level, SlotOrder order, long sequence) =>
        InTransaction(() =>
        {
            Save("DELETE FROM working_orders WHERE client_id=$c", ("$c", order.ClientOrderId));
            Write(_saveFinished ??= PrepareSave("orders"), symbol, level, order, sequence);
        });

    private SqliteCommand PrepareSave(string table) =>
        Command(string.Format(CultureInfo.InvariantCulture, SaveOrderSql, table), ("$c", null), ("$s", null), ("$l", null), ("$r", null), ("$p", null), ("$q", null),
            ("$po", null), ("$ro", null), ("$st", null), ("$x", null), ("$f", null), ("$a", null), ("$rr", null), ("$seq", null), ("$ca", null),
            ("$ua", null), ("$o", null));

    private void Write(SqliteCommand cmd, string symbol, long level, SlotOrder order, long sequence)
    {
        object?[] values =
        [
            order.ClientOrderId,
            symbol,
            level,
            (int)order.Role,
            S(order.Price),
            S(order.Quantity),
            order.PostOnly ? 1 : 0,
            order.ReduceOnly ? 1 : 0,
            order.Status is { } status ? (int)status : null,
            order.ExchangeOrderId,
            S(order.FilledQuantity),
            S(order.AveragePrice),
            order.RejectReason,
            sequence,
            order.CreatedAt.ToUnixTimeMilliseconds(),
            order.UpdatedAt.ToUnixTimeMilliseconds(),
            order.IsTerminal ? 0 : 1,
        ];
        if (_behind is { } behind)
        {
            behind.Post(cmd, values);
            return;
        }

        var p = cmd.Parameters;
        for (var i = 0; i < values.Length; i++)
        {
            p[i].Value = values[i] ?? DBNull.Value;
        }

        cmd.ExecuteNonQuery();
    }

    public void SaveSlot(string symbol, GridSlot slot) =>
        Save("""
            INSERT OR REPLACE INTO slots(symbol, level, sign, quantity, open_notional, open_fees, round_trip_pnl, post_only_failures)
            VALUES ($s, $l, $g, $q, $n, $f, $r, $p)
            """,
            ("$s", symbol), ("$l", slot.Level), ("$g", slot.PositionSign), ("$q", S(slot.PositionQuantity)), ("$n", S(slot.OpenNotional)),
            ("$f", S(slot.OpenFees)), ("$r", S(slot.RoundTripPnl)), ("$p", slot.PostOnlyFailures));

    /// <summary>Records a fill unless its trade id is already booked; returns whether it was new.</summary>
    public bool TryAddFill(Fill fill)
    {
        const string Sql = """
            INSERT OR IGNORE INTO fills(symbol, trade_id, client_id, exchange_id, side, price, quantity, fee, fee_asset, time)
            VALUES ($s, $t, $c, $x, $sd, $p, $q, $f, $fa, $tm)
            """;
        (string Name, object? Value)[] parameters =
        [
            ("$s", fill.Symbol), ("$t", fill.TradeId), ("$c", fill.ClientOrderId), ("$x", fill.ExchangeOrderId), ("$sd", (int)fill.Side),
            ("$p", S(fill.Price)), ("$q", S(fill.Quantity)), ("$f", S(fill.Fee)), ("$fa", fill.FeeAsset), ("$tm", fill.Timestamp.ToUnixTimeMilliseconds()),
        ];
        if (_behind is not { } behind)
        {
            return Execute(Sql, parameters) == 1;
        }

        // The replay's in-memory state: whether the fill is new is known without waiting for the queued writes.
        if (!behind.BookFill(fill.Symbol, fill.TradeId))
        {
            return false;
        }

        if (_inTransaction)
        {
            (_transactionFills ??= []).Add((fill.Symbol, fill.TradeId));
        }

        Save(Sql, parameters);
        return true;
    }

    /// <summary>The key of every fill booked so far.</summary>
    private IEnumerable<(string Symbol, string TradeId)> BookedFillKeys()
    {
        var keys = new List<(string, string)>();
        using var cmd = Command("SELECT symbol, trade_id FROM fills");
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            keys.Add((reader.GetString(0), reader.GetString(1)));
        }

        return keys;
    }

    /// <summary>The fee booked for a trade id, its asset and quantity; null when the trade is not booked.</summary>
    public (decimal Fee, string Asset, decimal Quantity)? BookedFill(string symbol, string tradeId)
    {
        var cmd = Statement("SELECT fee, fee_asset, quantity FROM fills WHERE symbol=$s AND trade_id=$t", ("$s", symbol), ("$t", tradeId));
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? (D(reader.GetString(0)), reader.GetString(1), D(reader.GetString(2))) : null;
    }

    /// <summary>A later record of a booked trade: its fee, and its price and quantity when the first record carried only a fee.</summary>
    public void UpdateFill(Fill fill) =>
        Save("""
            UPDATE fills SET fee=$f, fee_asset=$fa,
              price=CASE WHEN CAST(quantity AS REAL)=0 THEN $p ELSE price END,
              quantity=CASE WHEN CAST(quantity AS REAL)=0 THEN $q ELSE quantity END
            WHERE symbol=$s AND trade_id=$t
            """,
            ("$s", fill.Symbol), ("$t", fill.TradeId), ("$f", S(fill.Fee)), ("$fa", fill.FeeAsset), ("$p", S(fill.Price)), ("$q", S(fill.Quantity)));

    /// <summary>Records a funding payment unless it is already booked (symbol and funding time); returns whether it was new.</summary>
    public bool TryAddFunding(string symbol, FundingFee fee, decimal quoteAmount) =>
        Execute("INSERT OR IGNORE INTO funding(symbol, funding_time, amount, asset, quote_amount) VALUES ($s, $t, $a, $as, $q)",
            ("$s", symbol), ("$t", fee.FundingTime.ToUnixTimeMilliseconds()), ("$a", S(fee.Amount)), ("$as", fee.Asset), ("$q", S(quoteAmount))) == 1;

    public void SavePnl(string symbol, PnlState pnl) =>
        Save("INSERT OR REPLACE INTO pnl(symbol, realised, round_trips, wins, losses, fees, funding) VALUES ($s, $r, $n, $w, $l, $f, $fu)",
            ("$s", symbol), ("$r", S(pnl.Realised)), ("$n", pnl.RoundTrips), ("$w", pnl.Wins), ("$l", pnl.Losses), ("$f", S(pnl.Fees)), ("$fu", S(pnl.Funding)));

    /// <summary>The saved risk state of a scope (a symbol, or "" for the engine), as its JSON document; null when none.</summary>
    public string? LoadRisk(string scope) => Scalar("SELECT state FROM risk WHERE scope=$s", ("$s", scope)) as string;

    /// <summary>Saves the risk state of a scope: operator limits, trading state, breaker and equity peak.</summary>
    public void SaveRisk(string scope, string state, DateTimeOffset time) =>
        Save("INSERT OR REPLACE INTO risk(scope, state, updated_at) VALUES ($s, $v, $t)",
            ("$s", scope), ("$v", state), ("$t", time.ToUnixTimeMilliseconds()));

    public void AddRoundTrip(string symbol, long level, decimal pnl, DateTimeOffset time) =>
        Save("INSERT INTO round_trips(symbol, level, pnl, closed_at) VALUES ($s, $l, $p, $t)",
            ("$s", symbol), ("$l", level), ("$p", S(pnl)), ("$t", time.ToUnixTimeMilliseconds()));

    public void AddPositionSnapshot(PositionSnapshotRow row) =>
        Save("INSERT INTO position_history(symbol, quantity, entry_price, market_price, unrealized, time) VALUES ($s, $q, $e, $m, $u, $t)",
            ("$s", row.Symbol), ("$q", S(row.Quantity)), ("$e", S(row.EntryPrice)), ("$m", S(row.MarketPrice)), ("$u", S(row.UnrealizedPnl)), ("$t", row.Time.ToUnixTimeMilliseconds()));

    public IReadOnlyList<StoredOrder> Orders(IReadOnlyCollection<string> symbols, long fromMs, long toMs, int limit)
    {
        var list = QueryOrders($"SELECT * FROM {AllOrders} WHERE updated_at >= $from AND updated_at <= $to ORDER BY updated_at DESC, seq DESC LIMIT 100000",
            ("$from", fromMs), ("$to", toMs));
        return list.Where(o => symbols.Count == 0 || symbols.Contains(o.Symbol)).Take(limit).ToArray();
    }

    public StoredOrder? FindOrder(string orderId)
    {
        var list = QueryOrders($"SELECT * FROM {AllOrders} WHERE client_id=$i OR exchange_id=$i LIMIT 1", ("$i", orderId));
        return list.Count > 0 ? list[0] : null;
    }

    public IReadOnlyList<Fill> Fills(IReadOnlyCollection<string> symbols, long fromMs, long toMs, int limit, string? clientOrderId = null)
    {
        var result = new List<Fill>();
        using var cmd = Command(clientOrderId is null
                ? "SELECT symbol, trade_id, client_id, exchange_id, side, price, quantity, fee, fee_asset, time FROM fills WHERE time >= $from AND time <= $to ORDER BY time DESC"
                : "SELECT symbol, trade_id, client_id, exchange_id, side, price, quantity, fee, fee_asset, time FROM fills WHERE client_id=$c ORDER BY time",
            ("$from", fromMs), ("$to", toMs), ("$c", clientOrderId));
        using var reader = cmd.ExecuteReader();
        while (reader.Read() && result.Count < limit)
        {
            var symbol = reader.GetString(0);
            if (symbols.Count > 0 && !symbols.Contains(symbol))
            {
                continue;
            }

            result.Add(new Fill
            {
                Symbol = symbol,
                TradeId = reader.GetString(1),
                ClientOrderId = reader.IsDBNull(2) ? null : reader.GetString(2),
                ExchangeOrderId = reader.GetString(3),
                Side = (OrderSide)reader.GetInt32(4),
                Price = D(reader.GetString(5)),
                Quantity = D(reader.GetString(6)),
                Fee = D(reader.GetString(7)),
                FeeAsset = reader.GetString(8),
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)),
            });
        }

        return result;
    }

    /// <summary>Round trips closed in a time range: count, wins, losses and their PnL.</summary>
    public (decimal Pnl, int Count, int Wins, int Losses) RoundTrips(string symbol, long fromMs, long toMs)
    {
        using var cmd = Command("SELECT pnl FROM round_trips WHERE symbol=$s AND closed_at >= $from AND closed_at <= $to", ("$s", symbol), ("$from", fromMs), ("$to", toMs));
        using var reader = cmd.ExecuteReader();
        decimal total = 0;
        int count = 0, wins = 0, losses = 0;
        while (reader.Read())
        {
            var pnl = D(reader.GetString(0));
            total += pnl;
            count++;
            if (pnl > 0)
            {
                wins++;
            }
            else if (pnl < 0)
            {
                losses++;
            }
        }

        return (total, count, wins, losses);
    }

    public IReadOnlyList<PositionSnapshotRow> PositionHistory(string symbol, long fromMs, long toMs)
    {
        var result = new List<PositionSnapshotRow>();
        using var cmd = Command("SELECT quantity, entry_price, market_price, unrealized, time FROM position_history WHERE symbol=$s AND time >= $from AND time <= $to ORDER BY time LIMIT 10000",
            ("$s", symbol), ("$from", fromMs), ("$to", toMs));
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            result.Add(new PositionSnapshotRow(symbol, D(reader.GetString(0)), D(reader.GetString(1)), D(reader.GetString(2)), D(reader.GetString(3)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
        }

        return result;
    }

    public void Dispose()
    {
        _behind?.ReleaseStatements(_connection);
        _saveWorking?.Dispose();
        _saveFinished?.Dispose();
        foreach (var statement in _statements.Values)
        {
            statement.Dispose();
        }

        _connection.Dispose();
        _behind?.Release();
        _behind = null;
    }

    private List<StoredOrder> QueryOrders(string sql, params (string Name, object? Value)[] parameters)
    {
        var result = new List<StoredOrder>();
        using var cmd = Command(sql, parameters);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            var order = new SlotOrder
            {
                ClientOrderId = reader.GetString(reader.GetOrdinal("client_id")),
                Role = (OrderRole)reader.GetInt32(reader.GetOrdinal("role")),
                Price = D(reader.GetString(reader.GetOrdinal("price"))),
                Quantity = D(reader.GetString(reader.GetOrdinal("quantity"))),
                PostOnly = reader.GetInt32(reader.GetOrdinal("post_only")) == 1,
                ReduceOnly = reader.GetInt32(reader.GetOrdinal("reduce_only")) == 1,
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("created_at"))),
                UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("updated_at"))),
            };
            var status = reader.GetOrdinal("status");
            order.Status = reader.IsDBNull(status) ? null : (OrderStatus)reader.GetInt32(status);
            var exchangeId = reader.GetOrdinal("exchange_id");
            order.ExchangeOrderId = reader.IsDBNull(exchangeId) ? null : reader.GetString(exchangeId);
            order.FilledQuantity = D(reader.GetString(reader.GetOrdinal("filled")));
            order.AveragePrice = D(reader.GetString(reader.GetOrdinal("avg_price")));
            var reason = reader.GetOrdinal("reject_reason");
            order.RejectReason = reader.IsDBNull(reason) ? null : reader.GetString(reason);
            result.Add(new StoredOrder(reader.GetString(reader.GetOrdinal("symbol")), reader.GetInt64(reader.GetOrdinal("level")), order, reader.GetInt64(reader.GetOrdinal("seq"))));
        }

        return result;
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        // Every read, and every write whose answer is needed, runs after the queued writes (see _behind).
        _behind?.Drain();
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    /// <summary>The kept command for <paramref name="sql"/> (see <see cref="_statements"/>) with these parameter values, in the order of its first use.</summary>
    private SqliteCommand Statement(string sql, params (string Name, object? Value)[] parameters)
    {
        _behind?.Drain();
        if (!_statements.TryGetValue(sql, out var cmd))
        {
            cmd = Command(sql, parameters);
            _statements.Add(sql, cmd);
            return cmd;
        }

        var kept = cmd.Parameters;
        for (var i = 0; i < parameters.Length; i++)
        {
            kept[i].Value = parameters[i].Value ?? DBNull.Value;
        }

        return cmd;
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters) => Statement(sql, parameters).ExecuteNonQuery();

    /// <summary>
    /// A write whose answer nobody needs: run at once, or for the replay's in-memory state queued to its writer (the
    /// kept command, with these values, runs there in the order of the writes).
    /// </summary>
    private void Save(string sql, params (string Name, object? Value)[] parameters)
    {
        if (_behind is not { } behind)
        {
            Execute(sql, parameters);
            return;
        }

        if (!_statements.TryGetValue(sql, out var cmd))
        {
            cmd = Statement(sql, parameters);
        }

        var values = new object?[parameters.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = parameters[i].Value;
        }

        behind.Post(cmd, values);
    }

    private object? Scalar(string sql, params (string Name, object? Value)[] parameters) => Statement(sql, parameters).ExecuteScalar();

    private static string S(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static decimal D(string text) => decimal.Parse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
}
