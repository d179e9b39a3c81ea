using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
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
            // OKX closes with code 4004 and this reason ("Close Frame" table: 4004 "No data received in 30s";
            // "The connection will break automatically if the subscription is not established or data has not been
            // pushed for more than 30 seconds", https://www.okx.com/docs-v5/en/#overview-websocket-connect).
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
                            // The orders channel sends no initial snapshot, only changes of state.
                            socket.Tag = Ready;
                        }
                        else
                        {
                            await SendSnapshotAsync(socket, channel!, cancellationToken).ConfigureAwait(false);
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

        // sign = base64(HMAC-SHA256(secret, timestamp + "GET" + "/users/self/verify")), timestamp in Unix seconds
        // (https://www.okx.com/docs-v5/en/#overview-websocket-login).
        return OkxWire.Verify(ApiSecret, timestamp + "GET/users/self/verify", Field("sign") ?? "");
    }

    /// <summary>
    /// One private push. <c>account</c> and <c>positions</c> pushes say whether they are a <c>snapshot</c> (on
    /// subscribe, and regularly) or an <c>event_update</c> carrying only what changed
    /// (https://www.okx.com/docs-v5/en/#trading-account-websocket-account-channel, push data parameter eventType).
    /// </summary>
    private static string PrivatePush(string channel, string? eventType, Action<Utf8JsonWriter> item) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("arg");
        w.WriteString("channel", channel);
        if (channel != "account")
        {
            w.WriteString("instType", "SWAP");
        }

        w.WriteEndObject();
        if (eventType is not null)
        {
            w.WriteString("eventType", eventType);
            if (eventType == "snapshot")
            {
                w.WriteNumber("curPage", 1);
                w.WriteBoolean("lastPage", true);
            }
        }

        w.WriteStartArray("data");
        item(w);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>
    /// The initial snapshot of a subscription: every currency with a non-zero balance, every position with a non-zero
    /// size ("Only currencies with non-zero balance will be pushed ... all 5 currencies data will be pushed in initial
    /// snapshot", account and positions channel notes).
    /// </summary>
    private async Task SendSnapshotAsync(SimSocket socket, string channel, CancellationToken cancellationToken)
    {
        if (channel == "account")
        {
            var account = await Engine.GetAccountAsync(cancellationToken).ConfigureAwait(false);
            var extra = ExtraBalances();
            await socket.SendAsync(PrivatePush("account", "snapshot", w => WriteAccount(w, account, account.WalletBalance != 0, extra)), cancellationToken).ConfigureAwait(false);
            return;
        }

        var positions = (await Engine.GetPositionsAsync(null, cancellationToken).ConfigureAwait(false)).Where(p => p.Size != 0).ToList();
        var sizes = new List<decimal>();
        foreach (var position in positions)
        {
            sizes.Add(await CtValOf(position.Symbol, cancellationToken).ConfigureAwait(false));
        }

        await socket.SendAsync(PrivatePush("positions", "snapshot", w =>
        {
            for (var i = 0; i < positions.Count; i++)
            {
                WritePosition(w, positions[i], sizes[i]);
            }
        }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A balance change of one currency other than USDT (a deposit, a transfer): OKX pushes an <c>account</c>
    /// event_update with only that currency ("only the incremental data of that currency will be pushed triggered by
    /// this change", account channel notes). The account-level totals come along; USDT does not.
    /// </summary>
    public async Task PushBalanceChangeAsync(string ccy, decimal cashBalance)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ccy);
        lock (_gate)
        {
            _extraBalances[ccy] = cashBalance;
        }

        var account = await Engine.GetAccountAsync().ConfigureAwait(false);
        await SendPrivateAsync("account", w => WriteAccount(w, account, includeUsdt: false, [(ccy, cashBalance)])).ConfigureAwait(false);
    }

    /// <summary>
    /// The regular snapshot OKX pushes on the positions channel (about every 5 s unless updateInterval is 0): every
    /// position with a non-zero size, so one that closed is simply absent.
    /// </summary>
    public async Task PushPositionsSnapshotAsync()
    {
        foreach (var socket in Sockets.Where(s => s.Kind == PrivateKind && s.Tag == Ready))
        {
            await SendSnapshotAsync(socket, "positions", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private List<(string Ccy, decimal CashBalance)> ExtraBalances()
    {
        lock (_gate)
        {
            return [.. _extraBalances.Where(b => b.Value != 0).Select(b => (b.Key, b.Value))];
        }
    }

    private async Task SendPrivateAsync(string channel, Action<Utf8JsonWriter> item)
    {
        var json = PrivatePush(channel, channel is "account" or "positions" ? "event_update" : null, item);
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
                var order = SimOrders.OrderOf(update);
                var overrides = OverridesOf(order.ClientOrderId);
                await SendPrivateAsync("orders", w => WriteOrder(w, order, ctVal, update.LastFill, overrides)).ConfigureAwait(false);
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
                if (!Faults.LosePositionUpdates)
                {
                    await SendPrivateAsync("positions", w => WritePosition(w, position, ctVal)).ConfigureAwait(false);
                }

                var account = await Engine.GetAccountAsync(cancellationToken).ConfigureAwait(false);
                // A fill changes the USDT balance only: the push carries USDT and no other currency.
                await SendPrivateAsync("account", w => WriteAccount(w, account, includeUsdt: true, [])).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// A public or business session: tickers, funding-rate, trades and bbo-tbt only on public, candles only on business
    /// (60018 on the wrong endpoint), text ping/pong.
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
        if (OkxWire.SymbolOf(instId) is not { } symbol || !KnownSymbols.Contains(symbol))
        {
            return false;
        }

        if (channel.StartsWith("candle", StringComparison.Ordinal))
        {
            return business && OkxWire.IntervalOfBar(channel["candle".Length..]) is not null;
        }

        return !business && channel is "tickers" or "funding-rate" or "trades" or "bbo-tbt";
    }

    private async Task PumpChannelAsync(SimSocket socket, string channel, string instId, CancellationToken cancellationToken)
    {
        var symbol = OkxWire.SymbolOf(instId)!;
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
            else if (channel == "trades")
            {
                var ctVal = ContractValue(rules);
                await foreach (var trade in Engine.SubscribeTradesAsync([symbol], cancellationToken).ConfigureAwait(false))
                {
                    await socket.SendAsync(Push(w => WritePublicTrade(w, instId, trade, ctVal, Interlocked.Increment(ref _publicSeqId))), cancellationToken).ConfigureAwait(false);
                }
            }
            else if (channel == "bbo-tbt")
            {
                var ctVal = ContractValue(rules);
                await foreach (var top in Engine.SubscribeBookTopAsync([symbol], cancellationToken).ConfigureAwait(false))
                {
                    await socket.SendAsync(Push(w => WriteBboTbt(w, top, ctVal, Interlocked.Increment(ref _publicSeqId))), cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var interval = OkxWire.IntervalOfBar(channel["candle".Length..])!;
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

    /// <summary>
    /// One item of the <c>trades</c> channel
    /// (https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-trades-channel): <c>tradeId</c> a string of
    /// digits, <c>px</c>, <c>sz</c> in contracts for a SWAP, <c>side</c> the taker's side, <c>ts</c> the fill time, <c>count</c> the trades aggregated (each engine print is
    /// one taker order at one price: 1), <c>source</c> 0 (a normal order), <c>seqId</c>.
    /// </summary>
    private static void WritePublicTrade(Utf8JsonWriter w, string instId, TapeTrade trade, decimal ctVal, long seqId)
    {
        w.WriteStartObject();
        w.WriteString("instId", instId);
        w.WriteString("tradeId", trade.TradeId.ToString(CultureInfo.InvariantCulture));
        w.WriteString("px", D(trade.Price));
        w.WriteString("sz", D(trade.Quantity / ctVal));
        w.WriteString("side", trade.BuyerIsMaker ? "sell" : "buy");
        w.WriteString("ts", trade.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteString("count", "1");
        w.WriteString("source", "0");
        w.WriteNumber("seqId", seqId);
        w.WriteEndObject();
    }

    /// <summary>
    /// One item of the <c>bbo-tbt</c> channel
    /// (https://www.okx.com/docs-v5/en/#order-book-trading-market-data-ws-order-book-channel): the one best level per
    /// side as [price, size in contracts, "0" (deprecated), order count], <c>ts</c>, <c>seqId</c>; pushed when the best
    /// bid or ask changes.
    /// </summary>
    private static void WriteBboTbt(Utf8JsonWriter w, BookTop top, decimal ctVal, long seqId)
    {
        static void Level(Utf8JsonWriter w, string side, decimal price, decimal contracts)
        {
            w.WriteStartArray(side);
            w.WriteStartArray();
            w.WriteStringValue(D(price));
            w.WriteStringValue(D(contracts));
            w.WriteStringValue("0");
            w.WriteStringValue("1");
            w.WriteEndArray();
            w.WriteEndArray();
        }

        w.WriteStartObject();
        Level(w, "asks", top.AskPrice, top.AskQuantity / ctVal);
        Level(w, "bids", top.BidPrice, top.BidQuantity / ctVal);
        w.WriteString("ts", top.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        w.WriteNumber("seqId", seqId);
        w.WriteEndObject();
    }
}
