using System.Threading.Channels;

namespace OpenSqt.MarketMaker.Risk;

/// <summary>One risk event for operators.</summary>
public sealed record RiskAlertEvent(string Symbol, string Type, string Severity, string Message, DateTimeOffset Time, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Fan-out of a stream of events to any number of subscribers, each with its own bounded buffer (oldest dropped when a
/// subscriber falls behind), so a slow operator never slows the engine.
/// </summary>
public sealed class Broadcast<T>
{
    private readonly Lock _gate = new();
    private readonly List<Channel<T>> _subscribers = [];

    public int Subscribers
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
                subscriber.Writer.TryWrite(item);
            }
        }
    }

    /// <summary>Registers a subscriber at once (nothing published after this call is missed); dispose to leave.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            _subscribers.Add(channel);
        }

        return new Subscription(this, channel);
    }

    private void Remove(Channel<T> channel)
    {
        lock (_gate)
        {
            _subscribers.Remove(channel);
        }
    }

    /// <summary>One subscriber's buffer.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly Broadcast<T> _owner;
        private readonly Channel<T> _channel;

        internal Subscription(Broadcast<T> owner, Channel<T> channel)
        {
            _owner = owner;
            _channel = channel;
        }

        public IAsyncEnumerable<T> ReadAllAsync(CancellationToken cancellationToken) => _channel.Reader.ReadAllAsync(cancellationToken);

        /// <summary>Takes the next buffered item without waiting.</summary>
        public bool TryRead([System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T item) => _channel.Reader.TryRead(out item);

        public void Dispose() => _owner.Remove(_channel);
    }
}
