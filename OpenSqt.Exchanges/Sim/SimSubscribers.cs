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

    // Replaced as a whole under _gate, read without it: a publish (every trade publishes a few items, most streams with
    // no subscriber in a replay, whose driver takes everything from the tap) walks the array it finds, with no lock.
    private Subscriber[] _subscribers = [];
    private int _opened;

    /// <summary>Subscriptions opened since start.</summary>
    public int Opened => Volatile.Read(ref _opened);

    /// <summary>Subscriptions open now.</summary>
    public int Active => Volatile.Read(ref _subscribers).Length;

    public bool HasSubscribers => Tap is not null || Active > 0;

    /// <summary>
    /// An in-process driver's receiver of every item, called synchronously under the venue's lock in publication order
    /// (see <see cref="SimExchange.SetTap"/>); it must only keep the item.
    /// </summary>
    public Action<T>? Tap { get; set; }

    public void Publish(T item)
    {
        Tap?.Invoke(item);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            if (subscriber.Filter is null || subscriber.Filter(item))
            {
                subscriber.Channel.Writer.TryWrite(item);
            }
        }
    }

    /// <summary>Opens a subscription; <paramref name="removed"/> runs once when it ends.</summary>
    public IAsyncEnumerable<T> Subscribe(Func<T, bool>? filter, CancellationToken cancellationToken, Action? removed = null)
    {
        var subscriber = new Subscriber(Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false }), filter) { Removed = removed };
        lock (_gate)
        {
            Volatile.Write(ref _subscribers, [.. _subscribers, subscriber]);
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

            Volatile.Write(ref _subscribers, []);
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
        var removed = false;
        lock (_gate)
        {
            var index = Array.IndexOf(_subscribers, subscriber);
            if (index >= 0)
            {
                Volatile.Write(ref _subscribers, [.. _subscribers[..index], .. _subscribers[(index + 1)..]]);
                removed = true;
            }
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
