using System.Text.Json;
using System.Threading.Channels;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>
/// Binance futures market streams on one combined-stream connection to the routed <c>/market/stream</c> entry point
/// (<see cref="BinanceOptions.MarketStreamUri"/>; the unrouted <c>/stream</c> delivers none of these streams since
/// 2026-04-23), watched by the no-data watchdog while it has subscriptions: names are subscribed with
/// <c>{"method":"SUBSCRIBE","params":[...],"id":n}</c> when the first reader wants them, unsubscribed when the last
/// leaves, and all subscribed again on every new connection. Messages arrive as <c>{"stream","data"}</c>.
/// </summary>
public sealed class BinanceMarketStream : IAsyncDisposable
{
    // Binance refuses frames above 4096 bytes ("3001 illegal request"); 100 names stay well below it.
    private const int MaxNamesPerRequest = 100;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
    private readonly List<Subscription> _subscriptions = [];
    private readonly VenueWebSocket _socket;
    private readonly ILogger _logger;
    private long _requestId;
    private bool _started;

    public BinanceMarketStream(BinanceOptions options, TimeProvider time, ILogger logger, VenueMetrics metrics)
    {
        _logger = logger;
        _socket = new VenueWebSocket(BinanceParsers.Venue, new VenueWebSocketSettings
        {
            Name = "market",
            ResolveUri = _ => ValueTask.FromResult(options.MarketStreamUri),
            OnConnected = ResubscribeAsync,
            OnMessage = HandleMessage,
            Heartbeat = HeartbeatRule.PingFrames(options.PingInterval, options.PingTimeout),
            NoDataTimeout = options.MarketNoDataTimeout,
            ExpectsData = HasSubscriptions,
            MaxLifetime = options.ConnectionLifetime,
            RotationMargin = options.ConnectionRotationMargin,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics);
        _socket.Reconnected += (_, e) => Reconnected?.Invoke(this, e);
    }

    public event EventHandler<StreamReconnectedEventArgs>? Reconnected;

    public int Connections => _socket.Connections;

    public bool IsConnected => _socket.IsConnected;

    /// <summary>Streams items parsed from the named streams (lowercase Binance names such as <c>btcusdt@aggTrade</c>).</summary>
    public async IAsyncEnumerable<T> SubscribeAsync<T>(IReadOnlyCollection<string> streamNames, Func<JsonElement, T> parse, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest });
        var subscription = new Subscription(new HashSet<string>(streamNames, StringComparer.Ordinal), data => channel.Writer.TryWrite(parse(data)));
        List<string> added;
        lock (_gate)
        {
            _subscriptions.Add(subscription);
            added = [];
            foreach (var name in subscription.Names)
            {
                _names[name] = _names.GetValueOrDefault(name) + 1;
                if (_names[name] == 1)
                {
                    added.Add(name);
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
                await SendMethodAsync(_socket.SendTextAsync, "SUBSCRIBE", added, cancellationToken).ConfigureAwait(false);
            }

            await foreach (var item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            List<string> removed = [];
            lock (_gate)
            {
                _subscriptions.Remove(subscription);
                foreach (var name in subscription.Names)
                {
                    if (--_names[name] == 0)
                    {
                        _names.Remove(name);
                        removed.Add(name);
                    }
                }
            }

            if (removed.Count > 0 && _socket.IsConnected)
            {
                try
                {
                    await SendMethodAsync(_socket.SendTextAsync, "UNSUBSCRIBE", removed, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ExchangeException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
                {
                    // The connection is gone; the names are not resubscribed on the next one.
                }
            }
        }
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    private bool HasSubscriptions()
    {
        lock (_gate)
        {
            return _names.Count > 0;
        }
    }

    private Task ResubscribeAsync(VenueWebSocketConnection connection, CancellationToken cancellationToken)
    {
        string[] names;
        lock (_gate)
        {
            names = [.. _names.Keys];
        }

        return names.Length == 0 ? Task.CompletedTask : SendMethodAsync(connection.SendTextAsync, "SUBSCRIBE", names, cancellationToken);
    }

    private async Task SendMethodAsync(Func<string, CancellationToken, Task> send, string method, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        foreach (var chunk in names.Chunk(MaxNamesPerRequest))
        {
            var id = Interlocked.Increment(ref _requestId);
            var text = JsonSerializer.Serialize(new BinanceStreamRequest(method, chunk, id), BinanceJsonContext.Default.BinanceStreamRequest);
            await send(text, cancellationToken).ConfigureAwait(false);
            BinanceLog.StreamMethodSent(_logger, method, chunk.Length);
        }
    }

    private void HandleMessage(ReadOnlyMemory<byte> message)
    {
        using var doc = JsonDocument.Parse(message);
        var root = doc.RootElement;
        if (!root.TryGetProperty("stream", out var streamProperty) || !root.TryGetProperty("data", out var data))
        {
            if (root.TryGetProperty("error", out var error))
            {
                BinanceLog.StreamMethodRefused(_logger, error.GetRawText());
            }

            return;
        }

        var stream = streamProperty.GetString() ?? "";
        Subscription[] targets;
        lock (_gate)
        {
            targets = [.. _subscriptions.Where(s => s.Names.Contains(stream))];
        }

        foreach (var target in targets)
        {
            target.Deliver(data);
        }
    }

    /// <summary>The Binance stream name of a symbol: lowercase.</summary>
    public static string Name(string symbol, string suffix) => symbol.ToLowerInvariant() + "@" + suffix;

    private sealed record Subscription(HashSet<string> Names, Action<JsonElement> Deliver);
}
