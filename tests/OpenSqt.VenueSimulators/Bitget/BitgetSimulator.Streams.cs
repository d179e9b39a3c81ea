using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Bitget;

public sealed partial class BitgetSimulator
{
    private static readonly string[] PrivateChannels = [Wire.OrdersChannel, Wire.PositionsChannel, Wire.AccountChannel];
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, byte>> _private = new();
    private readonly ConcurrentDictionary<Guid, byte> _loggedIn = new();
    private int _userEventsSent;

    public int UserEventsSent => Volatile.Read(ref _userEventsSent);

    /// <summary>Public channels subscribed since start, as <c>channel:instId</c>.</summary>
    public ConcurrentDictionary<string, byte> PublicChannels { get; } = new(StringComparer.Ordinal);

    /// <summary>Logged-in private connections with orders, positions and account subscribed.</summary>
    public override int PrivateStreamsReady => Sockets.Count(s => s.Kind == PrivateKind && _loggedIn.ContainsKey(s.Id) && ChannelsOf(s).Count == PrivateChannels.Length);

    private IReadOnlyCollection<string> ChannelsOf(SimSocket socket) => _private.TryGetValue(socket.Id, out var c) ? [.. c.Keys] : [];

    private static string ArgJson(string channel, string instId, bool coin = false) =>
        $"{{\"instType\":\"USDT-FUTURES\",\"channel\":\"{channel}\",\"{(coin ? "coin" : "instId")}\":\"{instId}\"}}";

    private string Push(string arg, string data, string action = "snapshot") => $"{{\"action\":\"{action}\",\"arg\":{arg},\"data\":{data},\"ts\":{Clock.NowMilliseconds}}}";

    private static string ErrorEvent(int code, string message) => $"{{\"event\":\"error\",\"code\":{code},\"msg\":{JsonSerializer.Serialize(message)}}}";

    /// <summary>Reads requests until the client leaves or stays silent past <see cref="IdleTimeout"/>; answers <c>ping</c> with <c>pong</c>.</summary>
    private async Task ReadLoopAsync(SimSocket socket, Func<string, Task> handle, CancellationToken cancellationToken)
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

            if (text == "ping")
            {
                Interlocked.Increment(ref _pings);
                await socket.SendAsync("pong", cancellationToken).ConfigureAwait(false);
                continue;
            }

