using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenSqt.LiveServer.Protocol;
using OpenSqt.TestSupport;

namespace OpenSqt.LiveServer.Tests;

public sealed class LiveWebSocketTests(LiveServerFixture fixture) : IClassFixture<LiveServerFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private LiveServerHost Server => fixture.Server;

    private ConnectorHost Connector => fixture.Connector;

    private static string Type(JsonElement m) => m.GetProperty("type").GetString()!;

    private static string Str(JsonElement m, string name) => m.GetProperty(name).GetString()!;

    private static bool HasOrder(JsonElement orders, string orderId, string status) =>
        orders.GetProperty("orders").EnumerateArray().Any(o => Str(o, "orderId") == orderId && Str(o, "status") == status);

    [Fact]
    public async Task NewBrowserGetsCurrentStateAndHistoryAtConnect()
    {
        Connector.Sim.Trade("ETHUSDT", 3400.00m, 1m);
        var order = await Market.RestingBuyAsync(Connector, "ETHUSDT", 3000.00m, 0.01m);
        await Eventually.TrueAsync(() => Server.Hub.Snapshot.Symbols.Count == 2, Wait, "symbols are known");

        // Let the hub see the order before this browser connects: then it must come in the snapshot.
        await using (var watcher = await BrowserSocket.ConnectAsync(Server.WebSocketAddress, Server.Origin))
        {
            await watcher.WaitForAsync(MessageTypes.Orders, m => HasOrder(m, order.ExchangeOrderId, "NEW"), "the order reached the hub");
        }

        await using var browser = await BrowserSocket.ConnectAsync(Server.WebSocketAddress, Server.Origin);
        var connection = await browser.WaitForAsync(MessageTypes.Connection, _ => true, "the connection status");
        Assert.Equal("sim", Str(connection, "venue"));
        Assert.Equal(["BTCUSDT", "ETHUSDT"], connection.GetProperty("symbols").EnumerateArray().Select(s => s.GetString()!).ToArray());
        Assert.Equal(LinkStates.Connected, Str(connection.GetProperty("connector"), "state"));

        var history = await browser.WaitForAsync(MessageTypes.History, m => Str(m, "symbol") == "ETHUSDT", "ETHUSDT history");
        var candles = history.GetProperty("candles").EnumerateArray().ToArray();
        Assert.InRange(candles.Length, 100, 120);
        var times = candles.Select(c => c.GetProperty("time").GetInt64()).ToArray();
        Assert.Equal(times.Order(), times);
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.Equal(60, pair.Second - pair.First));

        // Unix seconds, the chart's unit: within a day of now, not milliseconds.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(times[^1], now - 86_400, now + 60);

        var snapshot = await browser.WaitForAsync(MessageTypes.Orders, m => Str(m, "symbol") == "ETHUSDT" && m.GetProperty("snapshot").GetBoolean(), "ETHUSDT working orders");
        Assert.True(HasOrder(snapshot, order.ExchangeOrderId, "NEW"), BrowserSocket.Text(snapshot));
        var line = snapshot.GetProperty("orders").EnumerateArray().Single(o => Str(o, "orderId") == order.ExchangeOrderId);
        Assert.Equal("BUY", Str(line, "side"));
        Assert.Equal(3000.00m, line.GetProperty("price").GetDecimal());
        Assert.Equal(0.01m, line.GetProperty("quantity").GetDecimal());

        var account = await browser.WaitForAsync(MessageTypes.Account, _ => true, "the account");
        var venueAccount = await Connector.Exchange.GetAccountAsync();
        Assert.Equal(venueAccount.WalletBalance, account.GetProperty("walletBalance").GetDecimal());
        await browser.WaitForAsync(MessageTypes.RiskStatus, m => Str(m, "symbol") == "ETHUSDT", "ETHUSDT risk status");

        await Connector.Exchange.CancelOrderAsync("ETHUSDT", Contracts.OrderRef.ByExchangeId(order.ExchangeOrderId));
    }

    [Fact]
    public async Task WorkingOrderIsShownThenRemovedWhenFilledAndTheFillBecomesATradeEvent()
    {
        await using var browser = await BrowserSocket.ConnectAsync(Server.WebSocketAddress, Server.Origin);
        await browser.WaitForAsync(MessageTypes.History, m => Str(m, "symbol") == "BTCUSDT", "BTCUSDT history");
        Connector.Sim.Trade("BTCUSDT", 95_000.0m, 1m);
        var buy = await Market.RestingBuyAsync(Connector, "BTCUSDT", 94_000.0m, 0.01m);

        var added = await browser.WaitForAsync(MessageTypes.Orders, m => HasOrder(m, buy.ExchangeOrderId, "NEW"), "the working buy");
        Assert.Equal("BTCUSDT", Str(added, "symbol"));

        Connector.Sim.Trade("BTCUSDT", 93_900.0m, 5m);
        var fill = await browser.WaitForAsync(MessageTypes.TradeEvent, m => Str(m.GetProperty("fill"), "orderId") == buy.ExchangeOrderId, "the fill");
        Assert.Equal("BUY", Str(fill.GetProperty("fill"), "side"));
        Assert.Equal(94_000.0m, fill.GetProperty("fill").GetProperty("price").GetDecimal());
        Assert.True(fill.GetProperty("buyCount").GetInt32() >= 1);
        var fillTime = fill.GetProperty("fill").GetProperty("time").GetInt64();
        Assert.Equal(fillTime - (fillTime % 60), fill.GetProperty("fill").GetProperty("barTime").GetInt64());

        await browser.WaitForAsync(MessageTypes.Orders, m => HasOrder(m, buy.ExchangeOrderId, "FILLED"), "the filled order leaving the working set");

        // A browser that connects now sees the fill in the history and no longer sees the order as working.
        await using var late = await BrowserSocket.ConnectAsync(Server.WebSocketAddress, Server.Origin);
        var history = await late.WaitForAsync(MessageTypes.History, m => Str(m, "symbol") == "BTCUSDT", "BTCUSDT history");
        Assert.Contains(history.GetProperty("fills").EnumerateArray(), f => Str(f, "orderId") == buy.ExchangeOrderId);
        var working = await late.WaitForAsync(MessageTypes.Orders, m => Str(m, "symbol") == "BTCUSDT", "BTCUSDT working orders");
        Assert.DoesNotContain(working.GetProperty("orders").EnumerateArray(), o => Str(o, "orderId") == buy.ExchangeOrderId);
    }

    [Fact]
    public async Task CancelledOrderIsRemoved()
    {
        await using var browser = await BrowserSocket.ConnectAsync(Server.WebSocketAddress, Server.Origin);
        Connector.Sim.Trade("BTCUSDT", 95_000.0m, 1m);
        var sell = await Market.RestingSellAsync(Connector, "BTCUSDT", 99_000.0m, 0.01m);
        await browser.WaitForAsync(MessageTypes.Orders, m => HasOrder(m, sell.ExchangeOrderId, "NEW"), "the working sell");
        await Connector.Exchange.CancelOrderAsync("BTCUSDT", Contracts.OrderRef.ByExchangeId(sell.ExchangeOrderId));
        await browser.WaitForAsync(MessageTypes.Orders, m => HasOrder(m, sell.ExchangeOrderId, "CANCELED"), "the cancel");
    }

    [Fact]
    public async Task EveryMessageTypeMatchesTheDocumentedSchema()
    {
        await using var browser = await BrowserSocket.ConnectAsync(Server.WebSocketAddress, Server.Origin);
        await browser.WaitForAsync(MessageTypes.History, _ => true, "history");
        Connector.Sim.Trade("BTCUSDT", 95_000.0m, 1m);
        var buy = await Market.RestingBuyAsync(Connector, "BTCUSDT", 94_500.0m, 0.01m);
        Connector.Sim.Trade("BTCUSDT", 94_400.0m, 5m);
        await browser.WaitForAsync(MessageTypes.TradeEvent, m => Str(m.GetProperty("fill"), "orderId") == buy.ExchangeOrderId, "the fill");
        await browser.WaitForAsync(MessageTypes.Kline, _ => true, "a live candle");
        await browser.WaitForAsync(MessageTypes.Position, m => m.GetProperty("size").GetDecimal() != 0, "the position after the fill");

        foreach (var type in MessageTypes.All)
        {
            Assert.True(browser.OfType(type).Any(), $"no {type} message received");
        }

        var problems = browser.Messages.Select(MessageSchema.Check).OfType<string>().ToArray();
        Assert.True(problems.Length == 0, string.Join(Environment.NewLine, problems.Take(5)));

        // And the schema is strict enough to catch a page/server disagreement on names and units.
        using var wrongSide = JsonDocument.Parse("""{"type":"orders","symbol":"BTCUSDT","snapshot":false,"orders":[{"orderId":"1","clientOrderId":null,"side":"ORDER_SIDE_BUY","type":"LIMIT","status":"NEW","price":1,"quantity":1,"filledQuantity":0,"time":1}]}""");
        Assert.NotNull(MessageSchema.Check(wrongSide.RootElement));
        using var stringPrice = JsonDocument.Parse("""{"type":"kline","symbol":"BTCUSDT","interval":"1m","candle":{"time":1,"open":"1","high":1,"low":1,"close":1,"volume":1},"closed":false}""");
        Assert.NotNull(MessageSchema.Check(stringPrice.RootElement));
    }

    [Fact]
    public async Task ForeignOriginIsRefusedWith403WhileThePagesOwnOriginIsAccepted()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await BrowserSocket.RefusalAsync(Server.WebSocketAddress, "http://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await BrowserSocket.RefusalAsync(Server.WebSocketAddress, $"http://127.0.0.1:{Server.Port + 1}"));
        await using var own = await BrowserSocket.ConnectAsync(Server.WebSocketAddress, Server.Origin);
        await own.WaitForAsync(MessageTypes.Connection, _ => true, "the page's own origin is served");
    }

    [Fact]
    public async Task EngineUnavailableIsReportedNotInvented()
    {
        await Eventually.TrueAsync(() => Server.Hub.Snapshot.Engine.State == LinkStates.Unavailable, Wait, "the missing engine is noticed");
        await using var browser = await BrowserSocket.ConnectAsync(Server.WebSocketAddress, Server.Origin);
        var connection = await browser.WaitForAsync(MessageTypes.Connection, _ => true, "the connection status");
        var engine = connection.GetProperty("engine");
        Assert.Equal(LinkStates.Unavailable, Str(engine, "state"));
        Assert.Contains("unreachable", Str(engine, "detail"), StringComparison.Ordinal);

        var risk = await browser.WaitForAsync(MessageTypes.RiskStatus, m => Str(m, "symbol") == "BTCUSDT", "the risk status");
        Assert.Equal("UNAVAILABLE", Str(risk, "engine"));
        Assert.Equal(RiskStates.Unknown, Str(risk, "state"));
        Assert.StartsWith("engine unavailable", Str(risk, "reason"), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, risk.GetProperty("realizedPnl").ValueKind);
        Assert.Equal(JsonValueKind.Null, risk.GetProperty("circuitBreaker").ValueKind);
        Assert.DoesNotContain(browser.OfType(MessageTypes.Position), p => Str(p, "source") == "engine");
    }

    [Fact]
    public async Task MetricsCountConnectionsRejectionsAndMessagesSent()
    {
        await BrowserSocket.RefusalAsync(Server.WebSocketAddress, "http://evil.example");
        await using var browser = await BrowserSocket.ConnectAsync(Server.WebSocketAddress, Server.Origin);
        await browser.WaitForAsync(MessageTypes.History, _ => true, "history");
        using var http = new HttpClient { BaseAddress = Server.HttpAddress };
        string metrics = "";
        await Eventually.TrueAsync(async () =>
        {
            metrics = await http.GetStringAsync("/metrics");
            return metrics.Contains("liveserver_websocket_connections_rejected_total{", StringComparison.Ordinal)
                && metrics.Contains("liveserver_websocket_messages_sent_total", StringComparison.Ordinal)
                && metrics.Contains("liveserver_websocket_connections_active", StringComparison.Ordinal);
        }, Wait, "the metrics are exported");
        Assert.Contains("reason=\"origin\"", metrics, StringComparison.Ordinal);
        var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("connector", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);
    }

    [Fact]
    public void NoRouteCanPlaceOrCancelOrders()
    {
        var endpoints = Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToArray();
        Assert.NotEmpty(endpoints);
        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [];
            var pattern = endpoint.RoutePattern.RawText ?? "";
            var readOnlyDefaults = pattern is "/ws" or "/health" or "/alive" or "/metrics";
            Assert.True(readOnlyDefaults || (methods.Count > 0 && methods.All(m => m is "GET" or "HEAD")), $"{pattern} accepts {string.Join(",", methods)}");
            Assert.DoesNotContain("order", pattern, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task PageAndChartLibraryAreServedLocally()
    {
        using var http = new HttpClient { BaseAddress = Server.HttpAddress };
        var page = await http.GetStringAsync("/");
        Assert.Contains("lib/lightweight-charts/lightweight-charts.standalone.production.js", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);
        var library = await http.GetStringAsync("/lib/lightweight-charts/lightweight-charts.standalone.production.js");
        using var lockFile = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "package-lock.json")));
        var locked = lockFile.RootElement.GetProperty("packages").GetProperty("node_modules/lightweight-charts").GetProperty("version").GetString();
        Assert.Contains($"Lightweight Charts™ v{locked}", library, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/lib/lightweight-charts/LICENSE.txt")).StatusCode);
    }
}
