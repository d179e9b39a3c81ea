using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;
using OpenSqt.TestSupport;

namespace OpenSqt.Exchanges.Tests.Common;

/// <summary>The shared WebSocket base against a bare loopback server: no-data timeout, text heartbeats, resubscribe.</summary>
public sealed class VenueWebSocketTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>A server that answers "ping" with "pong", counts what it receives, and otherwise stays silent.</summary>
    private sealed class SilentServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _received;
        private int _pings;

        private SilentServer(WebApplication app) => _app = app;

        public Uri Url { get; private set; } = null!;

        public int Received => Volatile.Read(ref _received);

        public int Pings => Volatile.Read(ref _pings);

        public static async Task<SilentServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Configuration.Sources.Clear();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var server = new SilentServer(app);
            app.UseWebSockets();
            app.Map("/ws", server.SessionAsync);
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            server.Url = new Uri($"ws://127.0.0.1:{new Uri(address).Port}/ws");
            return server;
        }

        private async Task SessionAsync(HttpContext context)
        {
            using var ws = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1024];
            try
            {
                while (true)
                {
                    var result = await ws.ReceiveAsync(buffer, context.RequestAborted);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    var text = Encoding.UTF8.GetString(buffer, 0, result.Count);
                    if (text == "ping")
                    {
                        Interlocked.Increment(ref _pings);
                        await ws.SendAsync("pong"u8.ToArray(), WebSocketMessageType.Text, true, context.RequestAborted);
                    }
                    else
                    {
                        Interlocked.Increment(ref _received);
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The client went away.
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task SilenceBeyondTheNoDataTimeoutReconnectsAndResubscribes()
    {
        await using var server = await SilentServer.StartAsync();
        var reconnects = new List<StreamReconnectedEventArgs>();
        await using var socket = new VenueWebSocket("test", new VenueWebSocketSettings
        {
            Name = "market",
            ResolveUri = _ => ValueTask.FromResult(server.Url),
            OnConnected = (connection, ct) => connection.SendTextAsync("{\"op\":\"subscribe\"}", ct),
            OnMessage = _ => { },
            NoDataTimeout = TimeSpan.FromMilliseconds(300),
            InitialBackoff = TimeSpan.FromMilliseconds(10),
        }, TimeProvider.System, NullLogger.Instance, new VenueMetrics());
        socket.Reconnected += (_, e) =>
        {
            lock (reconnects)
            {
                reconnects.Add(e);
            }
        };
        socket.Start();
        await Eventually.TrueAsync(() => socket.Connections >= 3, Timeout, "two reconnects after silences");
        await Eventually.TrueAsync(() => server.Received >= 3, Timeout, "every connection subscribed again");
        lock (reconnects)
        {
            Assert.True(reconnects.Count >= 2);
            Assert.All(reconnects, r => Assert.Equal("market", r.Stream));
        }
    }

    [Fact]
    public async Task WatchdogWaitsWhileNoDataIsDueAndFiresOnceDataIsDue()
    {
        await using var server = await SilentServer.StartAsync();
        var noData = TimeSpan.FromSeconds(5);
        var time = new TimerCountingTimeProvider(noData);
        var expecting = false;
        await using var socket = new VenueWebSocket("test", new VenueWebSocketSettings
        {
            Name = "market",
            ResolveUri = _ => ValueTask.FromResult(server.Url),
            OnMessage = _ => { },
            NoDataTimeout = noData,
            ExpectsData = () => Volatile.Read(ref expecting),
            InitialBackoff = TimeSpan.FromMilliseconds(10),
        }, time, NullLogger.Instance, new VenueMetrics());
        socket.Start();
        await Eventually.TrueAsync(() => socket.Connections == 1 && time.Counted >= 1, Timeout, "connected, the watchdog armed");

        // Nothing is due (no subscriptions): the silence passes and the watchdog only arms again.
        time.Advance(noData);
        await Eventually.TrueAsync(() => time.Counted >= 2, Timeout, "the watchdog armed again");
        Assert.Equal(1, socket.Connections);

        // Data is due now: the next silence of the full timeout reconnects.
        Volatile.Write(ref expecting, true);
        time.Advance(noData);
        await Eventually.TrueAsync(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            return socket.Connections >= 2;
        }, Timeout, "the silent socket was replaced");
    }

    /// <summary>A fake clock that counts the timers of one length (the watchdog's wait).</summary>
    private sealed class TimerCountingTimeProvider(TimeSpan counted) : Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero))
    {
        private int _counted;

        public int Counted => Volatile.Read(ref _counted);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime == counted)
            {
                Interlocked.Increment(ref _counted);
            }

            return base.CreateTimer(callback, state, dueTime, period);
        }
    }

    [Fact]
    public async Task TextHeartbeatKeepsASilentConnectionAliveAndPongsAreNotData()
    {
        await using var server = await SilentServer.StartAsync();
        var messages = 0;
        await using var socket = new VenueWebSocket("test", new VenueWebSocketSettings
        {
            Name = "private",
            ResolveUri = _ => ValueTask.FromResult(server.Url),
            OnMessage = _ => Interlocked.Increment(ref messages),
            Heartbeat = new HeartbeatRule { TextPing = "ping", TextPingInterval = TimeSpan.FromMilliseconds(100), IsPong = m => m.Span.SequenceEqual("pong"u8) },
            // Generous against a loaded test machine: only a three-second stall of every pong would trip it.
            NoDataTimeout = TimeSpan.FromSeconds(3),
        }, TimeProvider.System, NullLogger.Instance, new VenueMetrics());
        socket.Start();
        await Eventually.TrueAsync(() => server.Pings >= 50, Timeout, "fifty pings answered, two seconds past the no-data timeout");
        Assert.Equal(1, socket.Connections);
        Assert.Equal(0, Volatile.Read(ref messages));
    }
}