            await handle(text).ConfigureAwait(false);
        }
    }

    private static (string? Op, List<JsonElement> Args)? ParseOp(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var op = doc.RootElement.TryGetProperty("op", out var o) ? o.GetString() : null;
            var args = doc.RootElement.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray().Select(x => x.Clone()).ToList() : [];
            return (op, args);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task PublicSessionAsync(SimSocket socket, CancellationToken cancellationToken)
    {
        var pumps = new ConcurrentDictionary<string, CancellationTokenSource>(StringComparer.Ordinal);
        try
        {
            await ReadLoopAsync(socket, async text =>
            {
                if (ParseOp(text) is not { } request || request.Op is not ("subscribe" or "unsubscribe"))
                {
                    await socket.SendAsync(ErrorEvent(30001, "invalid request"), cancellationToken).ConfigureAwait(false);
                    return;
                }

                foreach (var arg in request.Args)
                {
                    var instType = arg.TryGetProperty("instType", out var it) ? it.GetString() : null;
                    var channel = arg.TryGetProperty("channel", out var ch) ? ch.GetString() ?? "" : "";
                    var instId = arg.TryGetProperty("instId", out var id) ? id.GetString() ?? "" : "";
                    var valid = instType == Wire.ProductType && KnownSymbols.Contains(instId)
                        && (channel is Wire.TickerChannel or Wire.TradeChannel or Wire.BookTopChannel || (channel.StartsWith("candle", StringComparison.Ordinal) && Granularities.ContainsKey(channel[6..])));
                    if (!valid)
                    {
                        await socket.SendAsync(ErrorEvent(30001, $"channel {channel}:{instId} doesn't exist"), cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    PublicChannels[channel + ":" + instId] = 1;
                    var key = channel + "|" + instId;
                    if (request.Op == "subscribe")
                    {
                        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        if (pumps.TryAdd(key, cts))
                        {
                            _ = PumpMarketAsync(socket, channel, instId, cts.Token);
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

                    await socket.SendAsync($"{{\"event\":\"{request.Op}\",\"arg\":{ArgJson(channel, instId)}}}", cancellationToken).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
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

    private async Task PrivateSessionAsync(SimSocket socket, CancellationToken cancellationToken)
    {
        _private[socket.Id] = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        try
        {
            await ReadLoopAsync(socket, async text =>
            {
                if (ParseOp(text) is not { } request)
                {
                    await socket.SendAsync(ErrorEvent(30001, "invalid request"), cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (request.Op == "login")
                {
                    await socket.SendAsync(Login(request.Args) is { } failure ? failure : "{\"event\":\"login\",\"code\":0,\"msg\":\"\"}", cancellationToken).ConfigureAwait(false);
                    if (Login(request.Args) is null)
                    {
                        _loggedIn[socket.Id] = 1;
                    }

                    return;
                }

                if (!_loggedIn.ContainsKey(socket.Id))
                {
                    await socket.SendAsync(ErrorEvent(30004, "User not logged in"), cancellationToken).ConfigureAwait(false);
                    return;
                }

                foreach (var arg in request.Args)
                {
                    var channel = arg.TryGetProperty("channel", out var ch) ? ch.GetString() ?? "" : "";
                    var isAccount = channel == Wire.AccountChannel;
                    var target = arg.TryGetProperty(isAccount ? "coin" : "instId", out var t) ? t.GetString() : null;
                    if (!PrivateChannels.Contains(channel) || target != "default" || (arg.TryGetProperty("instType", out var it) ? it.GetString() : null) != Wire.ProductType)
                    {
                        await socket.SendAsync(ErrorEvent(30001, $"channel {channel} doesn't exist"), cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    if (request.Op == "subscribe")
                    {
                        _private[socket.Id][channel] = 1;
                    }
                    else
                    {
                        _private[socket.Id].TryRemove(channel, out _);
                    }

                    await socket.SendAsync($"{{\"event\":\"{request.Op}\",\"arg\":{ArgJson(channel, "default", isAccount)}}}", cancellationToken).ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _private.TryRemove(socket.Id, out _);
            _loggedIn.TryRemove(socket.Id, out _);
        }
    }

    /// <summary>Checks a login request; null when it is valid, else the error event.</summary>
    private string? Login(List<JsonElement> args)
    {
        if (args.Count != 1)
        {
            return ErrorEvent(30001, "login takes one argument");
        }

        var a = args[0];
        string? Field(string name) => a.TryGetProperty(name, out var v) ? v.GetString() : null;
        if (Field("apiKey") != ApiKey || Field("passphrase") != Passphrase)
        {
            return ErrorEvent(30011, "Invalid ACCESS_KEY or passphrase");
        }

        if (!long.TryParse(Field("timestamp"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(Clock.GetUtcNow().ToUnixTimeSeconds() - seconds) > (long)TimestampTolerance.TotalSeconds)
        {
            return ErrorEvent(30008, "Request timestamp expired");
        }

        return Wire.Verify(ApiSecret, Wire.LoginPayload(seconds), Field("sign") ?? "") ? null : ErrorEvent(30005, "Login failed: invalid sign");
    }

    private async Task SendPrivateAsync(string channel, string json)
    {
        var copies = Faults.DuplicateStreamEvents ? 2 : 1;
        foreach (var socket in Sockets.Where(s => s.Kind == PrivateKind && _loggedIn.ContainsKey(s.Id) && ChannelsOf(s).Contains(channel)))
        {
            for (var i = 0; i < copies; i++)
            {
                await socket.SendAsync(json).ConfigureAwait(false);
                Interlocked.Increment(ref _userEventsSent);
            }
        }
    }

    private Task SendOrderPushAsync(OrderUpdate update) =>
        SendPrivateAsync(Wire.OrdersChannel, Push(ArgJson(Wire.OrdersChannel, "default"), Json(w =>
        {
            var fill = update.LastFill;
            w.WriteStartArray();
            w.WriteStartObject();
            w.WriteString("instId", update.Symbol);
            w.WriteString("orderId", update.ExchangeOrderId);
            w.WriteString("clientOid", update.ClientOrderId ?? "");
            w.WriteString("side", update.Side == OrderSide.Buy ? "buy" : "sell");
            w.WriteString("orderType", OrderTypeOf(update.ClientOrderId, update.Type));
            w.WriteString("force", ForceOf(update.ClientOrderId, update.PostOnly, update.TimeInForce));
            w.WriteString("price", D(update.Price));
            w.WriteString("size", D(update.Quantity));
            w.WriteString("accBaseVolume", D(update.FilledQuantity));
            w.WriteString("priceAvg", D(update.AveragePrice));
            w.WriteString("status", StatusOf(update.ClientOrderId, update.Status));
            if (fill is not null)
            {
                w.WriteString("tradeId", fill.TradeId);
                w.WriteString("baseVolume", D(fill.Quantity));
                w.WriteString("fillPrice", D(fill.Price));
                w.WriteString("fillFee", D(-fill.Fee));
                w.WriteString("fillFeeCoin", "USDT");
                w.WriteString("fillTime", fill.Timestamp.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
                // The orders channel writes T (taker) or M (maker) (JKorf/Bitget.Net UnitTests/Subscriptions/Futures/Order.txt
                // "tradeScope": "T"; Enums/V2/Role.cs Map("maker", "M"); a live push in ccxt/ccxt#25524).
                w.WriteString("tradeScope", fill.IsMaker ? "M" : "T");
            }

            w.WriteString("reduceOnly", update.ReduceOnly ? "yes" : "no");
            w.WriteString("posMode", "one_way_mode");
            w.WriteString("posSide", "net");
            w.WriteString("tradeSide", update.Side == OrderSide.Buy ? "buy_single" : "sell_single");
            w.WriteString("marginMode", MarginModeOf(update.Symbol));
            w.WriteString("marginCoin", "USDT");
            w.WriteString("cTime", update.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            w.WriteString("uTime", update.UpdateTime.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteEndArray();
        })));

    private async Task PumpOrdersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var update in Engine.SubscribeOrdersAsync(cancellationToken).ConfigureAwait(false))
            {
                await SendOrderPushAsync(update).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public Task PushPositionsSnapshotAsync() => PushPositionsSnapshotAsync(CancellationToken.None);

    /// <summary>
    /// Every positions push is a full snapshot of the open positions: a closed position is absent, never sent with
    /// total 0 (https://www.bitget.com/api-doc/contract/websocket/private/Positions-Channel: "action": "snapshot";
    /// pybotters/pybotters#388: "the actual data is snapshot").
    /// </summary>
    private async Task PushPositionsSnapshotAsync(CancellationToken cancellationToken)
    {
        var open = (await Engine.GetPositionsAsync(null, cancellationToken).ConfigureAwait(false)).Where(p => p.Size != 0).ToList();
        await SendPrivateAsync(Wire.PositionsChannel, Push(ArgJson(Wire.PositionsChannel, "default"), Json(w =>
        {
            w.WriteStartArray();
            foreach (var position in open)
            {
                WritePosition(w, position, push: true);
            }

            w.WriteEndArray();
        }))).ConfigureAwait(false);
    }

    private async Task PumpPositionsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in Engine.SubscribePositionsAsync(null, cancellationToken).ConfigureAwait(false))
            {
                if (!Faults.LosePositionUpdates)
                {
                    await PushPositionsSnapshotAsync(cancellationToken).ConfigureAwait(false);
                }

                var account = await Engine.GetAccountAsync(cancellationToken).ConfigureAwait(false);
                await SendPrivateAsync(Wire.AccountChannel, Push(ArgJson(Wire.AccountChannel, "default", coin: true),
                    $"[{{\"marginCoin\":\"USDT\",\"frozen\":\"0\",\"available\":\"{D(account.AvailableBalance)}\",\"maxOpenPosAvailable\":\"{D(account.AvailableBalance)}\",\"maxTransferOut\":\"{D(account.AvailableBalance)}\",\"equity\":\"{D(account.MarginBalance)}\",\"usdtEquity\":\"{D(account.MarginBalance)}\"}}]")).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task PumpMarketAsync(SimSocket socket, string channel, string symbol, CancellationToken cancellationToken)
    {
        try
        {
            if (channel is Wire.TradeChannel or Wire.BookTopChannel)
            {
                await PumpTapeAsync(socket, channel, symbol, cancellationToken).ConfigureAwait(false);
            }
            else if (channel == Wire.TickerChannel)
            {
                await foreach (var price in Engine.SubscribePriceAsync([symbol], cancellationToken).ConfigureAwait(false))
                {
                    var ticker = (await Engine.GetTickersAsync(cancellationToken).ConfigureAwait(false)).First(t => t.Symbol == symbol) with { LastPrice = price.Price };
                    var funding = await Engine.GetFundingRateAsync(symbol, cancellationToken).ConfigureAwait(false);
                    await socket.SendAsync(Push(ArgJson(channel, symbol), "[" + TickerJson(ticker, funding, push: true) + "]"), cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var granularity = channel[6..];
                var interval = Granularities[granularity];
                await foreach (var utc in Engine.SubscribeKlinesAsync([symbol], interval, cancellationToken).ConfigureAwait(false))
                {
                    // A UTC+8 line (6H, 12H, 1D) opens 8 hours before the UTC one; its values here are the UTC candle's.
                    var c = Utc8Granularities.Contains(granularity) ? utc with { OpenTime = Utc8Open(utc.OpenTime, KlineInterval.ToTimeSpan(interval)) } : utc;
                    await socket.SendAsync(Push(ArgJson(channel, symbol), Json(w =>
                    {
                        w.WriteStartArray();
                        WriteCandle(w, c, push: true);
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
