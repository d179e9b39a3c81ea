using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenSqt.Exchanges.Sim;

namespace OpenSqt.VenueSimulators.Framework;

/// <summary>What the venue-agnostic conformance suite needs from every venue simulator.</summary>
public interface IVenueSimulator : IAsyncDisposable
{
    /// <summary>The matching engine behind the protocol.</summary>
    SimExchange Engine { get; }

    SimulatorClock Clock { get; }

    Faults Faults { get; }

    RequestJournal Journal { get; }

    WindowRateLimiter RateLimiter { get; }

    string RestBaseUrl { get; }

    string WsBaseUrl { get; }

    /// <summary>WebSocket connections accepted since start (private and public).</summary>
    int ConnectionsAccepted { get; }

    /// <summary>Market-stream subscriptions received since start.</summary>
    int SubscriptionsReceived { get; }

    /// <summary>Authenticated private-stream connections open now (events reach the client only through these).</summary>
    int PrivateStreamsReady { get; }

    /// <summary>Times the venue's dead-man's switch (a cancel-all countdown, Bybit's DCP window) ran out since start; 0 on a venue without one.</summary>
    int CountdownFirings { get; }

    /// <summary>Drops every open WebSocket without a close handshake.</summary>
    Task DropAllConnectionsAsync();

    /// <summary>Ends the private stream's session the way the venue does when it expires (Binance: listenKeyExpired).</summary>
    Task ExpireSessionAsync();
}

/// <summary>
/// A simulator of a venue whose positions channel sends full snapshots: a position that closed is absent from the next
/// snapshot, it never arrives with size 0 (OKX's regular positions push, Bitget's positions channel).
/// </summary>
public interface ISnapshotPositionChannel
{
    /// <summary>Pushes the snapshot of every held position now, as the venue's next positions push would.</summary>
    Task PushPositionsSnapshotAsync();
}

/// <summary>
/// The shared host of every venue simulator: Kestrel on 127.0.0.1 with an ephemeral port, WebSockets with ping
/// frames and a pong deadline (the venue's heartbeat rule: a client that stops answering is dropped), the sim matching
/// engine on an adjustable clock, the request journal, faults, and the registry of open sockets. A venue adds its
/// routes in <see cref="MapRoutes"/>.
/// </summary>
public abstract class VenueSimulatorHost : IVenueSimulator
{
    private readonly ConcurrentDictionary<Guid, SimSocket> _sockets = new();
    private WebApplication? _app;
    private int _connections;
    private int _subscriptions;

    protected VenueSimulatorHost(IReadOnlyList<SimRateLimit> limits, SimVenueOptions? engineOptions = null)
    {
        Clock = new SimulatorClock();
        var options = engineOptions ?? new SimVenueOptions { AutoAdvance = false, HistoryMinutes = 120 };
        KnownSymbols = new HashSet<string>(options.EffectiveSymbols.Select(s => s.Symbol), StringComparer.Ordinal);
        Engine = new SimExchange(Options.Create(options), Clock);
        RateLimiter = new WindowRateLimiter(limits, Clock);
        Countdowns = new SimulatorCountdowns(Clock);
    }

    public SimExchange Engine { get; }

    /// <summary>The instruments the engine lists.</summary>
    protected IReadOnlySet<string> KnownSymbols { get; }

    public SimulatorClock Clock { get; }

    public Faults Faults { get; } = new();

    public RequestJournal Journal { get; } = new();

    public WindowRateLimiter RateLimiter { get; }

    /// <summary>The venue's cancel-all countdowns (its dead-man's switch), on <see cref="Clock"/>; stopped on dispose.</summary>
    protected SimulatorCountdowns Countdowns { get; }

    public int CountdownFirings => Countdowns.Firings;

    public string RestBaseUrl { get; private set; } = "";

    public string WsBaseUrl { get; private set; } = "";

    public int ConnectionsAccepted => Volatile.Read(ref _connections);

    public int SubscriptionsReceived => Volatile.Read(ref _subscriptions);

    public abstract int PrivateStreamsReady { get; }

    /// <summary>Ping frames the server sends, and how long it waits for the pong before dropping the client.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan PongTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The venue's forced connection lifetime.</summary>
    public TimeSpan MaxConnectionLifetime { get; set; } = TimeSpan.FromHours(24);

    protected IReadOnlyCollection<SimSocket> Sockets => [.. _sockets.Values];

    /// <summary>
    /// Sends one raw text message, as it is, on every open socket of <paramref name="kind"/> (the venue's socket kinds:
    /// "public", "private", ...): a test's garbled push, to show the client skips it and goes on.
    /// </summary>
    public async Task SendRawAsync(string kind, string text)
    {
        foreach (var socket in Sockets.Where(s => s.Kind == kind))
        {
            await socket.SendAsync(text).ConfigureAwait(false);
        }
    }

