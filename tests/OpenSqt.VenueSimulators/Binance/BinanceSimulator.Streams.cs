using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Binance;

public sealed partial class BinanceSimulator
{
    /// <summary>User-stream events sent since start (duplicates included).</summary>
    public int UserEventsSent => Volatile.Read(ref _userEventsSent);

    private int _userEventsSent;

    public override int PrivateStreamsReady => Sockets.Count(s => s.Kind == UserKind && s.Tag is not null && s.Tag == ActiveListenKey);

    protected override async ValueTask OnDisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_pumps).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// A <c>/private</c> user-data connection: the listen key in the path (<c>/private/ws/&lt;listenKey&gt;</c>) or the
    /// query (<c>/private/ws?listenKey=&lt;listenKey&gt;&amp;events=A/B</c>; with <c>events</c> only the named event
    /// types are delivered, "Private supports listenKey + events subscription", Important WebSocket Change Notice).
    /// </summary>
    private async Task UserSessionAsync(HttpContext context, SimSocket socket, CancellationToken cancellationToken)
    {
        var key = context.Request.RouteValues["listenKey"] as string ?? context.Request.Query["listenKey"].ToString();
        if (string.IsNullOrEmpty(key) || key != ActiveListenKey)
        {
            await socket.CloseAsync("invalid listen key").ConfigureAwait(false);
            return;
        }

        var events = context.Request.Query["events"].ToString();
        if (events.Length > 0)
        {
            _eventFilters[socket.Id] = new HashSet<string>(events.Split('/', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        }

        socket.Tag = key;
        try
        {
            while (await socket.ReceiveAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                // The user stream takes no requests; reading keeps the pong deadline and the close handshake working.
            }
        }
        finally
        {
            _eventFilters.TryRemove(socket.Id, out _);
        }
    }

    /// <summary>A retired URL: the connection is accepted and kept, and nothing is ever delivered on it.</summary>
    private static async Task SilentSessionAsync(SimSocket socket, CancellationToken cancellationToken)
    {
        while (await socket.ReceiveAsync(cancellationToken).ConfigureAwait(false) is not null)
        {
            // Requests are read and ignored.
        }
    }

    /// <summary>Connections opened on a retired unrouted URL (<c>/ws/&lt;listenKey&gt;</c>, <c>/ws</c>, <c>/stream</c>) since start.</summary>
    public int LegacyConnections => Volatile.Read(ref _legacyConnections);

    private int _legacyConnections;

    private Task Legacy(HttpContext context, string kind, Func<SimSocket, CancellationToken, Task> session)
    {
        Interlocked.Increment(ref _legacyConnections);
        return RunSocketAsync(context, kind, session);
    }

    private readonly ConcurrentDictionary<Guid, HashSet<string>> _eventFilters = new();

    private async Task SendUserEventAsync(string json)
    {
        var copies = Faults.DuplicateStreamEvents ? 2 : 1;
        var type = EventTypeOf(json);
        foreach (var socket in Sockets.Where(s => s.Kind == UserKind && s.Tag is not null && s.Tag == ActiveListenKey))
        {
            if (_eventFilters.TryGetValue(socket.Id, out var wanted) && !wanted.Contains(type))
            {
                continue;
            }

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
                var now = Clock.NowMilliseconds;
                if (update.LastFill is { } fill && SendTradeLite)
                {
                    await SendUserEventAsync(Json(w =>
                    {
                        w.WriteStartObject();
                        w.WriteString("e", "TRADE_LITE");
                        w.WriteNumber("E", now);
                        w.WriteNumber("T", fill.Timestamp.ToUnixTimeMilliseconds());
                        w.WriteString("s", fill.Symbol);
                        w.WriteString("q", D(update.Quantity));
                        w.WriteString("p", D(update.Price));
                        w.WriteBoolean("m", fill.IsMaker);
                        w.WriteString("c", update.ClientOrderId);
                        w.WriteString("S", update.Side == OrderSide.Buy ? "BUY" : "SELL");
                        w.WriteString("L", D(fill.Price));
                        w.WriteString("l", D(fill.Quantity));
                        w.WriteNumber("t", long.Parse(fill.TradeId, CultureInfo.InvariantCulture));
                        w.WriteNumber("i", long.Parse(update.ExchangeOrderId, CultureInfo.InvariantCulture));
                        w.WriteEndObject();
                    })).ConfigureAwait(false);
                }

                await SendUserEventAsync(OrderTradeUpdateJson(
                    update,
                    now,
                    Faults.ReportsUnknown(update.ClientOrderId, OrderField.TimeInForce) ? UnknownTimeInForce : null,
                    Faults.ReportsUnknown(update.ClientOrderId, OrderField.OrderType) ? UnknownOrderType : null,
                    Faults.ReportsUnknown(update.ClientOrderId, OrderField.Status) ? UnknownStatus : null)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>An engine order update as Binance's ORDER_TRADE_UPDATE.</summary>
    public static string OrderTradeUpdateJson(OrderUpdate update, long eventTime, string? timeInForce = null, string? orderType = null, string? status = null)
    {
        var fill = update.LastFill;
        var execution = fill is not null ? "TRADE" : update.Status switch
        {
            OrderStatus.Canceled => "CANCELED",
            OrderStatus.Expired => "EXPIRED",
            OrderStatus.Rejected => "REJECTED",
            _ => "NEW",
        };
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("e", "ORDER_TRADE_UPDATE");
            w.WriteNumber("E", eventTime);
            w.WriteNumber("T", update.UpdateTime.ToUnixTimeMilliseconds());
            w.WriteStartObject("o");
            w.WriteString("s", update.Symbol);
            w.WriteString("c", update.ClientOrderId);
            w.WriteString("S", update.Side == OrderSide.Buy ? "BUY" : "SELL");
            w.WriteString("o", orderType ?? (update.Type == OrderType.Limit ? "LIMIT" : "MARKET"));
            w.WriteString("f", timeInForce ?? TifText(update.TimeInForce));
            w.WriteString("q", D(update.Quantity));
            w.WriteString("p", D(update.Price));
            w.WriteString("ap", D(update.AveragePrice));
            w.WriteString("sp", "0");
            w.WriteString("x", execution);
            w.WriteString("X", status ?? StatusText(update.Status));
            w.WriteNumber("i", long.Parse(update.ExchangeOrderId, CultureInfo.InvariantCulture));
            w.WriteString("l", D(fill?.Quantity ?? 0));
            w.WriteString("z", D(update.FilledQuantity));
            w.WriteString("L", D(fill?.Price ?? 0));
            w.WriteString("N", fill?.FeeAsset ?? "USDT");
            w.WriteString("n", D(fill?.Fee ?? 0));
            w.WriteNumber("T", (fill?.Timestamp ?? update.UpdateTime).ToUnixTimeMilliseconds());
            w.WriteNumber("t", fill is null ? 0 : long.Parse(fill.TradeId, CultureInfo.InvariantCulture));
            w.WriteString("b", "0");
            w.WriteString("a", "0");
            w.WriteBoolean("m", fill?.IsMaker ?? false);
            w.WriteBoolean("R", update.ReduceOnly);
            w.WriteString("wt", "CONTRACT_PRICE");
            w.WriteString("ot", update.Type == OrderType.Limit ? "LIMIT" : "MARKET");
            w.WriteString("ps", "BOTH");
            w.WriteBoolean("cp", false);
            w.WriteString("rp", D(fill?.RealizedPnl ?? 0));
            w.WriteBoolean("pP", false);
            w.WriteNumber("si", 0);
            w.WriteNumber("ss", 0);
            w.WriteString("V", "NONE");
            w.WriteString("pm", "NONE");
            w.WriteNumber("gtd", 0);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private async Task PumpPositionsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var position in Engine.SubscribePositionsAsync(null, cancellationToken).ConfigureAwait(false))
            {
                var account = await Engine.GetAccountAsync(cancellationToken).ConfigureAwait(false);
                var now = Clock.NowMilliseconds;
                await SendUserEventAsync(Json(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("e", "ACCOUNT_UPDATE");
                    w.WriteNumber("E", now);
                    w.WriteNumber("T", position.UpdateTime.ToUnixTimeMilliseconds());
                    w.WriteStartObject("a");
                    w.WriteString("m", "ORDER");
                    w.WriteStartArray("B");
                    w.WriteStartObject();
                    w.WriteString("a", "USDT");
                    w.WriteString("wb", D(account.WalletBalance));
                    w.WriteString("cw", D(account.WalletBalance));
                    w.WriteString("bc", "0");
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteStartArray("P");
                    w.WriteStartObject();
                    w.WriteString("s", position.Symbol);
                    w.WriteString("pa", D(position.Size));
                    w.WriteString("ep", D(position.EntryPrice));
                    w.WriteString("bep", D(position.EntryPrice));
                    w.WriteString("cr", D(position.RealizedPnl));
                    w.WriteString("up", D(position.UnrealizedPnl));
                    w.WriteString("mt", position.MarginType);
                    w.WriteString("iw", "0");
                    w.WriteString("ps", "BOTH");
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteEndObject();
                    w.WriteEndObject();
                })).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// A market connection: <c>SUBSCRIBE</c>/<c>UNSUBSCRIBE</c> requests with ids, <c>/stream</c> combined envelopes,
    /// and one engine subscription per stream name, ended with the connection.
    /// </summary>
    private async Task MarketSessionAsync(SimSocket socket, StreamRoute route, bool envelope, CancellationToken cancellationToken)
    {
        var pumps = new ConcurrentDictionary<string, CancellationTokenSource>(StringComparer.Ordinal);
        try
        {
            while (await socket.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } text)
            {
                JsonElement id;
                string? method;
                string[] names;
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    id = doc.RootElement.TryGetProperty("id", out var idValue) ? idValue.Clone() : default;
                    method = doc.RootElement.TryGetProperty("method", out var m) ? m.GetString() : null;
                    names = doc.RootElement.TryGetProperty("params", out var ps) && ps.ValueKind == JsonValueKind.Array
                        ? [.. ps.EnumerateArray().Select(x => x.GetString() ?? "")]
                        : [];
                }
                catch (JsonException)
                {
                    await socket.SendAsync("{\"error\":{\"code\":3,\"msg\":\"Invalid JSON\"},\"id\":null}").ConfigureAwait(false);
                    continue;
                }

                var idText = id.ValueKind == JsonValueKind.Undefined ? "null" : id.GetRawText();
                if (method == "SUBSCRIBE" && names.All(IsKnownStream))
                {
                    foreach (var name in names)
                    {
                        if (RouteOf(name) != route)
                        {
                            // A stream on the other route (market-class data on /public or an unrouted legacy URL, a
                            // book stream on /market): accepted, never delivered.
                            continue;
                        }

                        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        if (pumps.TryAdd(name, cts))
                        {
                            // The pump subscribes to the engine before its first await, so the count below means "live".
                            _ = PumpMarketAsync(socket, name, envelope, cts.Token);
                        }
                        else
                        {
                            cts.Dispose();
                        }

                        CountSubscription();
                    }

                    await socket.SendAsync($"{{\"result\":null,\"id\":{idText}}}").ConfigureAwait(false);
                }
                else if (method == "UNSUBSCRIBE")
                {
                    foreach (var name in names)
                    {
                        if (pumps.TryRemove(name, out var cts))
                        {
                            await cts.CancelAsync().ConfigureAwait(false);
                            cts.Dispose();
                        }
                    }

                    await socket.SendAsync($"{{\"result\":null,\"id\":{idText}}}").ConfigureAwait(false);
                }
                else
                {
                    await socket.SendAsync($"{{\"error\":{{\"code\":2,\"msg\":\"Invalid request: invalid stream\"}},\"id\":{idText}}}").ConfigureAwait(false);
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

    private bool IsKnownStream(string name)
    {
        var at = name.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || name[..at] != name[..at].ToLowerInvariant())
        {
            return false;
        }

        var suffix = name[(at + 1)..];
        return KnownSymbols.Contains(name[..at].ToUpperInvariant()) && (suffix is "aggTrade" or "markPrice" or "bookTicker" || (suffix.StartsWith("kline_", StringComparison.Ordinal) && KlineInterval.IsValid(suffix[6..])));
    }

    /// <summary>
    /// The route that delivers a stream: the book streams on <c>/public</c>, the rest on <c>/market</c>
    /// (https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Important-WebSocket-Change-Notice:
    /// "Public (high-frequency public data)" bookTicker and depth; "Market (regular market data)" aggTrade, markPrice,
    /// kline).
    /// </summary>
    private static StreamRoute RouteOf(string name) => name.EndsWith("@bookTicker", StringComparison.Ordinal) ? StreamRoute.Public : StreamRoute.Market;

    private async Task PumpMarketAsync(SimSocket socket, string name, bool envelope, CancellationToken cancellationToken)
    {
        string Envelope(string stream, string data) => envelope ? $"{{\"stream\":\"{stream}\",\"data\":{data}}}" : data;

        var at = name.IndexOf('@', StringComparison.Ordinal);
        var symbol = name[..at].ToUpperInvariant();
        var suffix = name[(at + 1)..];
        try
        {
            if (suffix == "aggTrade")
            {
                // The fields of reference/venues/vectors/binance/binance_usdm_ws_agg_trade.json: a, p, q, f, l, T, m.
                await foreach (var trade in Engine.SubscribeTradesAsync([symbol], cancellationToken).ConfigureAwait(false))
                {
                    var id = Interlocked.Increment(ref _aggTradeId);
                    await socket.SendAsync(Envelope(name, $"{{\"e\":\"aggTrade\",\"E\":{Clock.NowMilliseconds},\"s\":\"{symbol}\",\"a\":{id},\"p\":\"{D(trade.Price)}\",\"q\":\"{D(trade.Quantity)}\",\"f\":{id},\"l\":{id},\"T\":{trade.Timestamp.ToUnixTimeMilliseconds()},\"m\":{(trade.BuyerIsMaker ? "true" : "false")}}}"), cancellationToken).ConfigureAwait(false);
                }
            }
            else if (suffix == "bookTicker")
            {
                // The fields of reference/venues/vectors/binance/binance_usdm_ws_book_ticker.json: u, E, T, s, b, B, a, A.
                await foreach (var top in Engine.SubscribeBookTopAsync([symbol], cancellationToken).ConfigureAwait(false))
                {
                    var update = Interlocked.Increment(ref _bookUpdateId);
                    await socket.SendAsync(Envelope(name, $"{{\"e\":\"bookTicker\",\"u\":{update},\"E\":{Clock.NowMilliseconds},\"T\":{top.Timestamp.ToUnixTimeMilliseconds()},\"s\":\"{symbol}\",\"b\":\"{D(top.BidPrice)}\",\"B\":\"{D(top.BidQuantity)}\",\"a\":\"{D(top.AskPrice)}\",\"A\":\"{D(top.AskQuantity)}\"}}"), cancellationToken).ConfigureAwait(false);
                }
            }
            else if (suffix == "markPrice")
            {
                await foreach (var f in Engine.SubscribeFundingRateAsync(symbol, cancellationToken).ConfigureAwait(false))
                {
                    var price = await Engine.GetLatestPriceAsync(symbol, cancellationToken).ConfigureAwait(false);
                    await socket.SendAsync(Envelope(name, $"{{\"e\":\"markPriceUpdate\",\"E\":{Clock.NowMilliseconds},\"s\":\"{symbol}\",\"p\":\"{D(price)}\",\"i\":\"{D(price)}\",\"P\":\"{D(price)}\",\"r\":\"{D(f.Rate)}\",\"T\":{f.NextFundingTime.ToUnixTimeMilliseconds()}}}"), cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                var interval = suffix[6..];
                var span = KlineInterval.ToTimeSpan(interval);
                await foreach (var c in Engine.SubscribeKlinesAsync([symbol], interval, cancellationToken).ConfigureAwait(false))
                {
                    var open = c.OpenTime.ToUnixTimeMilliseconds();
                    var data = $"{{\"e\":\"kline\",\"E\":{Clock.NowMilliseconds},\"s\":\"{symbol}\",\"k\":{{\"t\":{open},\"T\":{open + (long)span.TotalMilliseconds - 1},\"s\":\"{symbol}\",\"i\":\"{interval}\",\"f\":0,\"L\":0,\"o\":\"{D(c.Open)}\",\"c\":\"{D(c.Close)}\",\"h\":\"{D(c.High)}\",\"l\":\"{D(c.Low)}\",\"v\":\"{D(c.Volume)}\",\"n\":0,\"x\":{(c.IsClosed ? "true" : "false")},\"q\":\"{D(c.QuoteVolume)}\",\"V\":\"0\",\"Q\":\"0\",\"B\":\"0\"}}}}";
                    await socket.SendAsync(Envelope(name, data), cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Unsubscribed or disconnected.
        }
    }

    /// <summary>The <c>e</c> field of a user-data event.</summary>
    private static string EventTypeOf(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("e", out var e) ? e.GetString() ?? "" : "";
    }
}
