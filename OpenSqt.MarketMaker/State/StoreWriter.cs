using System.Collections.Concurrent;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace OpenSqt.MarketMaker.State;

/// <summary>
/// The writes of a replay's in-memory state (<see cref="Options.MarketMakerOptions.InMemoryState"/>), run on a thread of
/// their own, in the order they were made, while the engine goes on. Live, nothing is sent before it is durable, so the
/// engine writes and waits; a replay's in-memory database survives nothing, and its writes were a quarter of a day's
/// replay on the replay's single thread. Every connection to the same database shares one writer, so writes made through
/// different connections (the symbols', the risk state's) still land in the order they were made. Anything that reads,
/// or needs a write's answer (a fill new or already booked), first waits until the writer has caught up (<see cref="Drain"/>):
/// it sees exactly what it would have seen had every write run at once. A write that fails makes every later call of
/// every store on that database fail with its error (the engine halts on it, as on a failed write live), and the writer
/// runs nothing after it.
/// </summary>
internal sealed class StoreWriter
{
    private static readonly Dictionary<string, StoreWriter> Writers = new(StringComparer.Ordinal);
    private static readonly Lock Registry = new();

    private readonly ConcurrentQueue<PendingWrite> _queue = new();

    // Held by a store while it queues a transaction (BEGIN to COMMIT), and for each single write and each wait for the
    // writer: no other connection's write can land inside another's transaction. In the one database the writer runs
    // them all on its thread, so a write of another connection queued between a transaction's BEGIN and COMMIT would
    // find the tables locked by it (shared cache), retry for the busy timeout behind the COMMIT that cannot run before it,
    // and fail. Live, the second connection waits for the first one's transaction to end; here its thread does.
    private readonly Lock _order = new();
    private readonly HashSet<(string Symbol, string TradeId)> _fills = [];

    // The writer's own compiled statement of each command it ran (null: one it leaves to Microsoft.Data.Sqlite), used only
    // on its thread. See RawStatement.
    private readonly Dictionary<SqliteCommand, RawStatement?> _statements = new(ReferenceEqualityComparer.Instance);

    // Set by a drain so the writer looks at once; otherwise the writer looks every millisecond, so a write costs the
    // engine no wake-up of another thread (a system call on every order).
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
    private readonly string _name;
    private readonly Thread _thread;
    private int _users;
    private long _posted;
    private long _done;
    private volatile bool _stopping;
    private volatile SqliteException? _failure;

    private StoreWriter(string name)
    {
        _name = name;
        _thread = new Thread(Run) { IsBackground = true, Name = "OpenSqt state writer" };
        _thread.Start();
    }

    /// <summary>
    /// The writer of the in-memory database <paramref name="name"/>, started by its first store (which reads the keys of
    /// the fills already booked with <paramref name="bookedFills"/>) and shared by the rest.
    /// </summary>
    public static StoreWriter Acquire(string name, Func<IEnumerable<(string Symbol, string TradeId)>> bookedFills)
    {
        lock (Registry)
        {
            if (!Writers.TryGetValue(name, out var writer))
            {
                writer = new StoreWriter(name);
                writer._fills.UnionWith(bookedFills());
                Writers.Add(name, writer);
            }

            writer._users++;
            return writer;
        }
    }

    /// <summary>A store of the database is done with it (drained before); the last one stops the thread.</summary>
    public void Release()
    {
        lock (Registry)
        {
            if (--_users > 0)
            {
                return;
            }

            Writers.Remove(_name);
        }

        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }

    /// <summary>
    /// Whether a fill of this key (the fills table's primary key) is new, and if so takes it as booked: the answer its
    /// <c>INSERT OR IGNORE</c> will give when it runs, known now, so booking a fill waits for no queued write. Exact
    /// because every fill of the database is inserted through here (the writer read those already there when it started)
    /// and none is ever deleted; a transaction that is undone gives its fills back (<see cref="ForgetFill"/>).
    /// </summary>
    public bool BookFill(string symbol, string tradeId)
    {
        lock (_fills)
        {
            return _fills.Add((symbol, tradeId));
        }
    }

    /// <summary>A fill booked in a transaction that was undone: not in the database after all.</summary>
    public void ForgetFill(string symbol, string tradeId)
    {
        lock (_fills)
        {
            _fills.Remove((symbol, tradeId));
        }
    }

