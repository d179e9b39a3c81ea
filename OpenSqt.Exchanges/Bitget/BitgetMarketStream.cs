using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>
/// The public Bitget v2 WebSocket: <c>ticker</c>, <c>candle&lt;granularity&gt;</c>, <c>trade</c> and <c>books1</c> channels of USDT-FUTURES
/// instruments, subscribed when the first reader wants them, unsubscribed when the last leaves, all subscribed again on
/// every new connection; the text <c>ping</c> heartbeat, with <c>pong</c> kept off the data path.
/// </summary>
internal sealed class BitgetMarketStream : IVenueStream
{
    public const string TickerChannel = "ticker";

    /// <summary>Every public trade (https://www.bitget.com/api-doc/contract/websocket/public/New-Trades-Channel).</summary>
    public const string TradeChannel = "trade";

    /// <summary>One book level a side, a snapshot every push (https://www.bitget.com/api-doc/contract/websocket/public/Order-Book-Channel).</summary>
    public const string BookTopChannel = "books1";
    private readonly TopicMultiplexer<(string Channel, string InstId), (JsonElement Item, string InstId)> _topics;
    private readonly VenueWebSocket _socket;
    private readonly ILogger _logger;

    public BitgetMarketStream(BitgetOptions options, TimeProvider time, ILogger logger, VenueMetrics metrics)
    {
        _logger = logger;
        _topics = new TopicMultiplexer<(string Channel, string InstId), (JsonElement Item, string InstId)>(SendAsync);
        _socket = new VenueWebSocket(BitgetParsers.Venue, new VenueWebSocketSettings
        {
            Name = "market",
            ResolveUri = _ => ValueTask.FromResult(new Uri(options.WsBaseUrl)),
            OnConnected = _topics.ResubscribeAsync,
            OnMessage = HandleMessage,
            Heartbeat = Heartbeat(options.PingInterval),
            NoDataTimeout = options.NoDataTimeout,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics);
        _topics.Attach(_socket);
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
    public IAsyncEnumerable<T> SubscribeAsync<T>(IReadOnlyCollection<(string Channel, string InstId)> keys, Func<JsonElement, string, T?> parse, CancellationToken cancellationToken) =>
        _topics.SubscribeAsync(keys, push => parse(push.Item, push.InstId), cancellationToken);

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    private async Task SendAsync(Func<string, CancellationToken, Task> send, bool subscribe, IReadOnlyList<(string Channel, string InstId)> keys, CancellationToken cancellationToken)
    {
        var op = subscribe ? "subscribe" : "unsubscribe";
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
        if (key.Item1 == TradeChannel && data.GetArrayLength() > 1)
        {
            // A trade push can hold several trades, newest first (the opening snapshot of recent trades, and the page's
            // push example): they are handed on oldest first, by fill time and then trade id.
            foreach (var item in data.EnumerateArray().OrderBy(TradeOrder))
            {
                _topics.Deliver(key, (item, key.Item2));
            }

            return;
        }

        foreach (var item in data.EnumerateArray())
        {
            _topics.Deliver(key, (item, key.Item2));
        }
    }

    /// <summary>The fill time and trade id of a trade item (0 where one is not a number: the parser refuses it later).</summary>
    private static (long Ts, long TradeId) TradeOrder(JsonElement item) =>
        (long.TryParse(item.GetStringOrNull("ts"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ts) ? ts : 0,
         long.TryParse(item.GetStringOrNull("tradeId"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : 0);
}
