using System.Net;
using OpenSqt.LiveServer.Protocol;
using OpenSqt.TestSupport;

namespace OpenSqt.LiveServer.Tests;

/// <summary>Admission limits, slow browsers and a lost connector, each on a LiveServer configured for the case.</summary>
public sealed partial class LimitsTests : IAsyncLifetime
{
    private static readonly System.Text.RegularExpressions.Regex EvictedCount = EvictedCountRegex();

    private ConnectorHost _connector = null!;

    public async Task InitializeAsync() => _connector = await ConnectorHost.StartAsync();

    public async Task DisposeAsync() => await _connector.DisposeAsync();

    [Fact]
    public async Task ConnectionsBeyondTheBurstOfOneAddressAreRefusedWith429()
    {
        // A period of ten minutes: no token comes back during the test, so the burst is exactly what is allowed.
        await using var server = await LiveServerHost.StartAsync(_connector.GrpcAddress, settings: new Dictionary<string, string?>
        {
            ["LiveServer:WebSockets:ConnectionBurst"] = "3",
            ["LiveServer:WebSockets:ConnectionsPerPeriod"] = "1",
            ["LiveServer:WebSockets:RateLimitPeriod"] = "00:10:00",
        });
        var open = new List<BrowserSocket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await BrowserSocket.ConnectAsync(server.WebSocketAddress, server.Origin));
            }

            Assert.Equal(HttpStatusCode.TooManyRequests, await BrowserSocket.RefusalAsync(server.WebSocketAddress, server.Origin));

            // Closing a socket does not give the rate back: it limits how fast connections are opened.
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            Assert.Equal(HttpStatusCode.TooManyRequests, await BrowserSocket.RefusalAsync(server.WebSocketAddress, server.Origin));
        }
        finally
        {
            foreach (var socket in open)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ConnectionsBeyondTheCapAreRefusedWith503UntilOneLeaves()
    {
        await using var server = await LiveServerHost.StartAsync(_connector.GrpcAddress, settings: new Dictionary<string, string?>
        {
            ["LiveServer:WebSockets:MaxConnections"] = "2",
        });
        var first = await BrowserSocket.ConnectAsync(server.WebSocketAddress, server.Origin);
        await using var second = await BrowserSocket.ConnectAsync(server.WebSocketAddress, server.Origin);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await BrowserSocket.RefusalAsync(server.WebSocketAddress, server.Origin));

        await first.DisposeAsync();
        var admission = (WebSockets.WebSocketAdmission)server.Services.GetService(typeof(WebSockets.WebSocketAdmission))!;
        await Eventually.TrueAsync(() => admission.Active == 1, TimeSpan.FromSeconds(10), "the closed socket frees its slot");
        await using var third = await BrowserSocket.ConnectAsync(server.WebSocketAddress, server.Origin);
        await third.WaitForAsync(MessageTypes.Connection, _ => true, "the freed slot is usable");
    }

    [Fact]
    public async Task ListedOriginIsAcceptedAndUnlistedOnesRefused()
    {
        await using var listed = await LiveServerHost.StartAsync(_connector.GrpcAddress, settings: new Dictionary<string, string?>
        {
            ["LiveServer:WebSockets:AllowedOrigins:0"] = "https://desk.example:8443",
            ["LiveServer:WebSockets:AllowSameOrigin"] = "false",
        });
        await using (var ok = await BrowserSocket.ConnectAsync(listed.WebSocketAddress, "https://desk.example:8443"))
        {
            await ok.WaitForAsync(MessageTypes.Connection, _ => true, "the listed origin is served");
        }

        Assert.Equal(HttpStatusCode.Forbidden, await BrowserSocket.RefusalAsync(listed.WebSocketAddress, "https://desk.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await BrowserSocket.RefusalAsync(listed.WebSocketAddress, listed.Origin));
    }

    [Fact]
    public async Task BrowserThatCannotKeepUpIsDisconnectedWhileOthersKeepReceiving()
    {
        await using var server = await LiveServerHost.StartAsync(_connector.GrpcAddress, settings: new Dictionary<string, string?>
        {
            ["LiveServer:WebSockets:ClientQueueCapacity"] = "16",
        }, sendBufferBytes: 4096);
        await server.WaitUntilConnectedAsync();
        await using var fast = await BrowserSocket.ConnectAsync(server.WebSocketAddress, server.Origin);
        await using var slow = await BrowserSocket.ConnectAsync(server.WebSocketAddress, server.Origin, read: false, receiveBuffer: 1024);
        await Eventually.TrueAsync(() => server.Hub.Snapshot.Clients == 2, TimeSpan.FromSeconds(10), "both browsers joined");

        // Trade until the slow browser's socket and queue are full; the fast one must see every batch's last price.
        var price = 90_000.0m;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (server.Hub.Snapshot.Clients == 2)
        {
            Assert.False(deadline.IsCancellationRequested, "the slow browser was never disconnected");
            for (var i = 0; i < 20; i++)
            {
                price += 0.1m;
                _connector.Sim.Trade("BTCUSDT", price, 0.5m);
                _connector.Sim.Trade("ETHUSDT", 3_000.00m + (price - 90_000.0m), 0.5m);
            }

            var last = price;
            await fast.WaitForAsync(MessageTypes.Kline, m => m.GetProperty("candle").GetProperty("close").GetDecimal() == last, $"the fast browser sees {last}");
        }

        Assert.Equal(1, server.Hub.Snapshot.Clients);
        var after = price + 1m;
        _connector.Sim.Trade("BTCUSDT", after, 0.5m);
        await fast.WaitForAsync(MessageTypes.Kline, m => m.GetProperty("candle").GetProperty("close").GetDecimal() == after, "the fast browser keeps receiving after the eviction");
        Assert.False(fast.Closed);

        using var http = new HttpClient { BaseAddress = server.HttpAddress };
        await Eventually.TrueAsync(async () => EvictedCount.IsMatch(await http.GetStringAsync("/metrics")),
            TimeSpan.FromSeconds(10), "the eviction is counted");
    }

    [Fact]
    public async Task LosingTheConnectorIsToldToBrowsersAndTheStateIsReloadedWhenItReturns()
    {
        var connector = await ConnectorHost.StartAsync();
        var port = connector.GrpcPort;
        await using var server = await LiveServerHost.StartAsync(connector.GrpcAddress);
        await server.WaitUntilConnectedAsync();
        await using var browser = await BrowserSocket.ConnectAsync(server.WebSocketAddress, server.Origin);
        await browser.WaitForAsync(MessageTypes.History, _ => true, "history");

        await connector.DisposeAsync();
        await browser.WaitForAsync(MessageTypes.Connection, m => m.GetProperty("connector").GetProperty("state").GetString() == LinkStates.Disconnected,
            "the browser is told the server is cut off from the connector", TimeSpan.FromSeconds(30));

        var restarted = await ConnectorHost.StartAsync(grpcPort: port);
        try
        {
        var order = await Market.RestingBuyAsync(restarted, "BTCUSDT", 50_000.0m, 0.01m);
        await browser.WaitForAsync(MessageTypes.Connection, m => m.GetProperty("connector").GetProperty("state").GetString() == LinkStates.Connected
            && browser.OfType(MessageTypes.Connection).Any(c => c.GetProperty("connector").GetProperty("state").GetString() == LinkStates.Disconnected),
            "the browser is told the connector is back", TimeSpan.FromSeconds(60));

        // The order placed during the gap arrives with the reloaded working set, and live candles flow again.
        await browser.WaitForAsync(MessageTypes.Orders, m => m.GetProperty("orders").EnumerateArray().Any(o => o.GetProperty("orderId").GetString() == order.ExchangeOrderId),
            "the working order placed while cut off", TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () =>
        {
            restarted.Sim.Trade("BTCUSDT", 77_777.7m, 0.1m);
            await Task.Yield();
            return browser.OfType(MessageTypes.Kline).Any(m => m.GetProperty("candle").GetProperty("close").GetDecimal() == 77_777.7m);
        }, TimeSpan.FromSeconds(60), "live candles flow again after the reconnect");
        }
        finally
        {
            await restarted.DisposeAsync();
        }
    }

    [Fact]
    public async Task InvalidOptionsStopTheServerAtStartNamingTheKey()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => LiveServerHost.StartAsync(_connector.GrpcAddress, settings: new Dictionary<string, string?>
        {
            ["LiveServer:Interval"] = "7m",
        }));
        Assert.Contains("LiveServer:Interval", error.Message, StringComparison.Ordinal);

        error = await Assert.ThrowsAnyAsync<Exception>(() => LiveServerHost.StartAsync(_connector.GrpcAddress, settings: new Dictionary<string, string?>
        {
            ["LiveServer:WebSockets:AllowedOrigins:0"] = "not an origin",
        }));
        Assert.Contains("LiveServer:WebSockets:AllowedOrigins:0", error.Message, StringComparison.Ordinal);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^liveserver_websocket_clients_evicted_total(\{[^}]*\})? [1-9]", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex EvictedCountRegex();
}