    /// <summary>Queues <paramref name="command"/> to run with <paramref name="values"/> as its parameters, in their order.</summary>
    public void Post(SqliteCommand command, object?[] values)
    {
        lock (_order)
        {
            ThrowIfFailed();
            var queued = Interlocked.Increment(ref _posted) - Volatile.Read(ref _done);
            _queue.Enqueue(new PendingWrite(command, values));
            if (queued > MaxQueued)
            {
                // The writer has fallen far behind (a machine whose other core is busy): the engine waits for it rather
                // than hold an ever longer queue in memory.
                Wait();
            }
        }
    }

    /// <summary>
    /// A store is about to close <paramref name="connection"/>: the writer finalises the statements it compiled on it (on
    /// its thread, after every write queued before), so the connection closes with none left open.
    /// </summary>
    public void ReleaseStatements(SqliteConnection connection)
    {
        lock (_order)
        {
            Interlocked.Increment(ref _posted);
            _queue.Enqueue(new PendingWrite(null, [], connection));
            Wait();
        }
    }

    /// <summary>
    /// A store starts queueing a transaction: until <see cref="EndTransaction"/>, other threads' writes and waits wait
    /// (the same thread may write, wait and nest).
    /// </summary>
    public void BeginTransaction() => _order.Enter();

    public void EndTransaction() => _order.Exit();

    /// <summary>The most writes queued before a write waits for the writer (a day's replay queues a few at a time).</summary>
    private const long MaxQueued = 65_536;

    /// <summary>Waits until every write queued so far has run; throws when one of them failed.</summary>
    public void Drain()
    {
        lock (_order)
        {
            Wait();
            ThrowIfFailed();
        }
    }

    /// <summary>Waits until every write queued so far has run (or was dropped after a failure).</summary>
    public void Wait()
    {
        if (Volatile.Read(ref _done) == Volatile.Read(ref _posted))
        {
            return;
        }

        _wake.Set();
        var spinner = default(SpinWait);
        while (Volatile.Read(ref _done) != Volatile.Read(ref _posted))
        {
            // Never a 1 ms sleep: a read waits for the writer here, on the replay's thread.
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new SqliteException($"an earlier write to the replay's state failed: {failure.Message}", failure.SqliteErrorCode);
        }
    }

    private void Run()
    {
        while (true)
        {
            if (_queue.TryDequeue(out var write))
            {
                Execute(write);
                Interlocked.Increment(ref _done);
                continue;
            }

            if (_stopping)
            {
                ReleaseStatementsOf(null);
                return;
            }

            // Nothing queued: a look every millisecond, or at once when a read waits (Wait sets the event). Spinning
            // instead (0.2 ms after each write) took more processor and was no faster: nothing but a read waits for it.
            _wake.Wait(1);
            _wake.Reset();
        }
    }

    private void Execute(PendingWrite write)
    {
        if (write.Releasing is { } connection)
        {
            ReleaseStatementsOf(connection);
            return;
        }

        var command = write.Command!;
        if (_failure is not null)
        {
            return;
        }

        try
        {
            if (!_statements.TryGetValue(command, out var statement))
            {
                statement = RawStatement.TryCompile(command);
                _statements.Add(command, statement);
            }

            if (statement is null || !statement.TryRun(write.Values, command.CommandTimeout))
            {
                var parameters = command.Parameters;
                for (var i = 0; i < write.Values.Length; i++)
                {
                    parameters[i].Value = write.Values[i] ?? DBNull.Value;
                }

                command.ExecuteNonQuery();
            }
        }
        catch (SqliteException ex)
        {
            // As a failed write live: a transaction it was in is undone, and nothing after it is written.
            _failure = ex;
            EngineStateStore.RollBackOpenTransaction(command.Connection!);
        }
        catch (Exception ex)
        {
            _failure = new SqliteException(ex.Message, 1);
            EngineStateStore.RollBackOpenTransaction(command.Connection!);
        }
    }

    /// <summary>Finalises the statements compiled on <paramref name="connection"/> (all of them for null).</summary>
    private void ReleaseStatementsOf(SqliteConnection? connection)
    {
        // A dictionary's entries may be removed while it is walked.
        foreach (var (command, statement) in _statements)
        {
            if (connection is null || ReferenceEquals(command.Connection, connection))
            {
                statement?.Dispose();
                _statements.Remove(command);
            }
        }
    }

