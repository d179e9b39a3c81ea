using System.Collections.Concurrent;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Gate;

public sealed partial class GateSimulator
{
    private const string OrdersChannel = "futures.orders";
    private const string UserTradesChannel = "futures.usertrades";
    private const string PositionsChannel = "futures.positions";
    private const string BalancesChannel = "futures.balances";
    private const string TickersChannel = "futures.tickers";
    private const string CandlesticksChannel = "futures.candlesticks";

    // The public tape, payload [contract] (Gate's futures WebSocket page, "Trades subscription" and "Best ask/bid
    // subscription": rosssaunders/coincise@a00ae58 docs/gateio/futures_websocket_api.md).
    private const string TradesChannel = "futures.trades";
    private const string BookTickerChannel = "futures.book_ticker";
    private static readonly string[] PrivateChannels = [OrdersChannel, UserTradesChannel, PositionsChannel, BalancesChannel];
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, byte>> _private = new();
    private int _userEventsSent;

    /// <summary>Private pushes sent since start (duplicates included).</summary>
    public int UserEventsSent => Volatile.Read(ref _userEventsSent);

    /// <summary>Connections with every private channel subscribed and authenticated.</summary>
    public override int PrivateStreamsReady => Sockets.Count(s => s.Kind == SocketKind && PrivateChannelsOf(s).Count == PrivateChannels.Length);

    private IReadOnlyCollection<string> PrivateChannelsOf(SimSocket socket) =>
        _private.TryGetValue(socket.Id, out var channels) ? [.. channels.Keys] : [];

    private long NowSeconds => Clock.GetUtcNow().ToUnixTimeSeconds();

    private string Envelope(string channel, string @event, string result) =>
        $"{{\"time\":{NowSeconds},\"time_ms\":{Clock.NowMilliseconds},\"channel\":\"{channel}\",\"event\":\"{@event}\",\"error\":null,\"result\":{result}}}";

    private string Failure(string channel, string @event, int code, string message) =>
        $"{{\"time\":{NowSeconds},\"time_ms\":{Clock.NowMilliseconds},\"channel\":\"{channel}\",\"event\":\"{@event}\",\"error\":{{\"code\":{code},\"message\":{JsonSerializer.Serialize(message)}}},\"result\":{{\"status\":\"fail\"}}}}";

