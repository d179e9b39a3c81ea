using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// The Bybit v5 public linear WebSocket (<c>/v5/public/linear</c>): topics are subscribed with
/// <c>{"op":"subscribe","args":[...]}</c> when the first reader wants them, unsubscribed when the last leaves, and all
/// subscribed again on every new connection. <c>tickers.{symbol}</c> sends a snapshot and then deltas with only the
/// changed fields, merged here per symbol (prices and funding come from the merged ticker);
/// <c>kline.{interval}.{symbol}</c> carries candles; <c>publicTrade.{symbol}</c> and <c>orderbook.1.{symbol}</c> the
/// public tape (a malformed item of those is skipped, logged and counted in <see cref="BybitSkips"/>).
/// </summary>
internal sealed class BybitMarketStream : IVenueStream
{
    private const int MaxArgsPerRequest = 10;
    private readonly BybitTickerBook _tickers = new();
    private readonly Lock _bookGate = new();
    private readonly Dictionary<string, long> _bookUpdates = new(StringComparer.Ordinal);
    private readonly BybitSkips _skips;
    private readonly TopicMultiplexer<string, MarketEvent> _topics;
    private readonly VenueWebSocket _socket;
    private readonly ILogger _logger;
    private long _requestId;

    public BybitMarketStream(BybitOptions options, TimeProvider time, ILogger logger, VenueMetrics metrics, BybitSkips? skips = null)
    {
        _logger = logger;
        _skips = skips ?? new BybitSkips(logger, metrics);
        _topics = new TopicMultiplexer<string, MarketEvent>(SendOpAsync, StringComparer.Ordinal, Forget);
        _socket = new VenueWebSocket(BybitParsers.Venue, new VenueWebSocketSettings
        {
            Name = "market",
            ResolveUri = _ => ValueTask.FromResult(options.PublicStreamUri),
            OnConnected = ResubscribeAsync,
            OnMessage = HandleMessage,
            Heartbeat = new HeartbeatRule { TextPing = "{\"op\":\"ping\"}", TextPingInterval = options.PingInterval, IsPong = IsPong },
            NoDataTimeout = options.NoDataTimeout,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics);
        _topics.Attach(_socket);
        _socket.Reconnected += (_, e) => Reconnected?.Invoke(this, e);
    }

    public event EventHandler<StreamReconnectedEventArgs>? Reconnected;

    public bool IsConnected => _socket.IsConnected;

    public int Connections => _socket.Connections;

    /// <summary>
    /// Bybit's pong shapes: public <c>{"success":true,"ret_msg":"pong","op":"ping",...}</c>, private
    /// <c>{"op":"pong","args":[...],...}</c>.
    /// </summary>
    public static bool IsPong(ReadOnlyMemory<byte> message)
    {
        var span = message.Span;
        if (span.Length > 512 || span.IndexOf("pong"u8) < 0)
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(message);
            var root = doc.RootElement;
            return root.ValueKind == JsonValueKind.Object && (root.GetStringOrNull("op") == "pong" || (root.GetStringOrNull("op") == "ping" && root.GetStringOrNull("ret_msg") == "pong"));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public IAsyncEnumerable<PriceChange> SubscribePricesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken) =>
        SubscribeAsync<PriceChange>([.. symbols.Select(s => "tickers." + s)], e => e.Price, cancellationToken);

    public IAsyncEnumerable<FundingRate> SubscribeFundingAsync(string symbol, CancellationToken cancellationToken) =>
        SubscribeAsync<FundingRate>(["tickers." + symbol], e => e.Funding, cancellationToken);

    public IAsyncEnumerable<Candle> SubscribeKlinesAsync(IReadOnlyCollection<string> symbols, string bybitInterval, CancellationToken cancellationToken) =>
        SubscribeAsync<Candle>([.. symbols.Select(s => $"kline.{bybitInterval}.{s}")], e => e.Candle, cancellationToken);

    /// <summary>Every trade of the symbols (<c>publicTrade.{symbol}</c>).</summary>
    public IAsyncEnumerable<TapeTrade> SubscribeTradesAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken) =>
        SubscribeAsync<TapeTrade>([.. symbols.Select(s => "publicTrade." + s)], e => e.Trade, cancellationToken);

