using System.Globalization;
using Microsoft.Data.Sqlite;
using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.State;

/// <summary>Realised PnL bookkeeping of one symbol.</summary>
public sealed record PnlState(decimal Realised, int RoundTrips, int Wins, int Losses)
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
    private readonly SqliteConnection _connection;
    private SqliteTransaction? _transaction;

    private EngineStateStore(SqliteConnection connection) => _connection = connection;

    public static EngineStateStore Open(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        var store = new EngineStateStore(connection);
        store.Execute("PRAGMA journal_mode=WAL;");
        store.Execute("PRAGMA synchronous=NORMAL;");
        store.Execute("PRAGMA busy_timeout=10000;");
        store.Execute("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS orders (
              client_id TEXT PRIMARY KEY, symbol TEXT NOT NULL, level INTEGER NOT NULL, role INTEGER NOT NULL,
              price TEXT NOT NULL, quantity TEXT NOT NULL, post_only INTEGER NOT NULL, reduce_only INTEGER NOT NULL,
              status INTEGER, exchange_id TEXT, filled TEXT NOT NULL, avg_price TEXT NOT NULL, reject_reason TEXT,
              seq INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, open INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS orders_open ON orders(symbol, open);
            CREATE INDEX IF NOT EXISTS orders_time ON orders(symbol, updated_at);
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
            """);
        return store;
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
            Execute("DELETE FROM meta WHERE key='lease'");
        }
        else
        {
            Execute("INSERT INTO meta(key, value) VALUES ('lease', $v) ON CONFLICT(key) DO UPDATE SET value=excluded.value", ("$v", leaseId));
        }
    }

    /// <summary>Runs <paramref name="action"/> in one transaction: all of its writes land, or none.</summary>
    public void InTransaction(Action action)
    {
        if (_transaction is not null)
        {
            action();
            return;
        }

        _transaction = _connection.BeginTransaction();
        try
        {
            action();
            _transaction.Commit();
        }
        finally
        {
            _transaction.Dispose();
            _transaction = null;
        }
    }

    public SymbolSnapshot Load(string symbol)
    {
        var anchorText = Scalar("SELECT value FROM meta WHERE key=$k", ("$k", "anchor:" + symbol)) as string;
        decimal? anchor = anchorText is null ? null : D(anchorText);
        var sequence = Convert.ToInt64(Scalar("SELECT COALESCE(MAX(seq), 0) FROM orders WHERE symbol=$s", ("$s", symbol)), CultureInfo.InvariantCulture);
        var slots = new List<(long, int, decimal, decimal, decimal, decimal, int)>();
        using (var cmd = Command("SELECT level, sign, quantity, open_notional, open_fees, round_trip_pnl, post_only_failures FROM slots WHERE symbol=$s", ("$s", symbol)))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                slots.Add((reader.GetInt64(0), reader.GetInt32(1), D(reader.GetString(2)), D(reader.GetString(3)), D(reader.GetString(4)), D(reader.GetString(5)), reader.GetInt32(6)));
            }
        }

        var open = QueryOrders("SELECT * FROM orders WHERE symbol=$s AND open=1 ORDER BY seq", ("$s", symbol));
        return new SymbolSnapshot(anchor, sequence, slots, open, LoadPnl(symbol));
    }

    public PnlState LoadPnl(string symbol)
    {
        using var cmd = Command("SELECT realised, round_trips, wins, losses FROM pnl WHERE symbol=$s", ("$s", symbol));
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? new PnlState(D(reader.GetString(0)), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3)) : PnlState.Empty;
    }

    public void SaveAnchor(string symbol, decimal anchor) =>
        Execute("INSERT OR REPLACE INTO meta(key, value) VALUES ($k, $v)", ("$k", "anchor:" + symbol), ("$v", S(anchor)));

    /// <summary>Writes an order and its state (insert or update).</summary>
    public void SaveOrder(string symbol, long level, SlotOrder order, long sequence) =>
        Execute("""
            INSERT INTO orders(client_id, symbol, level, role, price, quantity, post_only, reduce_only, status, exchange_id, filled, avg_price, reject_reason, seq, created_at, updated_at, open)
            VALUES ($c, $s, $l, $r, $p, $q, $po, $ro, $st, $x, $f, $a, $rr, $seq, $ca, $ua, $o)
            ON CONFLICT(client_id) DO UPDATE SET status=$st, exchange_id=$x, filled=$f, avg_price=$a, reject_reason=$rr, updated_at=$ua, open=$o
            """,
            ("$c", order.ClientOrderId), ("$s", symbol), ("$l", level), ("$r", (int)order.Role), ("$p", S(order.Price)), ("$q", S(order.Quantity)),
            ("$po", order.PostOnly ? 1 : 0), ("$ro", order.ReduceOnly ? 1 : 0), ("$st", order.Status is { } st ? (int)st : null),
            ("$x", order.ExchangeOrderId), ("$f", S(order.FilledQuantity)), ("$a", S(order.AveragePrice)), ("$rr", order.RejectReason),
            ("$seq", sequence), ("$ca", order.CreatedAt.ToUnixTimeMilliseconds()), ("$ua", order.UpdatedAt.ToUnixTimeMilliseconds()),
            ("$o", order.IsTerminal ? 0 : 1));

    public void SaveSlot(string symbol, GridSlot slot) =>
        Execute("""
            INSERT OR REPLACE INTO slots(symbol, level, sign, quantity, open_notional, open_fees, round_trip_pnl, post_only_failures)
            VALUES ($s, $l, $g, $q, $n, $f, $r, $p)
            """,
            ("$s", symbol), ("$l", slot.Level), ("$g", slot.PositionSign), ("$q", S(slot.PositionQuantity)), ("$n", S(slot.OpenNotional)),
            ("$f", S(slot.OpenFees)), ("$r", S(slot.RoundTripPnl)), ("$p", slot.PostOnlyFailures));

    /// <summary>Records a fill unless its trade id is already booked; returns whether it was new.</summary>
    public bool TryAddFill(Fill fill) =>
        Execute("""
            INSERT OR IGNORE INTO fills(symbol, trade_id, client_id, exchange_id, side, price, quantity, fee, fee_asset, time)
            VALUES ($s, $t, $c, $x, $sd, $p, $q, $f, $fa, $tm)
            """,
            ("$s", fill.Symbol), ("$t", fill.TradeId), ("$c", fill.ClientOrderId), ("$x", fill.ExchangeOrderId), ("$sd", (int)fill.Side),
            ("$p", S(fill.Price)), ("$q", S(fill.Quantity)), ("$f", S(fill.Fee)), ("$fa", fill.FeeAsset), ("$tm", fill.Timestamp.ToUnixTimeMilliseconds())) == 1;

    public void SavePnl(string symbol, PnlState pnl) =>
        Execute("INSERT OR REPLACE INTO pnl(symbol, realised, round_trips, wins, losses) VALUES ($s, $r, $n, $w, $l)",
            ("$s", symbol), ("$r", S(pnl.Realised)), ("$n", pnl.RoundTrips), ("$w", pnl.Wins), ("$l", pnl.Losses));

    /// <summary>The saved risk state of a scope (a symbol, or "" for the engine), as its JSON document; null when none.</summary>
    public string? LoadRisk(string scope) => Scalar("SELECT state FROM risk WHERE scope=$s", ("$s", scope)) as string;

    /// <summary>Saves the risk state of a scope: operator limits, trading state, breaker and equity peak.</summary>
    public void SaveRisk(string scope, string state, DateTimeOffset time) =>
        Execute("INSERT OR REPLACE INTO risk(scope, state, updated_at) VALUES ($s, $v, $t)",
            ("$s", scope), ("$v", state), ("$t", time.ToUnixTimeMilliseconds()));

    public void AddRoundTrip(string symbol, long level, decimal pnl, DateTimeOffset time) =>
        Execute("INSERT INTO round_trips(symbol, level, pnl, closed_at) VALUES ($s, $l, $p, $t)",
            ("$s", symbol), ("$l", level), ("$p", S(pnl)), ("$t", time.ToUnixTimeMilliseconds()));

    public void AddPositionSnapshot(PositionSnapshotRow row) =>
        Execute("INSERT INTO position_history(symbol, quantity, entry_price, market_price, unrealized, time) VALUES ($s, $q, $e, $m, $u, $t)",
            ("$s", row.Symbol), ("$q", S(row.Quantity)), ("$e", S(row.EntryPrice)), ("$m", S(row.MarketPrice)), ("$u", S(row.UnrealizedPnl)), ("$t", row.Time.ToUnixTimeMilliseconds()));

    public IReadOnlyList<StoredOrder> Orders(IReadOnlyCollection<string> symbols, long fromMs, long toMs, int limit)
    {
        var list = QueryOrders("SELECT * FROM orders WHERE updated_at >= $from AND updated_at <= $to ORDER BY updated_at DESC, seq DESC LIMIT 100000",
            ("$from", fromMs), ("$to", toMs));
        return list.Where(o => symbols.Count == 0 || symbols.Contains(o.Symbol)).Take(limit).ToArray();
    }

    public StoredOrder? FindOrder(string orderId)
    {
        var list = QueryOrders("SELECT * FROM orders WHERE client_id=$i OR exchange_id=$i LIMIT 1", ("$i", orderId));
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

    public void Dispose() => _connection.Dispose();

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
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = _transaction;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        return cmd.ExecuteScalar();
    }

    private static string S(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    private static decimal D(string text) => decimal.Parse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
}
