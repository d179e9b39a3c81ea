using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// The public side of the Gate futures WebSocket: <c>futures.tickers</c>, <c>futures.trades</c>,
/// <c>futures.book_ticker</c> (payload <c>[contract]</c>) and <c>futures.candlesticks</c> (payload
/// <c>[interval, contract]</c>) subscribed when the first reader wants them,
/// unsubscribed when the last leaves, all subscribed again on every new connection; <c>futures.ping</c> every
/// <see cref="VenueOptions.PingInterval"/>, with <c>futures.pong</c> answers kept off the data path.
/// </summary>
internal sealed class GateMarketStream : IVenueStream
{
    public const string Tickers = "futures.tickers";
    public const string Candlesticks = "futures.candlesticks";

    /// <summary>Every public trade, payload <c>[contract]</c> (JKorf/GateIo.Net UnitTests/Subscriptions/Futures/SubscribeToTradeUpdates.txt).</summary>
    public const string Trades = "futures.trades";

    /// <summary>The best bid and ask, payload <c>[contract]</c>; its result is one object naming the contract in <c>s</c> (SubscribeToBookTickerUpdates.txt, same repository).</summary>
    public const string BookTicker = "futures.book_ticker";
    private readonly TopicMultiplexer<string, (JsonElement Item, string Contract)> _topics;
    private readonly VenueWebSocket _socket;
    private readonly GatePinger _pinger;
    private readonly ILogger _logger;
    private readonly UnixSeconds _seconds;
    private readonly TimeProvider _time;
    private readonly TimeSpan _markMaxAge;
    private readonly Lock _marksGate = new();
    private readonly Dictionary<string, (decimal Mark, DateTimeOffset At)> _marks = new(StringComparer.Ordinal);

    public GateMarketStream(GateOptions options, TimeProvider time, ILogger logger, VenueMetrics metrics)
    {
        _logger = logger;
        _time = time;
        _markMaxAge = options.MarkPriceMaxAge;
        _seconds = new UnixSeconds(time);
        _topics = new TopicMultiplexer<string, (JsonElement Item, string Contract)>(SendAsync, StringComparer.Ordinal);
        _socket = new VenueWebSocket(GateParsers.Venue, new VenueWebSocketSettings
        {
            Name = "market",
            ResolveUri = _ => ValueTask.FromResult(new Uri(options.WsBaseUrl)),
            OnConnected = _topics.ResubscribeAsync,
            OnMessage = HandleMessage,
            Heartbeat = new HeartbeatRule { IsPong = GatePinger.IsPong },
            NoDataTimeout = options.NoDataTimeout,
            InitialBackoff = options.ReconnectInitialDelay,
        }, time, logger, metrics);
        _pinger = new GatePinger(_socket, options.PingInterval, time);
        _topics.Attach(_socket, _pinger.Start);
        _socket.Reconnected += (_, e) => Reconnected?.Invoke(this, e);
    }

    public event EventHandler<StreamReconnectedEventArgs>? Reconnected;

    public int Connections => _socket.Connections;

    public bool IsConnected => _socket.IsConnected;

    /// <summary>The key of one public subscription: channel and payload.</summary>
    public static string Key(string channel, string? interval, string contract) =>
        interval is null ? channel + "|" + contract : channel + "|" + interval + "," + contract;

    /// <summary>Streams items parsed from the pushes of the given keys; <paramref name="parse"/> gets each result item and its contract.</summary>
    public IAsyncEnumerable<T> SubscribeAsync<T>(IReadOnlyCollection<string> keys, Func<JsonElement, string, T?> parse, CancellationToken cancellationToken) =>
        _topics.SubscribeAsync(keys, push => parse(push.Item, push.Contract), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _pinger.DisposeAsync().ConfigureAwait(false);
        await _socket.DisposeAsync().ConfigureAwait(false);
    }

    private async Task SendAsync(Func<string, CancellationToken, Task> send, bool subscribe, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var @event = subscribe ? "subscribe" : "unsubscribe";
        foreach (var key in keys)
        {
            var bar = key.IndexOf('|', StringComparison.Ordinal);
            var channel = key[..bar];
            var payload = key[(bar + 1)..].Split(',');
            var text = JsonSerializer.Serialize(new GateChannelRequest(_seconds.Now, channel, @event, payload), GateJsonContext.Default.GateChannelRequest);
            await send(text, cancellationToken).ConfigureAwait(false);
            GateLog.ChannelRequestSent(_logger, @event, key);
        }
    }