    /// <summary>
    /// One futures connection: requests <c>{time, channel, event, payload, auth}</c>; public channels start one engine
    /// pump per payload, private channels need a valid <c>auth</c> for this user; a connection silent for
    /// <see cref="IdleTimeout"/> is dropped.
    /// </summary>
    private async Task SessionAsync(SimSocket socket, CancellationToken cancellationToken)
    {
        var pumps = new ConcurrentDictionary<string, CancellationTokenSource>(StringComparer.Ordinal);
        _private[socket.Id] = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        try
        {
            while (true)
            {
                string? text;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    idle.CancelAfter(IdleTimeout);
                    text = await socket.ReceiveAsync(idle.Token).ConfigureAwait(false);
                }

                if (text is null)
                {
                    return;
                }

                await HandleRequestAsync(socket, text, pumps, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _private.TryRemove(socket.Id, out _);
            foreach (var cts in pumps.Values)
            {
                await cts.CancelAsync().ConfigureAwait(false);
                cts.Dispose();
            }
        }
    }

    private async Task HandleRequestAsync(SimSocket socket, string text, ConcurrentDictionary<string, CancellationTokenSource> pumps, CancellationToken cancellationToken)
    {
        string channel;
        string @event;
        long time;
        string[] payload;
        JsonElement auth;
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            channel = root.GetProperty("channel").GetString() ?? "";
            @event = root.TryGetProperty("event", out var e) ? e.GetString() ?? "" : "";
            time = root.GetProperty("time").GetInt64();
            payload = root.TryGetProperty("payload", out var p) && p.ValueKind == JsonValueKind.Array ? [.. p.EnumerateArray().Select(x => x.GetString() ?? "")] : [];
            auth = root.TryGetProperty("auth", out var a) ? a.Clone() : default;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            await socket.SendAsync(Failure("", "", 1, "invalid request"), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (Math.Abs(NowSeconds - time) > (long)TimestampTolerance.TotalSeconds)
        {
            await socket.SendAsync(Failure(channel, @event, 4, "request time out of window"), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (channel == "futures.ping")
        {
            Interlocked.Increment(ref _pings);
            await socket.SendAsync($"{{\"time\":{NowSeconds},\"time_ms\":{Clock.NowMilliseconds},\"channel\":\"futures.pong\",\"event\":\"\",\"error\":null,\"result\":null}}", cancellationToken).ConfigureAwait(false);
            return;
        }

        if (PrivateChannels.Contains(channel))
        {
            await PrivateRequestAsync(socket, channel, @event, time, payload, auth, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (channel is not (TickersChannel or CandlesticksChannel or TradesChannel or BookTickerChannel) || @event is not ("subscribe" or "unsubscribe"))
        {
            await socket.SendAsync(Failure(channel, @event, 2, "unknown channel or event"), cancellationToken).ConfigureAwait(false);
            return;
        }

        var valid = channel != CandlesticksChannel
            ? payload.Length > 0 && payload.All(c => KnownSymbols.Contains(SymbolOf(c)) && c.Contains('_', StringComparison.Ordinal))
            : payload.Length == 2 && CandleIntervals.Contains(payload[0]) && KlineInterval.IsValid(payload[0]) && payload[1].Contains('_', StringComparison.Ordinal) && KnownSymbols.Contains(SymbolOf(payload[1]));
        if (!valid)
        {
            await socket.SendAsync(Failure(channel, @event, 2, "invalid payload"), cancellationToken).ConfigureAwait(false);
            return;
        }

        var keys = channel != CandlesticksChannel ? payload.Select(c => channel + "|" + c).ToArray() : [channel + "|" + payload[0] + "," + payload[1]];
        foreach (var key in keys)
        {
            if (@event == "subscribe")
            {
                var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (pumps.TryAdd(key, cts))
                {
                    // The pump subscribes to the engine before its first await, so counting now means "live".
                    _ = PumpMarketAsync(socket, key, cts.Token);
                }
                else
                {
                    cts.Dispose();
                }

                CountSubscription();
            }
            else if (pumps.TryRemove(key, out var cts))
            {
                await cts.CancelAsync().ConfigureAwait(false);
                cts.Dispose();
            }
        }

        await socket.SendAsync(Envelope(channel, @event, "{\"status\":\"success\"}"), cancellationToken).ConfigureAwait(false);
    }

    private async Task PrivateRequestAsync(SimSocket socket, string channel, string @event, long time, string[] payload, JsonElement auth, CancellationToken cancellationToken)
    {
        if (auth.ValueKind != JsonValueKind.Object
            || !auth.TryGetProperty("method", out var method) || method.GetString() != "api_key"
            || !auth.TryGetProperty("KEY", out var key) || key.GetString() != ApiKey
            || !auth.TryGetProperty("SIGN", out var sign)
            || !GateSignature.VerifyChannel(ApiSecret, channel, @event, time, sign.GetString() ?? ""))
        {
            await socket.SendAsync(Failure(channel, @event, 11, "auth fail"), cancellationToken).ConfigureAwait(false);
            return;
        }

        if (payload.Length != 2 || payload[0] != UserId || !(payload[1] == "!all" || KnownSymbols.Contains(SymbolOf(payload[1]))))
        {
            await socket.SendAsync(Failure(channel, @event, 2, "payload must be [user_id, contract or \"!all\"]"), cancellationToken).ConfigureAwait(false);
            return;
        }

        var channels = _private[socket.Id];
        if (@event == "subscribe")
        {
            channels[channel] = 1;
        }
        else
        {
            channels.TryRemove(channel, out _);
        }

        await socket.SendAsync(Envelope(channel, @event, "{\"status\":\"success\"}"), cancellationToken).ConfigureAwait(false);
    }

    private async Task SendPrivateAsync(string channel, string json)
    {
        var copies = Faults.DuplicateStreamEvents ? 2 : 1;
        foreach (var socket in Sockets.Where(s => s.Kind == SocketKind && PrivateChannelsOf(s).Contains(channel)))
        {
            for (var i = 0; i < copies; i++)
            {
                await socket.SendAsync(json).ConfigureAwait(false);
                Interlocked.Increment(ref _userEventsSent);
            }
        }
    }

    private async Task PumpOrdersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in Engine.SubscribeOrdersAsync(cancellationToken).ConfigureAwait(false))
            {
                _orderSymbols[update.ExchangeOrderId] = update.Symbol;
                var multiplier = (await Engine.GetSymbolInfoAsync(update.Symbol, cancellationToken).ConfigureAwait(false)).StepSize;
                if (update.LastFill is { } fill)
                {
                    // Gate sends the execution on futures.usertrades beside the order's new state on futures.orders.
                    var size = decimal.ToInt64(fill.Quantity / multiplier) * (fill.Side == OrderSide.Buy ? 1 : -1);
                    await SendPrivateAsync(UserTradesChannel, Envelope(UserTradesChannel, "update", Json(w =>
                    {
                        w.WriteStartArray();
                        w.WriteStartObject();
                        w.WriteString("id", fill.TradeId);
                        w.WriteNumber("create_time", fill.Timestamp.ToUnixTimeSeconds());
                        w.WriteNumber("create_time_ms", fill.Timestamp.ToUnixTimeMilliseconds());
                        w.WriteString("contract", NameOf(fill.Symbol));
                        w.WriteString("order_id", fill.ExchangeOrderId);
                        w.WriteNumber("size", size);
                        w.WriteString("price", D(fill.Price));
                        w.WriteString("role", fill.IsMaker ? "maker" : "taker");
                        w.WriteString("text", update.ClientOrderId is null ? "api" : "t-" + update.ClientOrderId);
                        w.WriteString("fee", D(fill.Fee));
                        w.WriteEndObject();
                        w.WriteEndArray();
                    }))).ConfigureAwait(false);
                }

                var order = SimOrders.OrderOf(update);
                await SendPrivateAsync(OrdersChannel, Envelope(OrdersChannel, "update", Json(w =>
                {
                    w.WriteStartArray();
                    WriteOrder(w, order, multiplier, rest: false);
                    w.WriteEndArray();
                }))).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task PumpPositionsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var position in Engine.SubscribePositionsAsync(null, cancellationToken).ConfigureAwait(false))
            {
                var multiplier = (await Engine.GetSymbolInfoAsync(position.Symbol, cancellationToken).ConfigureAwait(false)).StepSize;
                await SendPrivateAsync(PositionsChannel, Envelope(PositionsChannel, "update", "[" + PositionJson(position, multiplier, rest: false) + "]")).ConfigureAwait(false);
                var account = await Engine.GetAccountAsync(cancellationToken).ConfigureAwait(false);
                await SendPrivateAsync(BalancesChannel, Envelope(BalancesChannel, "update",
                    $"[{{\"balance\":{D(account.WalletBalance)},\"change\":0,\"text\":\"{NameOf(position.Symbol)}\",\"time\":{NowSeconds},\"time_ms\":{Clock.NowMilliseconds},\"type\":\"fee\",\"user\":\"{UserId}\"}}]")).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task PumpMarketAsync(SimSocket socket, string key, CancellationToken cancellationToken)
    {
        var bar = key.IndexOf('|', StringComparison.Ordinal);
        var channel = key[..bar];
        var payload = key[(bar + 1)..].Split(',');
        try
        {
            if (channel is TradesChannel or BookTickerChannel)
            {
                await PumpTapeAsync(socket, channel, payload[0], cancellationToken).ConfigureAwait(false);
            }
            else if (channel == TickersChannel)
            {
                var symbol = SymbolOf(payload[0]);
                await foreach (var price in Engine.SubscribePriceAsync([symbol], cancellationToken).ConfigureAwait(false))
                {
                    var ticker = (await Engine.GetTickersAsync(cancellationToken).ConfigureAwait(false)).First(t => t.Symbol == symbol) with { LastPrice = price.Price };
                    var rules = await Engine.GetSymbolInfoAsync(symbol, cancellationToken).ConfigureAwait(false);
                    var funding = await Engine.GetFundingRateAsync(symbol, cancellationToken).ConfigureAwait(false);
                    await socket.SendAsync(Envelope(channel, "update", "[" + TickerJson(ticker, rules.StepSize, funding) + "]"), cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var interval = payload[0];
                var symbol = SymbolOf(payload[1]);
                var multiplier = (await Engine.GetSymbolInfoAsync(symbol, cancellationToken).ConfigureAwait(false)).StepSize;
                await foreach (var c in Engine.SubscribeKlinesAsync([symbol], interval, cancellationToken).ConfigureAwait(false))
                {
                    await socket.SendAsync(Envelope(channel, "update", Json(w =>
                    {
                        w.WriteStartArray();
                        w.WriteStartObject();
                        w.WriteNumber("t", c.OpenTime.ToUnixTimeSeconds());
                        w.WriteNumber("v", Contracts(c.Volume, multiplier));
                        w.WriteString("c", D(c.Close));
                        w.WriteString("h", D(c.High));
                        w.WriteString("l", D(c.Low));
                        w.WriteString("o", D(c.Open));
                        w.WriteString("n", interval + "_" + payload[1]);
                        w.WriteString("a", D(c.Volume));
                        w.WriteString("sum", D(c.QuoteVolume));
                        w.WriteBoolean("w", c.IsClosed);
                        w.WriteEndObject();
                        w.WriteEndArray();
                    })), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Unsubscribed or disconnected.
        }
    }

}
