using OpenSqt.ExchangeConnector.Diagnostics;

namespace OpenSqt.ExchangeConnector.Streaming;

/// <summary>
/// Shares venue streams between gRPC subscribers: one upstream subscription per stream kind and symbol set, opened by
/// the first subscriber and closed when the last one leaves, pumped into a bounded buffer per subscriber so that a slow
/// subscriber never holds up the venue feed or the others.
/// </summary>
public sealed class StreamHub(ConnectorMetrics metrics, ILogger<StreamHub> logger) : IDisposable
{
    private readonly ConnectorMetrics _metrics = metrics;
    private readonly ILogger<StreamHub> _logger = logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IUpstream> _upstreams = new(StringComparer.Ordinal);
    private bool _stopped;

    /// <summary>Upstream subscriptions open now.</summary>
    public int UpstreamCount
    {
        get
        {
            lock (_gate)
            {
                return _upstreams.Count;
            }
        }
    }

    /// <summary>
    /// Joins the upstream identified by <paramref name="key"/>, opening it with <paramref name="open"/> when this is the
    /// first subscriber. The returned subscription leaves the upstream when disposed.
    /// </summary>
    public Subscription<T> Subscribe<T>(string kind, string key, Func<CancellationToken, IAsyncEnumerable<T>> open, ISubscriberBuffer<T> buffer)
    {
        var fullKey = kind + "|" + key;
        lock (_gate)
        {
            if (_stopped)
            {
                buffer.Complete();
                return new Subscription<T>(buffer, () => { });
            }

            if (_upstreams.TryGetValue(fullKey, out var existing))
            {
                var shared = (Upstream<T>)existing;
                shared.Add(buffer);
                return new Subscription<T>(buffer, () => Leave(shared, buffer));
            }

            // The first subscriber joins before the venue stream opens, so it cannot miss the first event.
            var upstream = new Upstream<T>(kind, fullKey, this);
            upstream.Add(buffer);
            _upstreams.Add(fullKey, upstream);
            try
            {
                upstream.Start(open);
            }
            catch
            {
                _upstreams.Remove(fullKey);
                throw;
            }

            return new Subscription<T>(buffer, () => Leave(upstream, buffer));
        }
    }

    /// <summary>Ends every subscription cleanly (graceful shutdown): subscribers see their stream complete.</summary>
    public void Stop()
    {
        List<IUpstream> all;
        lock (_gate)
        {
            _stopped = true;
            all = [.. _upstreams.Values];
            _upstreams.Clear();
        }

        foreach (var upstream in all)
        {
            upstream.Shutdown(null);
        }
    }

    public void Dispose() => Stop();

    private void Leave<T>(Upstream<T> upstream, ISubscriberBuffer<T> buffer)
    {
        bool last;
        lock (_gate)
        {
            last = upstream.Remove(buffer) == 0;
            if (last && _upstreams.TryGetValue(upstream.Key, out var current) && ReferenceEquals(current, upstream))
            {
                _upstreams.Remove(upstream.Key);
            }
        }

        if (last)
        {
            upstream.Shutdown(null);
        }
    }

    private void Failed(IUpstream upstream, Exception error)
    {
        lock (_gate)
        {
            if (_upstreams.TryGetValue(upstream.Key, out var current) && ReferenceEquals(current, upstream))
            {
                _upstreams.Remove(upstream.Key);
            }
        }

        ConnectorLog.UpstreamFailed(_logger, upstream.Key, error);
        upstream.Shutdown(error);
    }

    private interface IUpstream
    {
        string Key { get; }

        void Shutdown(Exception? error);
    }

    private sealed class Upstream<T>(string kind, string key, StreamHub hub) : IUpstream
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Lock _gate = new();
        private ISubscriberBuffer<T>[] _subscribers = [];

        public string Key { get; } = key;

        public void Start(Func<CancellationToken, IAsyncEnumerable<T>> open)
        {
            // Opened synchronously so that the venue subscription exists before the first subscriber is told it is live.
            var source = open(_stop.Token);
            ConnectorLog.UpstreamOpened(hub._logger, Key);
            _ = PumpAsync(source);
        }

        public void Add(ISubscriberBuffer<T> buffer)
        {
            lock (_gate)
            {
                _subscribers = [.. _subscribers, buffer];
            }
        }

        public int Remove(ISubscriberBuffer<T> buffer)
        {
            lock (_gate)
            {
                _subscribers = _subscribers.Where(b => !ReferenceEquals(b, buffer)).ToArray();
                return _subscribers.Length;
            }
        }

        public void Shutdown(Exception? error)
        {
            ISubscriberBuffer<T>[] subscribers;
            lock (_gate)
            {
                subscribers = _subscribers;
            }

            foreach (var subscriber in subscribers)
            {
                subscriber.Complete(error);
            }

            if (!_stop.IsCancellationRequested)
            {
                _stop.Cancel();
                ConnectorLog.UpstreamClosed(hub._logger, Key);
            }
        }

        private async Task PumpAsync(IAsyncEnumerable<T> source)
        {
            await Task.Yield();
            try
            {
                await foreach (var item in source.WithCancellation(_stop.Token).ConfigureAwait(false))
                {
                    hub._metrics.StreamMessage(kind);
                    var subscribers = Volatile.Read(ref _subscribers);
                    foreach (var subscriber in subscribers)
                    {
                        subscriber.Offer(item);
                    }
                }

                if (!_stop.IsCancellationRequested)
                {
                    hub.Failed(this, new InvalidOperationException($"the venue ended the {kind} stream"));
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Last subscriber left, or shutdown.
            }
            catch (Exception ex)
            {
                hub.Failed(this, ex);
            }
        }
    }
}

/// <summary>A subscriber's handle on a shared stream.</summary>
public sealed class Subscription<T>(ISubscriberBuffer<T> buffer, Action leave) : IDisposable
{
    private int _disposed;

    public ISubscriberBuffer<T> Buffer { get; } = buffer;

    public IAsyncEnumerable<T> ReadAllAsync(CancellationToken cancellationToken) => Buffer.ReadAllAsync(cancellationToken);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            leave();
        }
    }
}
