using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

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
        if (_failure is not null)
        {
            return;
        }

        var command = write.Command;
        try
        {
            var parameters = command.Parameters;
            for (var i = 0; i < write.Values.Length; i++)
            {
                parameters[i].Value = write.Values[i] ?? DBNull.Value;
            }

            command.ExecuteNonQuery();
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

    private readonly record struct PendingWrite(SqliteCommand Command, object?[] Values);
}