    /// <summary>Starts listening on loopback.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();

        // A simulator takes no configuration: an appsettings.json beside the test assembly (Kestrel endpoints of the
        // service under test) must not move it off its ephemeral loopback port.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseWebSockets();
        MapRoutes(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        RestBaseUrl = $"http://127.0.0.1:{port}";
        WsBaseUrl = $"ws://127.0.0.1:{port}";
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        await DropAllConnectionsAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        Countdowns.Dispose();
        await OnDisposeAsync().ConfigureAwait(false);
        await Engine.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    public Task DropAllConnectionsAsync()
    {
        foreach (var socket in _sockets.Values)
        {
            socket.Abort();
        }

        return Task.CompletedTask;
    }

    public abstract Task ExpireSessionAsync();

    /// <summary>Stops the venue's own background work.</summary>
    protected virtual ValueTask OnDisposeAsync() => ValueTask.CompletedTask;

    protected abstract void MapRoutes(WebApplication app);

    /// <summary>
    /// Serves one REST request: reads it whole, lets <paramref name="answer"/> (method, path, raw query, body) answer it,
    /// journals it with the status served and writes the answer with its headers.
    /// </summary>
    protected async Task ServeRestAsync(Microsoft.AspNetCore.Http.HttpContext context, Func<Microsoft.AspNetCore.Http.HttpContext, string, string, string, string, Task<RestAnswer>> answer)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(answer);
        var request = context.Request;
        var path = request.Path.Value ?? "";
        var rawQuery = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        var served = await answer(context, request.Method, path, rawQuery, body).ConfigureAwait(false);
        Journal.Add(new RecordedRequest(request.Method, path, rawQuery, body, served.Status));
        context.Response.StatusCode = served.Status;
        foreach (var (name, value) in served.Headers)
        {
            context.Response.Headers[name] = value;
        }

        context.Response.ContentType = ContentTypeOf(served);
        await Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(context.Response, served.Body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The content type of a REST answer: JSON unless the venue answers some refusals as text.</summary>
    protected virtual string ContentTypeOf(RestAnswer answer) => "application/json";

    protected void CountSubscription() => Interlocked.Increment(ref _subscriptions);

    /// <summary>
    /// Accepts a WebSocket with the venue's heartbeat (server pings, pong deadline), registers it, runs
    /// <paramref name="session"/> until either side ends it or the forced lifetime passes, then unregisters it.
    /// </summary>
    protected async Task RunSocketAsync(Microsoft.AspNetCore.Http.HttpContext context, string kind, Func<SimSocket, CancellationToken, Task> session)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        var ws = await context.WebSockets.AcceptWebSocketAsync(new Microsoft.AspNetCore.Http.WebSocketAcceptContext
        {
            KeepAliveInterval = PingInterval,
            KeepAliveTimeout = PongTimeout,
        }).ConfigureAwait(false);
        Interlocked.Increment(ref _connections);
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        lifetime.CancelAfter(MaxConnectionLifetime);
        var socket = new SimSocket(ws, kind, lifetime);
        _sockets[socket.Id] = socket;
        try
        {
            await session(socket, lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The client left, the heartbeat failed or the lifetime passed.
        }
        finally
        {
            _sockets.TryRemove(socket.Id, out _);
            socket.Abort();
        }
    }
}

/// <summary>One open simulator WebSocket; sends are serialised.</summary>
public sealed class SimSocket(WebSocket socket, string kind, CancellationTokenSource lifetime)
{
    private readonly SemaphoreSlim _send = new(1, 1);

    public Guid Id { get; } = Guid.NewGuid();

    public string Kind { get; } = kind;

    /// <summary>Venue-specific state (a listen key, a login).</summary>
    public string? Tag { get; set; }

    public WebSocket Socket { get; } = socket;

    public async Task SendAsync(string text, CancellationToken cancellationToken = default)
    {
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                await Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client is gone.
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>Reads one text message, or null when the socket closed.</summary>
    public async Task<string?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        using var text = new MemoryStream();
        while (true)
        {
            var result = await Socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            text.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(text.ToArray());
            }
        }
    }

    /// <summary>Ends the connection abruptly (no close handshake).</summary>
    public void Abort()
    {
        try
        {
            lifetime.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }

        Socket.Abort();
    }

    /// <summary>Closes the connection with a close frame, as the venue does on expiry.</summary>
    public async Task CloseAsync(string reason)
    {
        try
        {
            await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Already gone.
        }

        Abort();
    }
}
