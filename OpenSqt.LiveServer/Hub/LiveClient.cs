using System.Net.WebSockets;
using System.Threading.Channels;
using OpenSqt.LiveServer.Diagnostics;

namespace OpenSqt.LiveServer.Hub;

/// <summary>
/// One browser: a bounded queue of encoded messages filled by the hub and drained by this client's own sender, so a
/// slow browser only ever fills its own queue. When the queue is full the hub evicts the browser.
/// </summary>
public sealed class LiveClient
{
    private static long _nextId;
    private readonly Channel<byte[]> _queue;
    private readonly WebSocket _socket;
    private readonly LiveServerMetrics _metrics;
    private int _evicted;

    public LiveClient(WebSocket socket, string remoteIp, int capacity, LiveServerMetrics metrics)
    {
        _socket = socket;
        _metrics = metrics;
        RemoteIp = remoteIp;
        Capacity = capacity;
        Id = Interlocked.Increment(ref _nextId);
        _queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long Id { get; }

    public string RemoteIp { get; }

    public int Capacity { get; }

    public bool IsEvicted => Volatile.Read(ref _evicted) == 1;

    /// <summary>Queues a message without waiting; false when the browser is this far behind.</summary>
    public bool TryEnqueue(byte[] message) => _queue.Writer.TryWrite(message);

    /// <summary>Drops the browser: the queue closes and the socket is aborted, so a send stuck on it ends now.</summary>
    public bool Evict()
    {
        if (Interlocked.Exchange(ref _evicted, 1) == 1)
        {
            return false;
        }

        _queue.Writer.TryComplete();
        _socket.Abort();
        return true;
    }

    /// <summary>Stops queueing; what is queued is still sent.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Sends queued messages in order until the queue completes, the socket fails or the token fires.</summary>
    public async Task RunSenderAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out var message))
                {
                    await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                    _metrics.Sent();
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The browser went away, was evicted, or the server stops.
        }
    }
}
