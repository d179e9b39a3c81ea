using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OpenSqt.Benchmarks.Connector;
using OpenSqt.LiveServer.Extensions;
using OpenSqt.TestSupport;

namespace OpenSqt.Benchmarks.LiveServer;

/// <summary>
/// LiveServer fan-out latency: the real connector on the sim and the real LiveServer on loopback, N browsers on their
/// own WebSockets. Each event is one trade printed on the sim at a unique price; the latency of a sample is from just
/// before the trade to the moment one browser has read the kline message carrying that price (sim, connector stream,
/// gRPC, LiveServer hub, WebSocket). Everything shares this process and its cores, so the figures include the clients'
/// own parsing. Usage: liveserver-fanout [browsers=100] [events=2000] [gap-ms=10]
/// </summary>
internal static class LiveServerFanOutHarness
{
    private const int Warmup = 200;

    public static async Task RunAsync(string[] args)
    {
        var browsers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        var events = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
        var gap = TimeSpan.FromMilliseconds(args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10);

        await using var connector = await ConnectorHost.StartAsync();
        var port = ConnectorHost.FreePort();
        var app = BuildLiveServer(connector, port);
        await app.StartAsync();
        try
        {
            var sent = new ConcurrentDictionary<decimal, long>();
            var measuring = new ConcurrentDictionary<decimal, bool>();
            var samples = new Percentiles(browsers * events);
            var gate = new Lock();
            var received = new int[browsers];
            using var stop = new CancellationTokenSource();
            var sockets = new List<ClientWebSocket>();
            var readers = new List<Task>();
            for (var b = 0; b < browsers; b++)
            {
                var socket = new ClientWebSocket();
                await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), CancellationToken.None);
                sockets.Add(socket);
                var index = b;
                readers.Add(Task.Run(() => ReadAsync(socket, price =>
                {
                    var now = Stopwatch.GetTimestamp();
                    if (sent.TryGetValue(price, out var start) && measuring.ContainsKey(price))
                    {
                        lock (gate)
                        {
                            samples.Add(now - start);
                        }

                        Interlocked.Increment(ref received[index]);
                    }
                }, stop.Token)));
            }

            // Wait until the server has the connector's state and every browser joined.
            var hub = (OpenSqt.LiveServer.Hub.LiveHub)app.Services.GetService(typeof(OpenSqt.LiveServer.Hub.LiveHub))!;
            while (hub.Snapshot.Clients < browsers || hub.Snapshot.Connector.State != OpenSqt.LiveServer.Protocol.LinkStates.Connected)
            {
                await Task.Delay(50);
            }

            Console.WriteLine($"{browsers} browsers, {events} events (+{Warmup} warm-up), one every {gap.TotalMilliseconds} ms");
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < events + Warmup; i++)
            {
                var price = 80_000.0m + (i * 0.1m);
                if (i >= Warmup)
                {
                    measuring[price] = true;
                }

                sent[price] = Stopwatch.GetTimestamp();
                connector.Sim.Trade("BTCUSDT", price, 0.001m);
                await Task.Delay(gap);
            }

            var expected = (long)browsers * events;
            var deadline = Stopwatch.StartNew();
            while (received.Sum() < expected && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }

            var got = received.Sum();
            Console.WriteLine($"samples {got} of {expected} ({expected - got} not delivered, e.g. conflated by the connector's latest-value kline buffer), run {clock.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"event -> browser latency: {samples.Summary()}");
            Console.WriteLine($"p99 = {samples.Micros(99) / 1000:F2} ms (target <= 20 ms)");
            await stop.CancelAsync();
            foreach (var socket in sockets)
            {
                socket.Abort();
                socket.Dispose();
            }

            await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static WebApplication BuildLiveServer(ConnectorHost connector, int port)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Benchmark" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{port}",
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            ["services:connector:grpc:0"] = connector.GrpcAddress.ToString(),
            ["services:marketmaker:grpc:0"] = $"http://127.0.0.1:{ConnectorHost.FreePort()}",
            ["LiveServer:Symbols:0"] = "BTCUSDT",
            ["LiveServer:WebSockets:ConnectionBurst"] = "10000",
            ["LiveServer:WebSockets:ConnectionsPerPeriod"] = "10000",
            ["Logging:LogLevel:Default"] = "Error",
        });
        builder.AddServiceDefaults();
        builder.AddLiveServer();
        var app = builder.Build();
        app.MapLiveServer();
        return app;
    }

    private static async Task ReadAsync(ClientWebSocket socket, Action<decimal> onKline, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        var length = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                length += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                using (var doc = JsonDocument.Parse(buffer.AsMemory(0, length)))
                {
                    var root = doc.RootElement;
                    if (root.GetProperty("type").ValueEquals("kline"u8))
                    {
                        onKline(root.GetProperty("candle").GetProperty("close").GetDecimal());
                    }
                }

                length = 0;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Stopped.
        }
    }
}
