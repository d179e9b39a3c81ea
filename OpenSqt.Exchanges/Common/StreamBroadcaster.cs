using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// Hands the items of one venue connection to every <see cref="IAsyncEnumerable{T}"/> subscriber of a stream. A
/// subscription is registered when it is asked for, so nothing published after the call is missed; the first
/// subscriber and the last leaving are reported so the owner can open and close the venue connection.
/// </summary>
internal sealed class StreamBroadcaster<T>
{
    private readonly Lock _gate = new();
    private readonly List<Subscriber> _subscribers = [];
    private readonly int? _capacity;

    /// <param name="capacity">
    /// Items buffered per subscriber; a subscriber that falls further behind loses its oldest items. Null: lossless (no
    /// bound), for streams where every item matters (order updates and their fills).
    /// </param>
    public StreamBroadcaster(int? capacity = 10_000)
    {
        _capacity = capacity;
    }

    /// <summary>Called when the first subscriber arrives.</summary>
    public event Action? FirstSubscribed;

    /// <summary>Called when the last subscriber leaves.</summary>
    public event Action? LastUnsubscribed;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    public void Publish(T item)
    {
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                if (subscriber.Filter is null || subscriber.Filter(item))
                {
                    subscriber.Channel.Writer.TryWrite(item);
                }
            }
        }
    }

    public IAsyncEnumerable<T> Subscribe(Func<T, bool>? filter, CancellationToken cancellationToken)
    {
        var channel = _capacity is { } capacity
            ? Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                SingleWriter = false,
                FullMode = BoundedChannelFullMode.DropOldest,
            })
            : Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        var subscriber = new Subscriber(channel, filter);
        bool first;
        lock (_gate)
        {
            _subscribers.Add(subscriber);
            first = _subscribers.Count == 1;
        }

        if (first)
        {
            FirstSubscribed?.Invoke();
        }

        return ReadAsync(subscriber, cancellationToken);
    }

    /// <summary>Ends every subscription with <paramref name="error"/> (null ends them cleanly).</summary>
    public void Complete(Exception? error = null)
    {
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Channel.Writer.TryComplete(error);
            }

            _subscribers.Clear();
        }
    }

    private async IAsyncEnumerable<T> ReadAsync(Subscriber subscriber, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in subscriber.Channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            bool last;
            lock (_gate)
            {
                last = _subscribers.Remove(subscriber) && _subscribers.Count == 0;
            }

            if (last)
            {
                LastUnsubscribed?.Invoke();
            }
        }
    }

    private sealed class Subscriber(Channel<T> channel, Func<T, bool>? filter)
    {
        public Channel<T> Channel { get; } = channel;
        public Func<T, bool>? Filter { get; } = filter;
    }
}
