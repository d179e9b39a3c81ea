using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Bybit;

public sealed partial class BybitSimulator
{
    private string ConnId() => "sim-" + Interlocked.Increment(ref _connId).ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads one client message, or null when the client was silent past <see cref="IdleTimeout"/> or left.</summary>
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
            await socket.CloseAsync("idle").ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>
    /// The private session: <c>auth</c> (the signature of "GET/realtime" + expires, expires in the future) must come
    /// before <c>subscribe</c>; <c>ping</c> answers the private pong shape.
    /// </summary>
    private async Task PrivateSessionAsync(SimSocket socket, CancellationToken cancellationToken)
    {
        try
        {
            await PrivateMessagesAsync(socket, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Left, cut for idleness or broken: a dead connection for DCP.
            DcpLeft(socket, died: true);
        }
    }

    private async Task PrivateMessagesAsync(SimSocket socket, CancellationToken cancellationToken)
    {
        var conn = ConnId();
        while (await ReceiveOrIdleAsync(socket, cancellationToken).ConfigureAwait(false) is { } text)
        {
            string? op;
            string reqId;
            JsonElement args;
            try
            {
                using var doc = JsonDocument.Parse(text);
                op = doc.RootElement.TryGetProperty("op", out var o) ? o.GetString() : null;
                reqId = doc.RootElement.TryGetProperty("req_id", out var r) ? r.GetString() ?? "" : "";
                args = doc.RootElement.TryGetProperty("args", out var a) ? a.Clone() : default;
            }
            catch (JsonException)
            {
                await socket.SendAsync($"{{\"success\":false,\"ret_msg\":\"error:request not json\",\"conn_id\":\"{conn}\"}}").ConfigureAwait(false);
                continue;
            }

            switch (op)
            {
                case "ping":
                    Interlocked.Increment(ref _pings);
                    await socket.SendAsync($"{{\"req_id\":\"{reqId}\",\"op\":\"pong\",\"args\":[\"{Clock.NowMilliseconds}\"],\"conn_id\":\"{conn}\"}}").ConfigureAwait(false);
                    break;
                case "auth":
                    var ok = CheckWsAuth(args, out var reason);
                    if (ok)
                    {
                        socket.Tag = Authed;
                    }

                    await socket.SendAsync($"{{\"success\":{(ok ? "true" : "false")},\"ret_msg\":\"{reason}\",\"op\":\"auth\",\"conn_id\":\"{conn}\"}}").ConfigureAwait(false);
                    break;
                case "subscribe":
                    var topics = args.ValueKind == JsonValueKind.Array ? args.EnumerateArray().Select(t => t.GetString() ?? "").ToArray() : [];
                    var known = topics.All(t => t is "order" or "execution" or "execution.fast" or "position" or "wallet" or DcpFutureTopic);
                    if (socket.Tag is not (Authed or Ready))
                    {
                        await socket.SendAsync($"{{\"success\":false,\"ret_msg\":\"Request not authorized\",\"op\":\"subscribe\",\"req_id\":\"{reqId}\",\"conn_id\":\"{conn}\"}}").ConfigureAwait(false);
                    }
                    else if (topics.Contains(DcpFutureTopic) && !DcpEnabled)
                    {
                        await socket.SendAsync($"{{\"success\":false,\"ret_msg\":\"permission denied: DCP is not enabled for this account\",\"op\":\"subscribe\",\"req_id\":\"{reqId}\",\"conn_id\":\"{conn}\"}}").ConfigureAwait(false);
                    }
                    else if (!known || topics.Length == 0)
                    {
                        await socket.SendAsync($"{{\"success\":false,\"ret_msg\":\"error:handler not found\",\"op\":\"subscribe\",\"req_id\":\"{reqId}\",\"conn_id\":\"{conn}\"}}").ConfigureAwait(false);
                    }
                    else
                    {
                        if (topics.Contains("order"))
                        {
                            socket.Tag = Ready;
                        }

                        if (topics.Contains(DcpFutureTopic))
                        {
                            DcpSubscribed(socket);
                        }

                        // Nothing is sent on subscribe: "There is no snapshot event given at the time when the
                        // subscription is successful" (https://bybit-exchange.github.io/docs/v5/websocket/private/wallet);
                        // position, order and execution push changes only.

                        await socket.SendAsync($"{{\"success\":true,\"ret_msg\":\"\",\"op\":\"subscribe\",\"req_id\":\"{reqId}\",\"conn_id\":\"{conn}\"}}").ConfigureAwait(false);
                    }

                    break;
                case "unsubscribe":
                    // https://bybit-exchange.github.io/docs/v5/websocket/wss-authentication ("Unsubscription").
                    var dropped = args.ValueKind == JsonValueKind.Array ? args.EnumerateArray().Select(t => t.GetString() ?? "").ToArray() : [];
                    if (dropped.Contains(DcpFutureTopic))
                    {
                        DcpLeft(socket, died: false);
                    }

                    await socket.SendAsync($"{{\"success\":true,\"ret_msg\":\"\",\"op\":\"unsubscribe\",\"req_id\":\"{reqId}\",\"conn_id\":\"{conn}\"}}").ConfigureAwait(false);
                    break;
                default:
                    await socket.SendAsync($"{{\"success\":false,\"ret_msg\":\"error:unknown op\",\"conn_id\":\"{conn}\"}}").ConfigureAwait(false);
                    break;
            }
        }
    }

    private bool CheckWsAuth(JsonElement args, out string reason)
    {
        if (args.ValueKind != JsonValueKind.Array || args.GetArrayLength() != 3 || args[1].ValueKind != JsonValueKind.Number)
        {
            reason = "Params Error";
            return false;
        }

        if (args[0].GetString() != ApiKey)
        {
            reason = "Invalid apikey";
            return false;
        }

        var expires = args[1].GetInt64();
        if (expires <= Clock.NowMilliseconds)
        {
            reason = "Params Error: expires is in the past";
            return false;
        }

        if (!SignatureMatches(ApiSecret, "GET/realtime" + expires.ToString(CultureInfo.InvariantCulture), args[2].GetString() ?? ""))
        {
            reason = "Invalid sign";
            return false;
        }

        reason = "";
        return true;
    }

    private async Task SendPrivateAsync(string topic, Action<Utf8JsonWriter> item)
    {
        var json = Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("id", Guid.NewGuid().ToString("N"));
            w.WriteString("topic", topic);
            w.WriteNumber("creationTime", Clock.NowMilliseconds);
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

    /// <summary>Engine updates as Bybit sends them: the fill's <c>execution</c> first, then the <c>order</c> state.</summary>
    private async Task PumpOrdersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in Engine.SubscribeOrdersAsync(cancellationToken).ConfigureAwait(false))
            {
                if (update.LastFill is { } fill)
                {
                    var execId = Interlocked.Increment(ref _execId);
                    await SendPrivateAsync("execution", w =>
                    {
                        w.WriteStartObject();
                        w.WriteString("category", "linear");
                        w.WriteString("symbol", fill.Symbol);
                        w.WriteString("execFee", D(fill.Fee));
                        w.WriteString("execId", $"{fill.TradeId}-{execId.ToString(CultureInfo.InvariantCulture)}");
                        w.WriteString("execPrice", D(fill.Price));
                        w.WriteString("execQty", D(fill.Quantity));
                        w.WriteString("execType", "Trade");
                        w.WriteString("execValue", D(fill.Price * fill.Quantity));
                        w.WriteString("leavesQty", D(update.Status.IsOpen() ? update.Quantity - update.FilledQuantity : 0));
                        w.WriteString("orderId", update.ExchangeOrderId);
                        w.WriteString("orderLinkId", update.ClientOrderId ?? "");
                        w.WriteString("orderPrice", D(update.Price));
                        w.WriteString("orderQty", D(update.Quantity));
                        w.WriteString("orderType", update.Type == OrderType.Limit ? "Limit" : "Market");
                        w.WriteString("side", SideText(update.Side));
                        w.WriteString("execTime", fill.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
                        w.WriteBoolean("isMaker", fill.IsMaker);
                        w.WriteString("execPnl", D(fill.RealizedPnl));
                        w.WriteString("feeCurrency", fill.FeeAsset);
                        w.WriteEndObject();
                    }).ConfigureAwait(false);
                }

                var order = SimOrders.OrderOf(update) with
                {
                    RejectReason = update.Status == OrderStatus.Canceled && update.TimeInForce == TimeInForce.Ioc ? "EC_NoImmediateQtyToFill" : update.RejectReason,
                };
                await SendPrivateAsync("order", w => WriteOrder(w, order)).ConfigureAwait(false);
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
                await SendPrivateAsync("position", w => WritePosition(w, position, rest: false)).ConfigureAwait(false);
                var account = await Engine.GetAccountAsync(cancellationToken).ConfigureAwait(false);
                await SendPrivateAsync("wallet", w => WriteWallet(w, account, null)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// The public linear session: <c>tickers.{symbol}</c> (a snapshot, then deltas with only the changed fields),
    /// <c>kline.{interval}.{symbol}</c>, <c>publicTrade.{symbol}</c> and <c>orderbook.1.{symbol}</c>; <c>ping</c> answers
    /// the public pong shape.
    /// </summary>
    private async Task PublicSessionAsync(SimSocket socket, CancellationToken cancellationToken)
    {
        var conn = ConnId();
        var pumps = new ConcurrentDictionary<string, CancellationTokenSource>(StringComparer.Ordinal);
        try
        {
            while (await ReceiveOrIdleAsync(socket, cancellationToken).ConfigureAwait(false) is { } text)
            {
                string? op;
                string reqId;
                string[] topics;
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    op = doc.RootElement.TryGetProperty("op", out var o) ? o.GetString() : null;
                    reqId = doc.RootElement.TryGetProperty("req_id", out var r) ? r.GetString() ?? "" : "";
                    topics = doc.RootElement.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Array ? [.. a.EnumerateArray().Select(t => t.GetString() ?? "")] : [];
                }
                catch (JsonException)
                {
                    await socket.SendAsync($"{{\"success\":false,\"ret_msg\":\"error:request not json\",\"conn_id\":\"{conn}\"}}").ConfigureAwait(false);
                    continue;
                }

                if (op == "ping")
                {
                    Interlocked.Increment(ref _pings);
                    await socket.SendAsync($"{{\"success\":true,\"ret_msg\":\"pong\",\"conn_id\":\"{conn}\",\"req_id\":\"{reqId}\",\"op\":\"ping\"}}").ConfigureAwait(false);
                }
                else if (op == "subscribe" && topics.Length is > 0 and <= 10 && topics.All(IsKnownTopic))
                {
                    await socket.SendAsync($"{{\"success\":true,\"ret_msg\":\"subscribe\",\"conn_id\":\"{conn}\",\"req_id\":\"{reqId}\",\"op\":\"subscribe\"}}").ConfigureAwait(false);
                    foreach (var topic in topics)
                    {
                        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        if (pumps.TryAdd(topic, cts))
                        {
                            _ = PumpTopicAsync(socket, topic, cts.Token);
                        }
                        else
                        {
                            cts.Dispose();
                        }

                        CountSubscription();
                    }
                }
                else if (op == "unsubscribe")
                {
                    foreach (var topic in topics)
                    {
                        if (pumps.TryRemove(topic, out var cts))
                        {
                            await cts.CancelAsync().ConfigureAwait(false);
                            cts.Dispose();
                        }
                    }

                    await socket.SendAsync($"{{\"success\":true,\"ret_msg\":\"\",\"conn_id\":\"{conn}\",\"req_id\":\"{reqId}\",\"op\":\"unsubscribe\"}}").ConfigureAwait(false);
                }
                else
                {
                    await socket.SendAsync($"{{\"success\":false,\"ret_msg\":\"error:handler not found,topic:{string.Join(',', topics)}\",\"conn_id\":\"{conn}\",\"req_id\":\"{reqId}\",\"op\":\"{op}\"}}").ConfigureAwait(false);
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

    private bool IsKnownTopic(string topic)
    {
        var parts = topic.Split('.');
        if (parts is ["tickers", var symbol])
        {
            return KnownSymbols.Contains(symbol);
        }

        if (parts is ["publicTrade", var tradeSymbol])
        {
            return KnownSymbols.Contains(tradeSymbol);
        }

        // Only level 1 of the documented depths (1, 50, 200, 1000) is served.
        if (parts is ["orderbook", "1", var bookSymbol])
        {
            return KnownSymbols.Contains(bookSymbol);
        }

        if (parts is ["kline", var interval, var klineSymbol] && KnownSymbols.Contains(klineSymbol))
        {
            return EngineInterval(interval) is not null;
        }

        return false;
    }

    private async Task PumpTopicAsync(SimSocket socket, string topic, CancellationToken cancellationToken)
    {
        var parts = topic.Split('.');
        try
        {
            if (parts[0] == "tickers")
            {
                var symbol = parts[1];

                // Subscribe to the engine first so no price between the snapshot and the first delta is lost.
                await using var prices = Engine.SubscribePriceAsync([symbol], cancellationToken).GetAsyncEnumerator(cancellationToken);
                var moved = prices.MoveNextAsync();
                var ticker = (await Engine.GetTickersAsync(cancellationToken).ConfigureAwait(false)).First(t => t.Symbol == symbol);
                var funding = await Engine.GetFundingRateAsync(symbol, cancellationToken).ConfigureAwait(false);
                await socket.SendAsync(Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("topic", topic);
                    w.WriteString("type", "snapshot");
                    w.WritePropertyName("data");
                    WriteTicker(w, ticker, funding);
                    w.WriteNumber("cs", 1);
                    w.WriteNumber("ts", Clock.NowMilliseconds);
                    w.WriteEndObject();
                }), cancellationToken).ConfigureAwait(false);
                var cs = 1L;
                while (await moved.ConfigureAwait(false))
                {
                    var price = prices.Current;
                    cs++;
                    await socket.SendAsync($"{{\"topic\":\"{topic}\",\"type\":\"delta\",\"data\":{{\"symbol\":\"{symbol}\",\"lastPrice\":\"{D(price.Price)}\",\"markPrice\":\"{D(price.Price)}\"}},\"cs\":{cs},\"ts\":{price.Timestamp.ToUnixTimeMilliseconds()}}}", cancellationToken).ConfigureAwait(false);
                    moved = prices.MoveNextAsync();
                }
            }
            else if (parts[0] == "publicTrade")
            {
                await PumpTradesAsync(socket, topic, parts[1], cancellationToken).ConfigureAwait(false);
            }
            else if (parts[0] == "orderbook")
            {
                await PumpBookAsync(socket, topic, parts[2], cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var interval = EngineInterval(parts[1])!;
                var span = OpenSqt.Contracts.KlineInterval.ToTimeSpan(interval);
                await foreach (var c in Engine.SubscribeKlinesAsync([parts[2]], interval, cancellationToken).ConfigureAwait(false))
                {
                    var start = c.OpenTime.ToUnixTimeMilliseconds();
                    await socket.SendAsync($"{{\"topic\":\"{topic}\",\"data\":[{{\"start\":{start},\"end\":{start + (long)span.TotalMilliseconds - 1},\"interval\":\"{parts[1]}\",\"open\":\"{D(c.Open)}\",\"close\":\"{D(c.Close)}\",\"high\":\"{D(c.High)}\",\"low\":\"{D(c.Low)}\",\"volume\":\"{D(c.Volume)}\",\"turnover\":\"{D(c.QuoteVolume)}\",\"confirm\":{(c.IsClosed ? "true" : "false")},\"timestamp\":{Clock.NowMilliseconds}}}],\"ts\":{Clock.NowMilliseconds},\"type\":\"snapshot\"}}", cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Unsubscribed or disconnected.
        }
    }

    /// <summary>
    /// <c>publicTrade.{symbol}</c>: one snapshot message per trade the engine prints, in the shape of
    /// https://bybit-exchange.github.io/docs/v5/websocket/public/trade (docs repo docs/v5/websocket/public/trade.mdx):
    /// <c>T</c> fill time, <c>S</c> the taker's side, <c>v</c> size in the base coin, <c>L</c> the tick direction,
    /// <c>i</c> a UUID trade id (as linear sends), <c>BT</c>, <c>RPI</c>, and <c>seq</c> the cross sequence (here the
    /// engine's trade number: one match per trade).
    /// </summary>
    private async Task PumpTradesAsync(SimSocket socket, string topic, string symbol, CancellationToken cancellationToken)
    {
        decimal? last = null;
        var tick = "ZeroPlusTick";
        await foreach (var trade in Engine.SubscribeTradesAsync([symbol], cancellationToken).ConfigureAwait(false))
        {
            // Tick directions (https://bybit-exchange.github.io/docs/v5/enum#tickdirection): up, down, or unchanged after
            // an up or a down move.
            tick = last is not { } previous ? tick
                : trade.Price > previous ? "PlusTick"
                : trade.Price < previous ? "MinusTick"
                : tick is "MinusTick" or "ZeroMinusTick" ? "ZeroMinusTick" : "ZeroPlusTick";
            last = trade.Price;
            var id = new Guid(trade.TradeId.ToString("x32", CultureInfo.InvariantCulture));
            var taker = trade.BuyerIsMaker ? "Sell" : "Buy";
            await socket.SendAsync($"{{\"topic\":\"{topic}\",\"type\":\"snapshot\",\"ts\":{Clock.NowMilliseconds},\"data\":[{{\"T\":{trade.Timestamp.ToUnixTimeMilliseconds()},\"s\":\"{symbol}\",\"S\":\"{taker}\",\"v\":\"{D(trade.Quantity)}\",\"p\":\"{D(trade.Price)}\",\"L\":\"{tick}\",\"i\":\"{id}\",\"BT\":false,\"RPI\":false,\"seq\":{trade.TradeId}}}]}}", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>orderbook.1.{symbol}</c>: a level-1 snapshot whenever the engine's best bid or ask changes, in the shape of
    /// https://bybit-exchange.github.io/docs/v5/websocket/public/orderbook (docs repo
    /// docs/v5/websocket/public/orderbook.mdx: level 1 is snapshots only; <c>ts</c> before <c>type</c>; <c>data.b</c>,
    /// <c>data.a</c> as [price, size]; <c>u</c> the update id; <c>seq</c> the cross sequence; <c>cts</c> the matching
    /// engine's time). The 3 s re-push of an unchanged book is not simulated.
    /// </summary>
    private async Task PumpBookAsync(SimSocket socket, string topic, string symbol, CancellationToken cancellationToken)
    {
        await foreach (var top in Engine.SubscribeBookTopAsync([symbol], cancellationToken).ConfigureAwait(false))
        {
            await socket.SendAsync($"{{\"topic\":\"{topic}\",\"ts\":{Clock.NowMilliseconds},\"type\":\"snapshot\",\"data\":{{\"s\":\"{symbol}\",\"b\":[[\"{D(top.BidPrice)}\",\"{D(top.BidQuantity)}\"]],\"a\":[[\"{D(top.AskPrice)}\",\"{D(top.AskQuantity)}\"]],\"u\":{top.UpdateId},\"seq\":{top.UpdateId}}},\"cts\":{top.Timestamp.ToUnixTimeMilliseconds()}}}", cancellationToken).ConfigureAwait(false);
        }
    }
}
