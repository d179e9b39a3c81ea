using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>
/// Binance futures market streams on one combined-stream connection to a routed entry point: <c>/market/stream</c>
/// (<see cref="BinanceOptions.MarketStreamUri"/>; the unrouted <c>/stream</c> delivers none of these streams since
/// 2026-04-23) or, for the book streams, <c>/public/stream</c> (<see cref="BinanceOptions.PublicStreamUri"/>), watched by the no-data watchdog while it has subscriptions: names are subscribed with
/// <c>{"method":"SUBSCRIBE","params":[...],"id":n}</c> when the first reader wants them, unsubscribed when the last
/// leaves, and all subscribed again on every new connection. Messages arrive as <c>{"stream","data"}</c>.
/// </summary>
internal sealed class BinanceMarketStream : IVenueStream
{
    // Binance refuses frames above 4096 bytes ("3001 illegal request"); 100 names stay well below it.
    private const int MaxNamesPerRequest = 100;
    private readonly VenueWebSocket _socket;
    private readonly TopicMultiplexer<string, JsonElement> _topics;
    private readonly ILogger _logger;
    private long _requestId;

    /// <param name="options">The venue's settings.</param>
    /// <param name="route">The routed entry point: <see cref="BinanceOptions.MarketStreamUri"/> for regular market data,
    /// <see cref="BinanceOptions.PublicStreamUri"/> for the book streams; each carries only its own streams.</param>
    /// <param name="name">The connection's name in logs and metrics.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where the stream logs.</param>
    /// <param name="metrics">The venue's instruments.</param>
    public BinanceMarketStream(BinanceOptions options, Uri route, string name, TimeProvider time, ILogger logger, VenueMetrics metrics)
    {
        _logger = logger;
        _topics = new TopicMultiplexer<string, JsonElement>(SendMethodAsync, StringComparer.Ordinal);
        _socket = new VenueWebSocket(BinanceParsers.Venue, new VenueWebSocketSettings
        {
            Name = name,
            ResolveUri = _ => ValueTask.FromResult(route),
            OnConnected = _topics.ResubscribeAsync,
            OnMessage = HandleMessage,
            Heartbeat = HeartbeatRule.PingFrames(options.PingInterval, options.PingTimeout),
            NoDataTimeout = options.NoDataTimeout,
            ExpectsData = () => _topics.HasTopics,
            MaxLifetime = options.ConnectionLifetime,
            RotationMargin = options.ConnectionRotationMargin,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics);
        _topics.Attach(_socket);
        _socket.Reconnected += (_, e) => Reconnected?.Invoke(this, e);
    }

    public event EventHandler<StreamReconnectedEventArgs>? Reconnected;

    public int Connections => _socket.Connections;

    public bool IsConnected => _socket.IsConnected;

    /// <summary>Streams items parsed from the named streams (lowercase Binance names such as <c>btcusdt@aggTrade</c>).</summary>
    public IAsyncEnumerable<T> SubscribeAsync<T>(IReadOnlyCollection<string> streamNames, Func<JsonElement, T> parse, CancellationToken cancellationToken) =>
        _topics.SubscribeAsync<T>(streamNames, data => parse(data), cancellationToken);

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    private async Task SendMethodAsync(Func<string, CancellationToken, Task> send, bool subscribe, IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var method = subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE";
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

        _topics.Deliver(streamProperty.GetString() ?? "", data);
    }

    /// <summary>The Binance stream name of a symbol: lowercase.</summary>
    public static string Name(string symbol, string suffix) => symbol.ToLowerInvariant() + "@" + suffix;
}
