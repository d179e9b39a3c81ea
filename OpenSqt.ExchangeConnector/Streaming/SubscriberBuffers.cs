using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace OpenSqt.ExchangeConnector.Streaming;

/// <summary>One gRPC subscriber's queue between the shared upstream pump and that subscriber's writer.</summary>
public interface ISubscriberBuffer<T>
{
    /// <summary>Called by the pump; never blocks.</summary>
    void Offer(T item);

    /// <summary>Ends the subscription: normally (null) or with an error the subscriber will see.</summary>
    void Complete(Exception? error = null);

    /// <summary>Whether an item is waiting (lets the writer batch flushes).</summary>
    bool HasPending { get; }

    IAsyncEnumerable<T> ReadAllAsync(CancellationToken cancellationToken);
}

/// <summary>A subscriber that fell behind on a stream where nothing may be dropped.</summary>
public sealed class SubscriberOverflowException(string stream, int capacity)
    : Exception($"subscriber fell {capacity} updates behind on the {stream} stream and was ended; resubscribe and reconcile")
{
    public string Stream { get; } = stream;
}

/// <summary>
/// For orders, account and positions: nothing is dropped. A subscriber whose queue fills up is ended with
/// <see cref="SubscriberOverflowException"/> so that it reconnects and reconciles, instead of silently missing a fill.
/// </summary>
public sealed class LosslessBuffer<T>(string stream, int capacity) : ISubscriberBuffer<T>
{
    private readonly Channel<T> _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public bool HasPending => _channel.Reader.Count > 0;

    public void Offer(T item)
    {
        if (!_channel.Writer.TryWrite(item))
        {
            _channel.Writer.TryComplete(new SubscriberOverflowException(stream, capacity));
        }
    }

    public void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);

    public IAsyncEnumerable<T> ReadAllAsync(CancellationToken cancellationToken) => _channel.Reader.ReadAllAsync(cancellationToken);
}

/// <summary>
/// For prices and klines: the subscriber gets the latest value per key. A newer value replaces a queued older one of the
/// same key in place; past <c>capacity</c> distinct keys the oldest is dropped. The pump never waits.
/// </summary>
public sealed class LatestValueBuffer<T>(Func<T, string> keyOf, int capacity) : ISubscriberBuffer<T>
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(string Key, T Item)> _queue = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, T Item)>> _index = new(StringComparer.Ordinal);
    private TaskCompletionSource? _waiter;
    private bool _completed;
    private Exception? _error;

    /// <summary>Values dropped or replaced before the subscriber read them.</summary>
    public long Dropped { get; private set; }

    public bool HasPending
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count > 0;
            }
        }
    }

    public void Offer(T item)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            var key = keyOf(item);
            if (_index.TryGetValue(key, out var node))
            {
                node.Value = (key, item);
                Dropped++;
            }
            else
            {
                if (_queue.Count >= capacity)
                {
                    var oldest = _queue.First!;
                    _queue.RemoveFirst();
                    _index.Remove(oldest.Value.Key);
                    Dropped++;
                }

                _index[key] = _queue.AddLast((key, item));
            }

            wake = _waiter;
            _waiter = null;
        }

        wake?.TrySetResult();
    }

    public void Complete(Exception? error = null)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _completed = true;
            _error ??= error;
            wake = _waiter;
            _waiter = null;
        }

        wake?.TrySetResult();
    }

    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            T item = default!;
            var has = false;
            var done = false;
            Exception? error = null;
            Task? wait = null;
            lock (_gate)
            {
                if (_queue.First is { } first)
                {
                    _queue.RemoveFirst();
                    _index.Remove(first.Value.Key);
                    item = first.Value.Item;
                    has = true;
                }
                else if (_completed)
                {
                    done = true;
                    error = _error;
                }
                else
                {
                    _waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _waiter.Task;
                }
            }

            if (has)
            {
                yield return item;
            }
            else if (done)
            {
                if (error is not null)
                {
                    throw error;
                }

                yield break;
            }
            else
            {
                await wait!.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
