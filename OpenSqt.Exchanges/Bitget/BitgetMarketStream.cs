using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// The public Bitget v2 WebSocket: <c>ticker</c> and <c>candle&lt;granularity&gt;</c> channels of USDT-FUTURES
/// instruments, subscribed when the first reader wants them, unsubscribed when the last leaves, all subscribed again on
/// every new connection; the text <c>ping</c> heartbeat, with <c>pong</c> kept off the data path.
/// </summary>
public sealed class BitgetMarketStream : IAsyncDisposable
{
    public const string TickerChannel = "ticker";
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Channel, string InstId), int> _keys = [];
    private readonly List<Subscription> _subscriptions = [];
    private readonly VenueWebSocket _socket;
    private readonly ILogger _logger;
    private bool _started;

    public BitgetMarketStream(BitgetOptions options, TimeProvider time, ILogger logger, VenueMetrics metrics)
    {
        _logger = logger;
        _socket = new VenueWebSocket(BitgetParsers.Venue, new VenueWebSocketSettings
        {
            Name = "market",
            ResolveUri = _ => ValueTask.FromResult(new Uri(options.WsBaseUrl)),
            OnConnected = ResubscribeAsync,
            OnMessage = HandleMessage,
            Heartbeat = Heartbeat(options.PingInterval),
            NoDataTimeout = options.NoDataTimeout,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics);
        _socket.Reconnected += (_, e) => Reconnected?.Invoke(this, e);
    }

    public event EventHandler<StreamReconnectedEventArgs>? Reconnected;

    public int Connections => _socket.Connections;

    public bool IsConnected => _socket.IsConnected;

    /// <summary>Bitget's heartbeat: the client sends the text <c>ping</c>, the venue answers <c>pong</c>.</summary>
    public static HeartbeatRule Heartbeat(TimeSpan interval) => new()
    {
        TextPing = "ping",
        TextPingInterval = interval,
        IsPong = static m => m.Span.SequenceEqual("pong"u8),
    };

    /// <summary>Streams items parsed from the data of the given channels.</summary>
    public async IAsyncEnumerable<T> SubscribeAsync<T>(IReadOnlyCollection<(string Channel, string InstId)> keys, Func<JsonElement, string, T?> parse, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
        var subscription = new Subscription([.. keys], (item, instId) =>
        {
            if (parse(item, instId) is { } parsed)
            {
                channel.Writer.TryWrite(parsed);
            }
        });
        List<(string, string)> added = [];
        lock (_gate)
        {
            _subscriptions.Add(subscription);
            foreach (var key in subscription.Keys)
            {
                _keys[key] = _keys.GetValueOrDefault(key) + 1;
                if (_keys[key] == 1)
                {
                    added.Add(key);
                }
            }

            if (!_started)
            {
                _started = true;
                _socket.Start();
                added.Clear();
            }
        }

        try
        {
            if (added.Count > 0 && _socket.IsConnected)
            {
                await SendAsync(_socket.SendTextAsync, "subscribe", added, cancellationToken).ConfigureAwait(false);
            }

            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            List<(string, string)> removed = [];
            lock (_gate)
            {
                _subscriptions.Remove(subscription);
                foreach (var key in subscription.Keys)
                {
                    if (--_keys[key] == 0)
                    {
                        _keys.Remove(key);
                        removed.Add(key);
                    }
                }
            }

            if (removed.Count > 0 && _socket.IsConnected)
            {
                try
                {
                    await SendAsync(_socket.SendTextAsync, "unsubscribe", removed, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ExchangeException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
                {
                    // The connection is gone; the channels are not resubscribed on the next one.
                }
            }
        }
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    private Task ResubscribeAsync(VenueWebSocketConnection connection, CancellationToken cancellationToken)
    {
        (string, string)[] keys;
        lock (_gate)
        {
            keys = [.. _keys.Keys];
        }

        return keys.Length == 0 ? Task.CompletedTask : SendAsync(connection.SendTextAsync, "subscribe", keys, cancellationToken);
    }

    private async Task SendAsync(Func<string, CancellationToken, Task> send, string op, IReadOnlyList<(string Channel, string InstId)> keys, CancellationToken cancellationToken)
    {
        var args = keys.Select(k => new BitgetChannelArg(BitgetParsers.ProductType, k.Channel, k.InstId)).ToArray();
        await send(JsonSerializer.Serialize(new BitgetOpRequest(op, args), BitgetJsonContext.Default.BitgetOpRequest), cancellationToken).ConfigureAwait(false);
        BitgetLog.ChannelRequestSent(_logger, op, string.Join(',', keys.Select(k => k.Channel + ":" + k.InstId)));
    }

    private void HandleMessage(ReadOnlyMemory<byte> message)
    {
        using var doc = JsonDocument.Parse(message);
        var root = doc.RootElement;
        if (root.GetStringOrNull("event") == "error")
        {
            BitgetLog.ChannelRequestRefused(_logger, root.GetRawText());
            return;
        }

        if (!root.TryGetProperty("arg", out var arg) || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var key = (arg.GetStringOrNull("channel") ?? "", arg.GetStringOrNull("instId") ?? "");
        Subscription[] targets;
        lock (_gate)
        {
            targets = [.. _subscriptions.Where(s => s.Keys.Contains(key))];
        }

        foreach (var item in data.EnumerateArray())
        {
            foreach (var target in targets)
            {
                target.Deliver(item, key.Item2);
            }
        }
    }

    private sealed record Subscription(HashSet<(string Channel, string InstId)> Keys, Action<JsonElement, string> Deliver);
}
