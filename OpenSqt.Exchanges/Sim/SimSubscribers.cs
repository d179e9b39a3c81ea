using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace OpenSqt.Exchanges.Sim;

/// <summary>
/// The subscribers of one sim stream. A subscription is registered as soon as it is asked for (not on first read),
/// so nothing published after the call is missed. Publishing happens under the venue's lock, so every subscriber sees
/// events in the order they happened.
/// </summary>
internal sealed class SimSubscribers<T>
{
    private readonly Lock _gate = new();
    private readonly List<Subscriber> _subscribers = [];
    private int _opened;

    /// <summary>Subscriptions opened since start.</summary>
    public int Opened => Volatile.Read(ref _opened);

    /// <summary>Subscriptions open now.</summary>
    public int Active
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    public bool HasSubscribers => Tap is not null || Active > 0;

    /// <summary>
    /// An in-process driver's receiver of every item, called synchronously under the venue's lock in publication order
    /// (see <see cref="SimExchange.SetTap"/>); it must only keep the item.
    /// </summary>
    public Action<T>? Tap { get; set; }

    public void Publish(T item)
    {
        Tap?.Invoke(item);
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

    /// <summary>Opens a subscription; <paramref name="removed"/> runs once when it ends.</summary>
    public IAsyncEnumerable<T> Subscribe(Func<T, bool>? filter, CancellationToken cancellationToken, Action? removed = null)
    {
        var subscriber = new Subscriber(Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false }), filter) { Removed = removed };
        lock (_gate)
        {
            _subscribers.Add(subscriber);
            _opened++;
        }

        subscriber.Registration = cancellationToken.Register(() => Remove(subscriber));
        return Read(subscriber, cancellationToken);
    }

    /// <summary>Ends every subscription (the venue is shutting down).</summary>
    public void CompleteAll()
    {
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Channel.Writer.TryComplete();
                subscriber.Removed?.Invoke();
            }

            _subscribers.Clear();
        }
    }

    private async IAsyncEnumerable<T> Read(Subscriber subscriber, [EnumeratorCancellation] CancellationToken cancellationToken)
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
            Remove(subscriber);
        }
    }

    private void Remove(Subscriber subscriber)
    {
        bool removed;
        lock (_gate)
        {
            removed = _subscribers.Remove(subscriber);
        }

        if (removed)
        {
            subscriber.Removed?.Invoke();
        }

        subscriber.Channel.Writer.TryComplete();
        subscriber.Registration.Dispose();
    }

    private sealed class Subscriber(Channel<T> channel, Func<T, bool>? filter)
    {
        public Channel<T> Channel { get; } = channel;
        public Func<T, bool>? Filter { get; } = filter;
        public CancellationTokenRegistration Registration { get; set; }

        public Action? Removed { get; init; }
    }
}
