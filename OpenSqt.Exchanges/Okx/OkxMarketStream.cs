using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>An OKX channel argument: <c>{"channel":"tickers","instId":"BTC-USDT-SWAP"}</c>.</summary>
internal sealed record OkxChannel(string Channel, string InstId);

/// <summary>
/// One unauthenticated OKX WebSocket (the public endpoint for tickers, funding and the public tape, the business
/// endpoint for candles):
/// channels are subscribed with <c>{"op":"subscribe","args":[{"channel","instId"}]}</c> when the first reader wants
/// them, unsubscribed when the last leaves, and all subscribed again on every new connection. The text frame
/// <c>ping</c> goes out every <see cref="VenueOptions.PingInterval"/> (OKX drops a connection silent for 30 s) and the
/// text <c>pong</c> is swallowed; the service-upgrade notice (64008) makes the stream reconnect at once.
/// </summary>
internal sealed class OkxMarketStream : IVenueStream
{
    private const int MaxArgsPerRequest = 50;
    private readonly TopicMultiplexer<OkxChannel, (OkxChannel Arg, JsonElement Item)> _channels;
    private readonly VenueWebSocket _socket;
    private readonly ILogger _logger;
    private readonly string _name;

    public OkxMarketStream(string name, Uri uri, OkxOptions options, TimeProvider time, ILogger logger, VenueMetrics metrics)
    {
        _name = name;
        _logger = logger;
        _channels = new TopicMultiplexer<OkxChannel, (OkxChannel Arg, JsonElement Item)>(SendOpAsync);
        _socket = new VenueWebSocket(OkxParsers.Venue, new VenueWebSocketSettings
        {
            Name = name,
            ResolveUri = _ => ValueTask.FromResult(uri),
            OnConnected = _channels.ResubscribeAsync,
            OnMessage = HandleMessage,
            Heartbeat = Heartbeat(options),
            NoDataTimeout = options.NoDataTimeout,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics);
        _channels.Attach(_socket);
        _socket.Reconnected += (_, e) => Reconnected?.Invoke(this, e);
    }

    public event EventHandler<StreamReconnectedEventArgs>? Reconnected;

    public bool IsConnected => _socket.IsConnected;

    public int Connections => _socket.Connections;

    /// <summary>OKX's heartbeat: the text frame <c>ping</c>, answered by the text frame <c>pong</c>.</summary>
    public static HeartbeatRule Heartbeat(OkxOptions options) => new() { TextPing = "ping", TextPingInterval = options.PingInterval, IsPong = IsPong };

    public static bool IsPong(ReadOnlyMemory<byte> message) => message.Span.SequenceEqual("pong"u8);

    /// <summary>Whether a message is the service-upgrade notice after which OKX closes the connection.</summary>
    public static bool IsServiceUpgradeNotice(JsonElement root) =>
        root.GetStringOrNull("event") == "notice" && root.GetStringOrNull("code") == OkxErrors.ServiceUpgrade;

    /// <summary>Streams items parsed from every element of <c>data</c> of the given channels; an element parsed to null is skipped.</summary>
    public IAsyncEnumerable<T> SubscribeAsync<T>(IReadOnlyCollection<OkxChannel> channels, Func<OkxChannel, JsonElement, T?> parse, CancellationToken cancellationToken) =>
        _channels.SubscribeAsync<T>(channels, push => parse(push.Arg, push.Item), cancellationToken);

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    /// <summary>The subscribe or unsubscribe request for channels.</summary>
    public static string Request(string op, IEnumerable<OkxChannel> channels)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("op", op);
            w.WriteStartArray("args");
            foreach (var c in channels)
            {
                w.WriteStartObject();
                w.WriteString("channel", c.Channel);
                w.WriteString("instId", c.InstId);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static async Task SendOpAsync(Func<string, CancellationToken, Task> send, bool subscribe, IReadOnlyList<OkxChannel> channels, CancellationToken cancellationToken)
    {
        var op = subscribe ? "subscribe" : "unsubscribe";
        foreach (var chunk in channels.Chunk(MaxArgsPerRequest))
        {
            await send(Request(op, chunk), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Handles one message (public for tests that feed recorded events).</summary>
    public void HandleMessage(ReadOnlyMemory<byte> message)
    {
        using var doc = JsonDocument.Parse(message);
        var root = doc.RootElement;
        if (root.GetStringOrNull("event") is { } @event)
        {
            if (IsServiceUpgradeNotice(root))
            {
                OkxLog.ServiceUpgrade(_logger, _name);
                _socket.ForceReconnect();
            }
            else if (@event == "error")
            {
                OkxLog.StreamError(_logger, root.GetStringOrNull("code") ?? "", root.GetStringOrNull("msg") ?? "");
            }

            return;
        }

        if (!root.TryGetProperty("arg", out var argElement) || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var arg = new OkxChannel(argElement.GetStringOrNull("channel") ?? "", argElement.GetStringOrNull("instId") ?? "");
        foreach (var item in data.EnumerateArray())
        {
            _channels.Deliver(arg, (arg, item));
        }
    }
}
