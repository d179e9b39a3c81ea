using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using OpenSqt.TestSupport;

namespace OpenSqt.LiveServer.Tests;

/// <summary>A WebSocket client that behaves like the page: sends its Origin, reads every message and keeps them.</summary>
public sealed class BrowserSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<JsonElement> _messages = new();
    private Task? _reader;

    private BrowserSocket(ClientWebSocket socket) => _socket = socket;

    public IReadOnlyCollection<JsonElement> Messages => _messages;

    public bool Closed { get; private set; }

    public WebSocketState State => _socket.State;

    /// <summary>Connects; <paramref name="receiveBuffer"/> shrinks the socket's receive buffer (a slow browser).</summary>
    public static async Task<BrowserSocket> ConnectAsync(Uri address, string? origin, bool read = true, int? receiveBuffer = null)
    {
        var socket = new ClientWebSocket();
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                if (receiveBuffer is { } size)
                {
                    s.ReceiveBufferSize = size;
                }

                await s.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await socket.ConnectAsync(address, invoker, timeout.Token);
        var client = new BrowserSocket(socket);
        if (read)
        {
            client._reader = client.ReadAsync();
        }

        return client;
    }

    /// <summary>The HTTP status the server answered a refused handshake with.</summary>
    public static async Task<HttpStatusCode> RefusalAsync(Uri address, string? origin)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(address, timeout.Token));
        return socket.HttpStatusCode;
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    using var doc = JsonDocument.Parse(message.ToArray());
                    _messages.Enqueue(doc.RootElement.Clone());
                    message.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // Closed by the server or by us.
        }

        Closed = true;
    }

    public IEnumerable<JsonElement> OfType(string type) => _messages.Where(m => m.GetProperty("type").GetString() == type);

    public Task<JsonElement> WaitForAsync(string type, Func<JsonElement, bool> match, string because, TimeSpan? timeout = null) =>
        WaitForAsync(m => m.GetProperty("type").GetString() == type && match(m), because, timeout);

    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, string because, TimeSpan? timeout = null)
    {
        JsonElement found = default;
        await Eventually.TrueAsync(() =>
        {
            foreach (var m in _messages)
            {
                if (match(m))
                {
                    found = m;
                    return true;
                }
            }

            return false;
        }, timeout ?? TimeSpan.FromSeconds(20), because);
        return found;
    }

    /// <summary>Waits until the reader saw the server end the connection.</summary>
    public Task WaitClosedAsync(TimeSpan timeout) => Eventually.TrueAsync(() => Closed, timeout, "the server closed the socket");

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // Already gone.
            }
        }

        if (_reader is not null)
        {
            await Task.WhenAny(_reader, Task.Delay(TimeSpan.FromSeconds(2)));
        }

        await _stop.CancelAsync();
        _socket.Abort();
        if (_reader is not null)
        {
            await _reader;
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    public static string Text(JsonElement m) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(m));
}