    /// <summary>
    /// A command's one statement compiled by the writer itself, its parameters bound by position, run through SQLite's own
    /// interface (SQLitePCLRaw): what Microsoft.Data.Sqlite does for a command, without what costs there on every run (the
    /// statement list walked, each parameter looked up by name, a binder object and a UTF-8 copy of each text made per
    /// value). A day's replay runs about 300,000 of these writes, which took a core about half the time the replay's own
    /// thread ran; on two cores the writer then competed with the replay for the second core. It runs them as
    /// Microsoft.Data.Sqlite does: a locked or busy database is retried every 150 ms until the command's timeout
    /// (Microsoft.Data.Sqlite's <c>SqliteDataReader.NextResult</c>: the statement is reset and retried while
    /// <c>IsBusyHelper.IsBusy</c>, i.e. SQLITE_LOCKED, SQLITE_BUSY or SQLITE_LOCKED_SHAREDCACHE), and an error becomes
    /// the <see cref="SqliteException"/> it would have thrown (<see cref="SqliteException.ThrowExceptionForRC"/>). A
    /// command it cannot run this way (more than one statement, a parameter the text does not name, one it names that the
    /// command lacks) is left to Microsoft.Data.Sqlite, as is a run with a value of a type other than text, integer or null.
    /// </summary>
    private sealed class RawStatement : IDisposable
    {
        private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(150);
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _stmt;
        private readonly int[] _indexes;
        private byte[] _text = new byte[128];

        private RawStatement(sqlite3 db, sqlite3_stmt stmt, int[] indexes)
        {
            _db = db;
            _stmt = stmt;
            _indexes = indexes;
        }

        public static RawStatement? TryCompile(SqliteCommand command)
        {
            if (command.Connection?.Handle is not { } db
                || raw.sqlite3_prepare_v2(db, command.CommandText, out var stmt, out var tail) != raw.SQLITE_OK
                || stmt is null)
            {
                return null;
            }

            var parameters = command.Parameters;
            var indexes = new int[parameters.Count];
            var named = new HashSet<int>();
            for (var i = 0; i < indexes.Length; i++)
            {
                indexes[i] = raw.sqlite3_bind_parameter_index(stmt, parameters[i].ParameterName);
                named.Add(indexes[i]);
            }

            if (!string.IsNullOrWhiteSpace(tail) || named.Contains(0) || named.Count != raw.sqlite3_bind_parameter_count(stmt))
            {
                stmt.Dispose();
                return null;
            }

            return new RawStatement(db, stmt, indexes);
        }

        /// <summary>Binds <paramref name="values"/> and runs the statement; false (nothing run) for a value it does not bind.</summary>
        public bool TryRun(object?[] values, int timeoutSeconds)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (!Bind(_indexes[i], values[i]))
                {
                    raw.sqlite3_clear_bindings(_stmt);
                    return false;
                }
            }

            try
            {
                var started = TimeProvider.System.GetTimestamp();
                int rc;
                while ((rc = raw.sqlite3_step(_stmt)) is raw.SQLITE_LOCKED or raw.SQLITE_BUSY or raw.SQLITE_LOCKED_SHAREDCACHE)
                {
                    if (timeoutSeconds != 0 && TimeProvider.System.GetElapsedTime(started) >= TimeSpan.FromSeconds(timeoutSeconds))
                    {
                        break;
                    }

                    raw.sqlite3_reset(_stmt);
                    Thread.Sleep(Retry);
                }

                // DONE for a write (ROW, a statement that returns rows, which none of the state's writes is: its first ran).
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
            finally
            {
                raw.sqlite3_reset(_stmt);
            }

            return true;
        }

        private bool Bind(int index, object? value)
        {
            switch (value)
            {
                case null or DBNull:
                    raw.sqlite3_bind_null(_stmt, index);
                    return true;
                case string text:
                    var length = Encoding.UTF8.GetMaxByteCount(text.Length);
                    if (_text.Length < length)
                    {
                        _text = new byte[Math.Max(length, _text.Length * 2)];
                    }

                    var written = Encoding.UTF8.GetBytes(text, _text);
                    raw.sqlite3_bind_text(_stmt, index, _text.AsSpan(0, written));
                    return true;
                case long number:
                    raw.sqlite3_bind_int64(_stmt, index, number);
                    return true;
                case int number:
                    raw.sqlite3_bind_int64(_stmt, index, number);
                    return true;
                case bool flag:
                    raw.sqlite3_bind_int64(_stmt, index, flag ? 1 : 0);
                    return true;
                default:
                    return false;
            }
        }

        public void Dispose() => _stmt.Dispose();
    }

    /// <summary>A write (a command and its values), or a connection about to close whose statements the writer finalises.</summary>
    private readonly record struct PendingWrite(SqliteCommand? Command, object?[] Values, SqliteConnection? Releasing = null);
}
