using System.Threading.Tasks.Sources;

namespace OpenSqt.Backtest.Replay;

/// <summary>
/// One subscription of the replay venue: items are queued as the sim publishes them (any thread) and handed to the
/// subscriber by the driver (<see cref="TryDeliver"/>), on the driver's thread: the subscriber's code after its
/// <c>await foreach</c> runs inline, up to its next wait, before <see cref="TryDeliver"/> returns. No thread hand-off.
/// Each item carries the venue-wide sequence number it was published with, so the driver can hand the items of all
/// subscriptions on in the order the venue published them (<see cref="IInlineDelivery"/>). Every item queued and taken
/// is counted in the venue's <see cref="InlineBacklog"/>, so the driver can tell that nothing is queued anywhere without
/// looking at each subscription.
/// </summary>
internal sealed class InlineStream<T> : IAsyncEnumerable<T>, IAsyncEnumerator<T>, IValueTaskSource<bool>, IInlineDelivery
{
    private readonly Lock _gate = new();
    private readonly Queue<(long Sequence, T Item)> _queue = new();
    private readonly Func<T, bool>? _filter;
    private readonly Action<InlineStream<T>> _remove;
    private readonly InlineBacklog _backlog;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private readonly CancellationTokenRegistration _registration;
    private CancellationTokenRegistration _enumeration;
    private bool _waiting;

    // The sequence number of the first queued item (long.MaxValue with none), written under the lock and read without it
    // (with _waiting): the driver looks at every subscription for the oldest queued item whenever anything is queued
    // anywhere, most of them hold nothing, and the one it picks is checked again under the lock as it is handed on.
    private long _head = long.MaxValue;
    private bool _enumerated;
    private bool _ended;
    private T _current = default!;

    public InlineStream(Func<T, bool>? filter, Action<InlineStream<T>> remove, InlineBacklog backlog, CancellationToken cancellationToken)
    {
        _filter = filter;
        _remove = remove;
        _backlog = backlog;
        _registration = cancellationToken.Register(() => End(new OperationCanceledException(cancellationToken)));
    }

    public T Current => _current;

    /// <summary>Queues <paramref name="item"/>, published as the venue's <paramref name="sequence"/>th item.</summary>
    public void Offer(T item, long sequence)
    {
        if (_filter is not null && !_filter(item))
        {
            return;
        }

        lock (_gate)
        {
            if (!_ended)
            {
                // Counted before it is queued (and uncounted after it is taken): the backlog is never below what is queued.
                _backlog.Add(1);
                _queue.Enqueue((sequence, item));
                if (_queue.Count == 1)
                {
                    Volatile.Write(ref _head, sequence);
                }
            }
        }
    }

    /// <summary>
    /// True, with the sequence number of the next queued item, when the subscriber waits and an item is queued; read
    /// without the lock, <see cref="TryDeliver"/> checks it again under it.
    /// </summary>
    public bool Ready(out long sequence)
    {
        sequence = Volatile.Read(ref _head);
        return sequence != long.MaxValue && Volatile.Read(ref _waiting);
    }

    /// <summary>Hands the next queued item to a subscriber waiting for one; false when none waits or none is queued.</summary>
    public bool TryDeliver()
    {
        lock (_gate)
        {
            if (!_waiting || _queue.Count == 0)
            {
                return false;
            }

            _waiting = false;
            _current = Dequeue();
            _backlog.Add(-1);
        }

        _core.SetResult(true);
        return true;
    }

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (_enumerated)
        {
            throw new InvalidOperationException("a replay subscription is read once");
        }

        _enumerated = true;
        _enumeration = cancellationToken.Register(() => End(new OperationCanceledException(cancellationToken)));
        return this;
    }

    public ValueTask<bool> MoveNextAsync()
    {
        lock (_gate)
        {
            if (_queue.Count > 0)
            {
                // Asked for the next item while one is queued: the subscriber is already running (inline on the
                // driver's thread, or at its start), so it takes it at once.
                _current = Dequeue();
                _backlog.Add(-1);
                return ValueTask.FromResult(true);
            }

            if (_ended)
            {
                return ValueTask.FromResult(false);
            }

            _waiting = true;
            _core.Reset();
            return new ValueTask<bool>(this, _core.Version);
        }
    }

    public ValueTask DisposeAsync()
    {
        End(null);
        _registration.Dispose();
        _enumeration.Dispose();
        return ValueTask.CompletedTask;
    }

    public bool GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Takes the first queued item; the lock is held.</summary>
    private T Dequeue()
    {
        var item = _queue.Dequeue().Item;
        Volatile.Write(ref _head, _queue.TryPeek(out var next) ? next.Sequence : long.MaxValue);
        return item;
    }

    private void End(Exception? error)
    {
        bool wake;
        lock (_gate)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            _backlog.Add(-_queue.Count);
            _queue.Clear();
            Volatile.Write(ref _head, long.MaxValue);
            wake = _waiting;
            _waiting = false;
        }

        _remove(this);
        if (wake)
        {
            if (error is null)
            {
                _core.SetResult(false);
            }
            else
            {
                _core.SetException(error);
            }
        }
    }
}

/// <summary>A subscription as the driver sees it, whatever its item type: whether it can take an item now, and which.</summary>
internal interface IInlineDelivery
{
    /// <summary>True, with the venue-wide sequence number of the next queued item, when the subscriber waits for it.</summary>
    bool Ready(out long sequence);

    /// <summary>Hands the next queued item to the waiting subscriber; its code runs inline before this returns.</summary>
    bool TryDeliver();
}

/// <summary>
/// The number of items queued in all of a venue's subscriptions that their subscribers have not taken yet, kept as the
/// items are queued and taken (on any thread): one read tells the driver, after nearly every event, that there is
/// nothing to hand on, where looking at each subscription takes a lock apiece.
/// </summary>
internal sealed class InlineBacklog
{
    private long _count;

    /// <summary>True when no subscription holds an item its subscriber has not taken.</summary>
    public bool IsEmpty => Volatile.Read(ref _count) == 0;

    public void Add(long items) => Interlocked.Add(ref _count, items);
}