    /// <summary>Every change of the best bid or ask of the symbols (<c>orderbook.1.{symbol}</c>).</summary>
    public IAsyncEnumerable<BookTop> SubscribeBookTopAsync(IReadOnlyCollection<string> symbols, CancellationToken cancellationToken) =>
        SubscribeAsync<BookTop>([.. symbols.Select(s => "orderbook.1." + s)], e => e.Top, cancellationToken);

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    private IAsyncEnumerable<T> SubscribeAsync<T>(IReadOnlyCollection<string> topics, Func<MarketEvent, T?> select, CancellationToken cancellationToken)
        where T : class =>
        _topics.SubscribeAsync(topics, select, cancellationToken);

    private Task ResubscribeAsync(VenueWebSocketConnection connection, CancellationToken cancellationToken)
    {
        // A new connection starts with a fresh snapshot; old merged state must not leak into it.
        Forget(null);
        return _topics.ResubscribeAsync(connection, cancellationToken);
    }

    private async Task SendOpAsync(Func<string, CancellationToken, Task> send, bool subscribe, IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        var op = subscribe ? "subscribe" : "unsubscribe";
        foreach (var chunk in topics.Chunk(MaxArgsPerRequest))
        {
            var id = Interlocked.Increment(ref _requestId).ToString(CultureInfo.InvariantCulture);
            var text = $"{{\"req_id\":\"{id}\",\"op\":\"{op}\",\"args\":{JsonSerializer.Serialize(chunk)}}}";
            await send(text, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Handles one public message (public for tests that feed recorded events).</summary>
    public void HandleMessage(ReadOnlyMemory<byte> message)
    {
        using var doc = JsonDocument.Parse(message);
        var root = doc.RootElement;
        if (root.GetStringOrNull("op") is not null)
        {
            if (root.TryGetProperty("success", out var success) && success.ValueKind == JsonValueKind.False)
            {
                BybitLog.SubscriptionRefused(_logger, root.GetStringOrNull("ret_msg") ?? "");
            }

            return;
        }

        var topic = root.GetStringOrNull("topic");
        if (topic is null || !root.TryGetProperty("data", out var data))
        {
            return;
        }

        var events = new List<MarketEvent>();
        if (topic.StartsWith("tickers.", StringComparison.Ordinal))
        {
            var (price, funding) = _tickers.Apply(topic, root.GetStringOrNull("type") ?? "snapshot", data, BybitParsers.Time(root, "ts"));
            if (price is not null || funding is not null)
            {
                events.Add(new MarketEvent(price, funding, null));
            }
        }
        else if (topic.StartsWith("kline.", StringComparison.Ordinal) && data.ValueKind == JsonValueKind.Array)
        {
            var symbol = topic[(topic.LastIndexOf('.') + 1)..];
            events.AddRange(data.EnumerateArray().Select(item => new MarketEvent(null, null, BybitParsers.ParseWsKline(item, symbol))));
        }
        else if (topic.StartsWith("publicTrade.", StringComparison.Ordinal) && data.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in data.EnumerateArray())
            {
                if (_skips.ParseOrSkip("trade", topic, () => BybitParsers.ParseWsPublicTrade(item)) is { } trade)
                {
                    events.Add(new MarketEvent(Trade: trade));
                }
            }
        }
        else if (topic.StartsWith("orderbook.1.", StringComparison.Ordinal) && _skips.ParseOrSkip("book top", topic, () => BybitParsers.ParseWsBookTop(root)) is { } top && IsNewTop(topic, top))
        {
            events.Add(new MarketEvent(Top: top));
        }

        if (events.Count == 0)
        {
            return;
        }

        foreach (var e in events)
        {
            _topics.Deliver(topic, e);
        }
    }

    /// <summary>
    /// Whether a level-1 snapshot changes the top: Bybit pushes the same snapshot again, with the same <c>u</c>, after 3 s
    /// without a change (docs/v5/websocket/public/orderbook.mdx: "the snapshot data will be pushed again when there is no
    /// change in 3 seconds, and the "u" will be the same as that in the previous message"); that one is not a change.
    /// </summary>
    private bool IsNewTop(string topic, BookTop top)
    {
        lock (_bookGate)
        {
            if (_bookUpdates.TryGetValue(topic, out var last) && last == top.UpdateId)
            {
                return false;
            }

            _bookUpdates[topic] = top.UpdateId;
            return true;
        }
    }

    /// <summary>Drops the merged state of one topic, or of all when <paramref name="topic"/> is null.</summary>
    private void Forget(string? topic)
    {
        _tickers.Forget(topic);
        lock (_bookGate)
        {
            if (topic is null)
            {
                _bookUpdates.Clear();
            }
            else
            {
                _bookUpdates.Remove(topic);
            }
        }
    }

    /// <summary>What one public message produced.</summary>
    private sealed record MarketEvent(PriceChange? Price = null, FundingRate? Funding = null, Candle? Candle = null, TapeTrade? Trade = null, BookTop? Top = null);
}

/// <summary>
/// Merged <c>tickers.{symbol}</c> state per topic: Bybit linear sends a snapshot, then deltas that carry only the
/// fields that changed. Thread-safe.
/// </summary>
internal sealed class BybitTickerBook
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, string>> _tickers = new(StringComparer.Ordinal);

    /// <summary>Drops the state of one topic, or of all when <paramref name="topic"/> is null.</summary>
    public void Forget(string? topic)
    {
        lock (_gate)
        {
            if (topic is null)
            {
                _tickers.Clear();
            }
            else
            {
                _tickers.Remove(topic);
            }
        }
    }

    /// <summary>The merged value of one field, or null.</summary>
    public string? Field(string topic, string field)
    {
        lock (_gate)
        {
            return _tickers.TryGetValue(topic, out var state) ? state.GetValueOrDefault(field) : null;
        }
    }

    /// <summary>
    /// Applies a ticker snapshot (replaces the state) or delta (only the fields it carries) and says what changed:
    /// a price when <c>lastPrice</c> was in the message, funding when <c>fundingRate</c> or <c>nextFundingTime</c> was.
    /// A delta before any snapshot is ignored.
    /// </summary>
    public (PriceChange? Price, FundingRate? Funding) Apply(string topic, string type, JsonElement data, DateTimeOffset time)
    {
        Dictionary<string, string> state;
        lock (_gate)
        {
            if (type == "snapshot" || !_tickers.TryGetValue(topic, out state!))
            {
                if (type != "snapshot")
                {
                    return (null, null);
                }

                state = new Dictionary<string, string>(StringComparer.Ordinal);
                _tickers[topic] = state;
            }

            foreach (var field in data.EnumerateObject())
            {
                state[field.Name] = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : field.Value.GetRawText();
            }

            state = new Dictionary<string, string>(state, StringComparer.Ordinal);
        }

        var symbol = state.GetValueOrDefault("symbol") ?? topic["tickers.".Length..];
        PriceChange? price = null;
        FundingRate? funding = null;
        if (data.TryGetProperty("lastPrice", out _) && Parse(state.GetValueOrDefault("lastPrice")) is { } last && last > 0)
        {
            price = new PriceChange(symbol, last, time, BybitParsers.Venue);
        }

        if ((data.TryGetProperty("fundingRate", out _) || data.TryGetProperty("nextFundingTime", out _)) && Parse(state.GetValueOrDefault("fundingRate")) is { } rate)
        {
            funding = new FundingRate
            {
                Exchange = BybitParsers.Venue,
                Symbol = symbol,
                Rate = rate,
                NextFundingTime = DateTimeOffset.FromUnixTimeMilliseconds((long)(Parse(state.GetValueOrDefault("nextFundingTime")) ?? 0)),
                Timestamp = time,
            };
        }

        return (price, funding);
    }

    private static decimal? Parse(string? text) =>
        decimal.TryParse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value) ? value : null;
}
