using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Okx;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Okx;

public sealed partial class OkxSimulator
{
    private string ConnId() => "okx" + Interlocked.Increment(ref _connId).ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads one client message; a connection silent past <see cref="IdleTimeout"/> is closed (OKX: 4004 after 30 s).</summary>
    private async Task<string?> ReceiveOrIdleAsync(SimSocket socket, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(IdleTimeout);
        try
        {
            return await socket.ReceiveAsync(idle.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // OKX closes with code 4004 and this reason.
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.Socket.CloseOutputAsync((System.Net.WebSockets.WebSocketCloseStatus)4004, "No data received in 30s.", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Already gone.
            }

            socket.Abort();
            return null;
        }
    }

    private async Task PrivateSessionAsync(SimSocket socket, CancellationToken cancellationToken)
    {
        var conn = ConnId();
        while (await ReceiveOrIdleAsync(socket, cancellationToken).ConfigureAwait(false) is { } text)
        {
            if (text == "ping")
            {
                Interlocked.Increment(ref _pings);
                await socket.SendAsync("pong").ConfigureAwait(false);
                continue;
            }

            string? op;
            JsonElement args;
            try
            {
                using var doc = JsonDocument.Parse(text);
                op = doc.RootElement.TryGetProperty("op", out var o) ? o.GetString() : null;
                args = doc.RootElement.TryGetProperty("args", out var a) ? a.Clone() : default;
            }
            catch (JsonException)
            {
                await socket.SendAsync($"{{\"event\":\"error\",\"code\":\"60012\",\"msg\":\"Illegal request: {JsonEncodedText.Encode(text)}\",\"connId\":\"{conn}\"}}").ConfigureAwait(false);
                continue;
            }

            if (op == "login")
            {
                if (CheckLogin(args))
                {
                    socket.Tag = LoggedIn;
                    await socket.SendAsync($"{{\"event\":\"login\",\"code\":\"0\",\"msg\":\"\",\"connId\":\"{conn}\"}}").ConfigureAwait(false);
                }
                else
                {
                    await socket.SendAsync($"{{\"event\":\"error\",\"code\":\"60009\",\"msg\":\"Login failed.\",\"connId\":\"{conn}\"}}").ConfigureAwait(false);
                }
            }
            else if (op == "subscribe" && args.ValueKind == JsonValueKind.Array)
            {
                if (socket.Tag is not (LoggedIn or Ready))
                {
                    await socket.SendAsync($"{{\"event\":\"error\",\"code\":\"60011\",\"msg\":\"Please log in\",\"connId\":\"{conn}\"}}").ConfigureAwait(false);
                    continue;
                }

                foreach (var arg in args.EnumerateArray())
                {
                    var channel = arg.TryGetProperty("channel", out var c) ? c.GetString() : null;
                    if (channel is "orders" or "positions" or "account")
                    {
                        await socket.SendAsync($"{{\"event\":\"subscribe\",\"arg\":{arg.GetRawText()},\"connId\":\"{conn}\"}}").ConfigureAwait(false);
                        if (channel == "orders")
                        {
                            socket.Tag = Ready;
                        }
                    }
                    else
                    {
                        await socket.SendAsync($"{{\"event\":\"error\",\"code\":\"60018\",\"msg\":\"Wrong URL or channel:{channel} doesn't exist.\",\"connId\":\"{conn}\"}}").ConfigureAwait(false);
                    }
                }
            }
            else
            {
                await socket.SendAsync($"{{\"event\":\"error\",\"code\":\"60012\",\"msg\":\"Illegal request\",\"connId\":\"{conn}\"}}").ConfigureAwait(false);
            }
        }
    }

    private bool CheckLogin(JsonElement args)
    {
        if (args.ValueKind != JsonValueKind.Array || args.GetArrayLength() != 1)
        {
            return false;
        }

        var arg = args[0];
        string? Field(string name) => arg.TryGetProperty(name, out var v) ? v.GetString() : null;
        var timestamp = Field("timestamp") ?? "";
        if (Field("apiKey") != ApiKey || Field("passphrase") != Passphrase || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }

        if (Math.Abs(Clock.GetUtcNow().ToUnixTimeSeconds() - seconds) > TimestampTolerance.TotalSeconds)
        {
            return false;
        }

        return OkxSigner.Verify(ApiSecret, OkxSigner.LoginPayload(timestamp), Field("sign") ?? "");
    }

    private async Task SendPrivateAsync(string channel, Action<Utf8JsonWriter> item)
    {
        var json = Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("arg");
            w.WriteString("channel", channel);
            if (channel != "account")
            {
                w.WriteString("instType", "SWAP");
            }

            w.WriteEndObject();
            w.WriteStartArray("data");
            item(w);
            w.WriteEndArray();
            w.WriteEndObject();
        });
        var copies = Faults.DuplicateStreamEvents ? 2 : 1;
        foreach (var socket in Sockets.Where(s => s.Kind == PrivateKind && s.Tag == Ready))
        {
            for (var i = 0; i < copies; i++)
            {
                await socket.SendAsync(json).ConfigureAwait(false);
            }
        }
    }

    private async Task<decimal> CtValOf(string symbol, CancellationToken cancellationToken) =>
        ContractValue(await Engine.GetSymbolInfoAsync(symbol, cancellationToken).ConfigureAwait(false));

    /// <summary>One <c>orders</c> push per engine update, the last fill in it.</summary>
    private async Task PumpOrdersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in Engine.SubscribeOrdersAsync(cancellationToken).ConfigureAwait(false))
            {
                var ctVal = await CtValOf(update.Symbol, cancellationToken).ConfigureAwait(false);
                var order = new Order
                {
                    ExchangeOrderId = update.ExchangeOrderId,
                    ClientOrderId = update.ClientOrderId,
                    Symbol = update.Symbol,
                    Side = update.Side,
                    Type = update.Type,
                    TimeInForce = update.TimeInForce,
                    Price = update.Price,
                    Quantity = update.Quantity,
                    FilledQuantity = update.FilledQuantity,
                    AveragePrice = update.AveragePrice,
                    Status = update.Status,
                    ReduceOnly = update.ReduceOnly,
                    PostOnly = update.PostOnly,
                    CreatedAt = update.UpdateTime,
                    UpdatedAt = update.UpdateTime,
                };
                await SendPrivateAsync("orders", w => WriteOrder(w, order, ctVal, update.LastFill)).ConfigureAwait(false);
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
                var ctVal = await CtValOf(position.Symbol, cancellationToken).ConfigureAwait(false);
                await SendPrivateAsync("positions", w => WritePosition(w, position, ctVal)).ConfigureAwait(false);
                var account = await Engine.GetAccountAsync(cancellationToken).ConfigureAwait(false);
                await SendPrivateAsync("account", w => WriteAccount(w, account, null)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// A public or business session: tickers and funding-rate only on public, candles only on business (60018 on the
    /// wrong endpoint), text ping/pong.
    /// </summary>
    private async Task PublicSessionAsync(SimSocket socket, bool business, CancellationToken cancellationToken)
    {
        var conn = ConnId();
        var pumps = new ConcurrentDictionary<string, CancellationTokenSource>(StringComparer.Ordinal);
        try
        {
            while (await ReceiveOrIdleAsync(socket, cancellationToken).ConfigureAwait(false) is { } text)
            {
                if (text == "ping")
                {
                    Interlocked.Increment(ref _pings);
                    await socket.SendAsync("pong").ConfigureAwait(false);
                    continue;
                }

                string? op;
                List<(string Channel, string InstId, string Raw)> args = [];
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    op = doc.RootElement.TryGetProperty("op", out var o) ? o.GetString() : null;
                    if (doc.RootElement.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var arg in a.EnumerateArray())
                        {
                            args.Add((arg.TryGetProperty("channel", out var c) ? c.GetString() ?? "" : "", arg.TryGetProperty("instId", out var i) ? i.GetString() ?? "" : "", arg.GetRawText()));
                        }
                    }
                }
                catch (JsonException)
                {
                    await socket.SendAsync($"{{\"event\":\"error\",\"code\":\"60012\",\"msg\":\"Illegal request\",\"connId\":\"{conn}\"}}").ConfigureAwait(false);
                    continue;
                }

                foreach (var (channel, instId, raw) in args)
                {
                    var key = channel + "|" + instId;
                    if (op == "subscribe" && IsKnownChannel(channel, instId, business))
                    {
                        await socket.SendAsync($"{{\"event\":\"subscribe\",\"arg\":{raw},\"connId\":\"{conn}\"}}").ConfigureAwait(false);
                        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        if (pumps.TryAdd(key, cts))
                        {
                            _ = PumpChannelAsync(socket, channel, instId, cts.Token);
                        }
                        else
                        {
                            cts.Dispose();
                        }

                        CountSubscription();
                    }
                    else if (op == "unsubscribe")
                    {
                        if (pumps.TryRemove(key, out var cts))
                        {
                            await cts.CancelAsync().ConfigureAwait(false);
                            cts.Dispose();
                        }

                        await socket.SendAsync($"{{\"event\":\"unsubscribe\",\"arg\":{raw},\"connId\":\"{conn}\"}}").ConfigureAwait(false);
                    }
                    else
                    {
                        await socket.SendAsync($"{{\"event\":\"error\",\"code\":\"60018\",\"msg\":\"Wrong URL or channel:{channel},instId:{instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.\",\"connId\":\"{conn}\"}}").ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            foreach (var cts in pumps.Values)
            {
                await cts.CancelAsync().ConfigureAwait(false);
                cts.Dispose();
            }
        }
    }

    private bool IsKnownChannel(string channel, string instId, bool business)
    {
        if (!instId.EndsWith("-USDT-SWAP", StringComparison.Ordinal) || !KnownSymbols.Contains(OkxParsers.Symbols.FromVenue(instId)))
        {
            return false;
        }

        if (channel.StartsWith("candle", StringComparison.Ordinal))
        {
            try
            {
                OkxParsers.ParseBar(channel["candle".Length..]);
                return business;
            }
            catch (ExchangeException)
            {
                return false;
            }
        }

        return !business && channel is "tickers" or "funding-rate";
    }

    private async Task PumpChannelAsync(SimSocket socket, string channel, string instId, CancellationToken cancellationToken)
    {
        var symbol = OkxParsers.Symbols.FromVenue(instId);
        string Push(Action<Utf8JsonWriter> item) => Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("arg");
            w.WriteString("channel", channel);
            w.WriteString("instId", instId);
            w.WriteEndObject();
            w.WriteStartArray("data");
            item(w);
            w.WriteEndArray();
            w.WriteEndObject();
        });
        try
        {
            var rules = await Engine.GetSymbolInfoAsync(symbol, cancellationToken).ConfigureAwait(false);
            if (channel == "tickers")
            {
                await foreach (var price in Engine.SubscribePriceAsync([symbol], cancellationToken).ConfigureAwait(false))
                {
                    var ticker = (await Engine.GetTickersAsync(cancellationToken).ConfigureAwait(false)).First(t => t.Symbol == symbol) with { LastPrice = price.Price, Timestamp = price.Timestamp };
                    await socket.SendAsync(Push(w => WriteTicker(w, ticker, rules)), cancellationToken).ConfigureAwait(false);
                }
            }
            else if (channel == "funding-rate")
            {
                var current = await Engine.GetFundingRateAsync(symbol, cancellationToken).ConfigureAwait(false);
                await socket.SendAsync(Push(w => WriteFunding(w, current)), cancellationToken).ConfigureAwait(false);
                await foreach (var funding in Engine.SubscribeFundingRateAsync(symbol, cancellationToken).ConfigureAwait(false))
                {
                    await socket.SendAsync(Push(w => WriteFunding(w, funding)), cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var interval = OkxParsers.ParseBar(channel["candle".Length..]);
                var ctVal = ContractValue(rules);
                await foreach (var candle in Engine.SubscribeKlinesAsync([symbol], interval, cancellationToken).ConfigureAwait(false))
                {
                    await socket.SendAsync(Push(w => WriteCandle(w, candle, ctVal)), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Unsubscribed or disconnected.
        }
    }
}
