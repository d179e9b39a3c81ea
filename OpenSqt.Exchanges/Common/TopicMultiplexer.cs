using System.Runtime.CompilerServices;
using System.Threading.Channels;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// The topics of one market-data socket shared by many readers: a topic is subscribed at the venue when its first
/// reader arrives, unsubscribed when its last reader leaves, and every held topic is subscribed again on each new
/// connection (<see cref="ResubscribeAsync"/>, for <see cref="VenueWebSocketSettings.OnConnected"/>). The socket is
/// started by the first reader. The venue's stream says how a request is written (<c>SUBSCRIBE</c>, <c>op</c>,
/// <c>event</c>) and hands each push to <see cref="Deliver"/> under its topic.
/// </summary>
/// <typeparam name="TKey">A topic as the venue names it (a stream name, a channel and instrument).</typeparam>
/// <typeparam name="TPayload">What a push carries to the readers' parsers.</typeparam>
internal sealed class TopicMultiplexer<TKey, TPayload>
    where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, int> _topics;
    private readonly List<Reader> _readers = [];
    private readonly SendTopics _request;
    private readonly Action<TKey>? _released;
    private VenueWebSocket? _socket;
    private Action? _started;
    private bool _running;

    /// <summary>Writes and sends the subscribe (or unsubscribe) requests for some topics through <paramref name="send"/>.</summary>
    public delegate Task SendTopics(Func<string, CancellationToken, Task> send, bool subscribe, IReadOnlyList<TKey> topics, CancellationToken cancellationToken);

    /// <param name="request">Writes the venue's subscribe and unsubscribe requests.</param>
    /// <param name="comparer">How topics compare; the default comparer when null.</param>
    /// <param name="released">Called, under the topics' lock, for a topic whose last reader left (drop state kept for it).</param>
    public TopicMultiplexer(SendTopics request, IEqualityComparer<TKey>? comparer = null, Action<TKey>? released = null)
    {
        _request = request;
        _released = released;
        _topics = new Dictionary<TKey, int>(comparer);
    }

    /// <summary>
    /// The socket the topics live on (built with <see cref="ResubscribeAsync"/> as its <c>OnConnected</c>); it is
    /// started by the first reader, and <paramref name="started"/> (a venue's own heartbeat) with it.
    /// </summary>
    public void Attach(VenueWebSocket socket, Action? started = null)
    {
        _socket = socket;
        _started = started;
    }

    /// <summary>Whether any topic is held (the no-data watchdog only watches a socket that should deliver).</summary>
    public bool HasTopics
    {
        get
        {
            lock (_gate)
            {
                return _topics.Count > 0;
            }
        }
    }

    /// <summary>
    /// Streams the items parsed from the pushes of <paramref name="topics"/>; a push that parses to null is skipped. A
    /// reader that falls 10 000 items behind loses its oldest ones (prices and candles: the newest matter).
    /// </summary>
    public async IAsyncEnumerable<T> SubscribeAsync<T>(IReadOnlyCollection<TKey> topics, Func<TPayload, T?> parse, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
        var reader = new Reader(new HashSet<TKey>(topics, _topics.Comparer), payload =>
        {
            if (parse(payload) is { } item)
            {
                channel.Writer.TryWrite(item);
            }
        });
        List<TKey> added = [];
        lock (_gate)
        {
            _readers.Add(reader);
            foreach (var topic in reader.Topics)
            {
                var count = _topics.GetValueOrDefault(topic) + 1;
                _topics[topic] = count;
                if (count == 1)
                {
                    added.Add(topic);
                }
            }

            if (!_running)
            {
                // The first connection subscribes everything held when it opens.
                _running = true;
                Socket.Start();
                _started?.Invoke();
                added.Clear();
            }
        }

        try
        {
            if (added.Count > 0 && Socket.IsConnected)
            {
                await _request(Socket.SendTextAsync, true, added, cancellationToken).ConfigureAwait(false);
            }

            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            List<TKey> removed = [];
            lock (_gate)
            {
                _readers.Remove(reader);
                foreach (var topic in reader.Topics)
                {
                    if (--_topics[topic] == 0)
                    {
                        _topics.Remove(topic);
                        _released?.Invoke(topic);
                        removed.Add(topic);
                    }
                }
            }

            if (removed.Count > 0 && Socket.IsConnected)
            {
                try
                {
                    await _request(Socket.SendTextAsync, false, removed, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ExchangeException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
                {
                    // The connection is gone; the topics are not subscribed again on the next one.
                }
            }
        }
    }

    private VenueWebSocket Socket => _socket ?? throw new InvalidOperationException("the topics have no socket yet");

    /// <summary>Subscribes every held topic on a new connection.</summary>
    public Task ResubscribeAsync(VenueWebSocketConnection connection, CancellationToken cancellationToken)
    {
        TKey[] topics;
        lock (_gate)
        {
            topics = [.. _topics.Keys];
        }

        return topics.Length == 0 ? Task.CompletedTask : _request(connection.SendTextAsync, true, topics, cancellationToken);
    }

    /// <summary>Hands one push of <paramref name="topic"/> to every reader of it.</summary>
    public void Deliver(TKey topic, TPayload payload)
    {
        Reader[] targets;
        lock (_gate)
        {
            targets = [.. _readers.Where(r => r.Topics.Contains(topic))];
        }

        foreach (var target in targets)
        {
            target.Deliver(payload);
        }
    }

    private sealed record Reader(HashSet<TKey> Topics, Action<TPayload> Deliver);
}