    private void HandleMessage(ReadOnlyMemory<byte> message)
    {
        using var doc = JsonDocument.Parse(message);
        var root = doc.RootElement;
        var channel = root.GetStringOrNull("channel") ?? "";
        var @event = root.GetStringOrNull("event");
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            GateLog.ChannelRequestRefused(_logger, channel, error.GetRawText());
            return;
        }

        if (@event is not ("update" or "all") || !root.TryGetProperty("result", out var result))
        {
            return;
        }

        if (result.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in result.EnumerateArray())
            {
                Deliver(channel, item);
            }
        }
        else if (result.ValueKind == JsonValueKind.Object && channel == BookTicker)
        {
            // futures.book_ticker sends one object, the other channels a list (ccxt ts/src/pro/gate.ts wraps a result
            // that is not a list: "if (!Array.isArray (result)) { result = [ result ]; }").
            Deliver(channel, result);
        }
    }

    private void Deliver(string channel, JsonElement item)
    {
        string key;
        string contract;
        if (channel == Candlesticks)
        {
            var (interval, name) = GateParsers.ParseCandleName(item.GetRequiredString("n"));
            contract = name;
            key = Key(channel, interval, name);
        }
        else
        {
            contract = item.GetRequiredString(channel == BookTicker ? "s" : "contract");
            key = Key(channel, null, contract);
        }

        _topics.Deliver(key, (item, contract));
    }

    /// <summary>Remembers the <c>mark_price</c> of a ticker or REST position item; answers the item.</summary>
    public JsonElement ObserveMark(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("mark_price", out _) || e.GetStringOrNull("contract") is not { } contract)
        {
            return e;
        }

        var mark = e.GetDecimal("mark_price");
        if (mark > 0)
        {
            lock (_marksGate)
            {
                _marks[contract] = (mark, _time.GetUtcNow());
            }
        }

        return e;
    }

    /// <summary>
    /// The mark price of a contract for a <c>futures.positions</c> push: the last one seen on the ticker stream or a REST
    /// answer if younger than <see cref="GateOptions.MarkPriceMaxAge"/>, else fetched from GET tickers; when that fails,
    /// the last one known, else null.
    /// </summary>
    public async Task<decimal?> MarkPriceAsync(string contract, Func<string, CancellationToken, Task<JsonDocument>> fetchTicker, CancellationToken cancellationToken)
    {
        (decimal Mark, DateTimeOffset At) known;
        bool have;
        lock (_marksGate)
        {
            have = _marks.TryGetValue(contract, out known);
        }

        if (have && _time.GetUtcNow() - known.At <= _markMaxAge)
        {
            return known.Mark;
        }

        try
        {
            using var doc = await fetchTicker(contract, cancellationToken).ConfigureAwait(false);
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                ObserveMark(e);
            }

            lock (_marksGate)
            {
                return _marks.TryGetValue(contract, out var fresh) ? fresh.Mark : have ? known.Mark : null;
            }
        }
        catch (ExchangeException ex)
        {
            GateLog.MarkPriceRefreshFailed(_logger, contract, ex.Message);
            return have ? known.Mark : null;
        }
    }
}

/// <summary>Unix seconds for the <c>time</c> field of requests.</summary>
internal sealed class UnixSeconds(TimeProvider time)
{
    public long Now => time.GetUtcNow().ToUnixTimeSeconds();
}

/// <summary>
/// Gate's application heartbeat: <c>{"time":t,"channel":"futures.ping"}</c> on the current connection every interval
/// (with a fresh <c>time</c>, which is why it is not a fixed text ping); the answer is <c>futures.pong</c>.
/// </summary>
internal sealed class GatePinger(VenueWebSocket socket, TimeSpan interval, TimeProvider time) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public static bool IsPong(ReadOnlyMemory<byte> message) =>
        message.Length < 256 && message.Span.IndexOf("\"futures.pong\""u8) >= 0;

    public void Start() => _loop ??= RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!socket.IsConnected)
            {
                continue;
            }

            try
            {
                var ping = JsonSerializer.Serialize(new GateChannelRequest(time.GetUtcNow().ToUnixTimeSeconds(), "futures.ping", "", null), GateJsonContext.Default.GateChannelRequest);
                await socket.SendTextAsync(ping, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ExchangeException or System.Net.WebSockets.WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
                // The connection is going; the socket's loop reconnects.
            }
        }
    }
}
