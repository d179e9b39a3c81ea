using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts;

namespace OpenSqt.Exchanges.Common;

/// <summary>A venue's heartbeat rule.</summary>
internal sealed record HeartbeatRule
{
    /// <summary>
    /// Protocol-level pings (Binance sends ping frames and expects pongs; <see cref="ClientWebSocket"/> answers them by
    /// itself). When set, the client also pings every interval and drops the connection when no pong arrives within
    /// <see cref="PingFrameTimeout"/>.
    /// </summary>
    public TimeSpan? PingFrameInterval { get; init; }

    public TimeSpan PingFrameTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A text ping the venue wants from the client (Bybit <c>{"op":"ping"}</c>, OKX <c>ping</c>), or null.</summary>
    public string? TextPing { get; init; }

    public TimeSpan TextPingInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Recognises the venue's answer to <see cref="TextPing"/>, which is then not passed on as data.</summary>
    public Func<ReadOnlyMemory<byte>, bool>? IsPong { get; init; }

    /// <summary>Binance futures: the server pings every 3 minutes and drops clients that stay silent for 10.</summary>
    public static HeartbeatRule PingFrames(TimeSpan interval, TimeSpan timeout) => new() { PingFrameInterval = interval, PingFrameTimeout = timeout };
}

/// <summary>How one venue WebSocket connection behaves.</summary>
internal sealed record VenueWebSocketSettings
{
    /// <summary>Stream name for logs, metrics and <see cref="StreamReconnectedEventArgs"/> ("orders", "market").</summary>
    public required string Name { get; init; }

    /// <summary>Where to connect; called before every connect (a listen key may have changed).</summary>
    public required Func<CancellationToken, ValueTask<Uri>> ResolveUri { get; init; }

    /// <summary>Called on every new connection before it is used: login and (re)subscribe here.</summary>
    public Func<VenueWebSocketConnection, CancellationToken, Task>? OnConnected { get; init; }

    /// <summary>Called for every complete text message, in order, on the receive loop.</summary>
    public required Action<ReadOnlyMemory<byte>> OnMessage { get; init; }

    public HeartbeatRule Heartbeat { get; init; } = new();

    /// <summary>
    /// The no-data watchdog: reconnect when no message arrived for this long (a socket that is open but delivers nothing
    /// is as dead as a closed one); null to rely on the heartbeat only.
    /// </summary>
    public TimeSpan? NoDataTimeout { get; init; }

    /// <summary>
    /// Whether data is due now (for example: the socket has subscriptions). While it answers false the watchdog
    /// does not fire and silence counts from the moment it turns true. Null means data is always due.
    /// </summary>
    public Func<bool>? ExpectsData { get; init; }

    /// <summary>The venue's forced connection lifetime (Binance 24 h); the connection is rotated before it.</summary>
    public TimeSpan? MaxLifetime { get; init; }

    /// <summary>How long before <see cref="MaxLifetime"/> the rotation happens.</summary>
    public TimeSpan RotationMargin { get; init; } = TimeSpan.FromMinutes(30);

    public TimeSpan InitialBackoff { get; init; } = ReconnectBackoff.Initial;

    public TimeSpan MaxBackoff { get; init; } = ReconnectBackoff.Maximum;
}

/// <summary>One open socket, handed to <see cref="VenueWebSocketSettings.OnConnected"/> for login and subscriptions.</summary>
internal sealed class VenueWebSocketConnection(ClientWebSocket socket)
{
    private readonly SemaphoreSlim _sendGate = new(1, 1);

    internal ClientWebSocket Socket { get; } = socket;

    public Task SendTextAsync(string text, CancellationToken cancellationToken) => SendAsync(Encoding.UTF8.GetBytes(text), cancellationToken);

    public async Task SendAsync(ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken)
    {
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Socket.SendAsync(utf8, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
    }
}

/// <summary>
/// The shared WebSocket base: connects, keeps the venue's heartbeat rule, reconnects with backoff (1 s, 2 s, 4 s ...
/// 60 s) when the socket dies or goes silent past the no-data timeout, re-runs login and subscriptions on every new
/// connection, and rotates the connection (make before break) ahead of the venue's forced lifetime limit. After an
/// unplanned reconnect it raises <see cref="Reconnected"/> so the owner can reconcile what happened during the gap.
/// </summary>
internal sealed class VenueWebSocket : IAsyncDisposable
{
    /// <summary>How long a rotated-out connection is read for what it still carries before it is dropped.</summary>
    private static readonly TimeSpan RotationDrain = TimeSpan.FromSeconds(5);

    private int _disposed;
    private readonly VenueWebSocketSettings _settings;
    private readonly string _venue;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly VenueMetrics _metrics;
    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenSource? _forceReconnect;
    private Task? _loop;
    private VenueWebSocketConnection? _current;
    private int _connections;

    public VenueWebSocket(string venue, VenueWebSocketSettings settings, TimeProvider time, ILogger logger, VenueMetrics metrics)
    {
        _venue = venue;
        _settings = settings;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>Raised after the connection came back following an unplanned drop.</summary>
    public event EventHandler<StreamReconnectedEventArgs>? Reconnected;

    /// <summary>Connections opened so far (for diagnostics and tests).</summary>
    public int Connections => Volatile.Read(ref _connections);

    public bool IsConnected => _current?.Socket.State == WebSocketState.Open;

    /// <summary>Starts the connection loop. Idempotent.</summary>
    public void Start()
    {
        _loop ??= RunAsync(_stop.Token);
    }

    /// <summary>Drops the current connection and connects again at once (for example after a listen key expired).</summary>
    public void ForceReconnect() => _forceReconnect?.Cancel();

    /// <summary>Sends on the current connection; fails when there is none.</summary>
    public Task SendTextAsync(string text, CancellationToken cancellationToken) =>
        _current is { } connection
            ? connection.SendTextAsync(text, cancellationToken)
            : throw new ExchangeException(ExchangeErrorKind.Unavailable, $"{_venue} {_settings.Name} stream is not connected");

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var failures = 0;
        DateTimeOffset? downSince = null;
        VenueWebSocketConnection? carried = null;
        while (!stop.IsCancellationRequested)
        {
            VenueWebSocketConnection socket;
            try
            {
                socket = carried ?? await ConnectAsync(stop).ConfigureAwait(false);
                carried = null;
            }
            catch (Exception ex)
            {
                if (stop.IsCancellationRequested)
                {
                    // Stopping: a connect that fails because (or while) we stop is not an error of the stream.
                    return;
                }

                failures++;
                downSince ??= _time.GetUtcNow();
                var delay = ReconnectBackoff.Delay(failures, _settings.InitialBackoff, _settings.MaxBackoff);
                VenueLog.WebSocketConnectFailed(_logger, _venue, _settings.Name, failures, delay.TotalSeconds, ex.Message);
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                continue;
            }

            if (downSince is { } since)
            {
                var downtime = _time.GetUtcNow() - since;
                _metrics.RecordReconnect(_venue, _settings.Name);
                VenueLog.WebSocketReconnected(_logger, _venue, _settings.Name, failures + 1, downtime.TotalSeconds);
                Reconnected?.Invoke(this, new StreamReconnectedEventArgs(_settings.Name, failures + 1, downtime));
            }

            failures = 0;
            downSince = null;
            var outcome = await ReceiveAsync(socket, stop).ConfigureAwait(false);
            if (outcome.Rotated is { } next)
            {
                carried = next;
                continue;
            }

            if (!stop.IsCancellationRequested)
            {
                downSince = _time.GetUtcNow();
                failures = outcome.Forced ? 0 : 1;
                VenueLog.WebSocketDropped(_logger, _venue, _settings.Name, outcome.Reason);
                if (!outcome.Forced)
                {
                    await Task.Delay(ReconnectBackoff.Delay(1, _settings.InitialBackoff, _settings.MaxBackoff), _time, stop).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Opens a socket, makes it current (so subscriptions added from now on are sent on it) and runs the venue's
    /// login and subscriptions on it.
    /// </summary>
    private async Task<VenueWebSocketConnection> ConnectAsync(CancellationToken stop)
    {
        var uri = await _settings.ResolveUri(stop).ConfigureAwait(false);
        var socket = new ClientWebSocket();
        if (_settings.Heartbeat.PingFrameInterval is { } interval)
        {
            socket.Options.KeepAliveInterval = interval;
            socket.Options.KeepAliveTimeout = _settings.Heartbeat.PingFrameTimeout;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            await socket.ConnectAsync(uri, timeout.Token).ConfigureAwait(false);
            var connection = new VenueWebSocketConnection(socket);
            _current = connection;
            if (_settings.OnConnected is { } onConnected)
            {
                await onConnected(connection, timeout.Token).ConfigureAwait(false);
            }

            Interlocked.Increment(ref _connections);
            VenueLog.WebSocketConnected(_logger, _venue, _settings.Name);
            return connection;
        }
        catch
        {
            if (_current?.Socket == socket)
            {
                _current = null;
            }

            socket.Abort();
            socket.Dispose();
            throw;
        }
    }

    private async Task<ReceiveOutcome> ReceiveAsync(VenueWebSocketConnection connection, CancellationToken stop)
    {
        var socket = connection.Socket;
        using var force = CancellationTokenSource.CreateLinkedTokenSource(stop);
        _forceReconnect = force;
        var openedAt = _time.GetUtcNow();
        var lastData = _time.GetTimestamp();
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        var pinger = _settings.Heartbeat.TextPing is { } ping ? PingLoopAsync(connection, ping, force.Token) : Task.CompletedTask;
        Task<VenueWebSocketConnection?>? rotation = null;

        // After a rotation the old connection is closed from this side and read until its close arrives, so what the venue
        // sent on it before the new one took over is handled, not dropped with the receive left pending.
        VenueWebSocketConnection? rotated = null;
        var drainUntil = DateTimeOffset.MaxValue;

        // The receive stays pending across deadlines: cancelling a ClientWebSocket receive aborts the socket, so
        // deadlines (no data, rotation) are waited for beside it instead.
        Task<ValueWebSocketReceiveResult>? pending = null;
        try
        {
            while (true)
            {
                var wait = rotated is null ? NextDeadline(openedAt, lastData) : drainUntil - _time.GetUtcNow();
                ValueWebSocketReceiveResult result;
                try
                {
                    pending ??= socket.ReceiveAsync(buffer.GetMemory(8 * 1024), force.Token).AsTask();
                    if (wait is { } w && !pending.IsCompleted)
                    {
                        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(force.Token);
                        var delay = Task.Delay(w > TimeSpan.Zero ? w : TimeSpan.Zero, _time, deadline.Token);
                        var first = await Task.WhenAny(pending, delay).ConfigureAwait(false);
                        await deadline.CancelAsync().ConfigureAwait(false);
                        if (first != pending)
                        {
                            if (rotated is not null)
                            {
                                if (_time.GetUtcNow() >= drainUntil)
                                {
                                    return new ReceiveOutcome("rotated before the lifetime limit", true, rotated);
                                }

                                continue;
                            }

                            if (_settings.NoDataTimeout is { } noData && _time.GetElapsedTime(lastData) >= noData)
                            {
                                if (_settings.ExpectsData is { } expects && !expects())
                                {
                                    // Nothing is due: silence is not a fault; the watchdog starts over.
                                    lastData = _time.GetTimestamp();
                                    continue;
                                }

                                return new ReceiveOutcome($"no data for {noData.TotalSeconds:F0} s", false, null);
                            }

                            if (_settings.MaxLifetime is { } lifetime && _time.GetUtcNow() - openedAt >= lifetime - _settings.RotationMargin)
                            {
                                // Make before break: the new connection is subscribed before the old one closes.
                                rotation ??= TryConnectAsync(stop);
                                var next = await rotation.ConfigureAwait(false);
                                if (next is not null)
                                {
                                    VenueLog.WebSocketRotated(_logger, _venue, _settings.Name);
                                    rotated = next;
                                    drainUntil = _time.GetUtcNow() + RotationDrain;
                                    try
                                    {
                                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "rotated", stop).ConfigureAwait(false);
                                    }
                                    catch (Exception ex) when (ex is WebSocketException or InvalidOperationException)
                                    {
                                        return new ReceiveOutcome("rotated before the lifetime limit", true, next);
                                    }

                                    continue;
                                }

                                if (_time.GetUtcNow() - openedAt >= lifetime)
                                {
                                    return new ReceiveOutcome("lifetime limit reached", false, null);
                                }

                                rotation = null;
                            }

                            continue;
                        }
                    }

                    result = await pending.ConfigureAwait(false);
                    pending = null;
                }
                catch (OperationCanceledException) when (force.IsCancellationRequested && !stop.IsCancellationRequested)
                {
                    return new ReceiveOutcome("reconnect requested", true, null);
                }
                catch (WebSocketException ex)
                {
                    return rotated is not null ? new ReceiveOutcome("rotated before the lifetime limit", true, rotated) : new ReceiveOutcome(ex.Message, false, null);
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (rotated is not null)
                    {
                        return new ReceiveOutcome("rotated before the lifetime limit", true, rotated);
                    }

                    return new ReceiveOutcome($"closed by the venue ({socket.CloseStatus} {socket.CloseStatusDescription})", false, null);
                }

                buffer.Advance(result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                lastData = _time.GetTimestamp();
                var message = buffer.WrittenMemory;
                if (_settings.Heartbeat.IsPong is not { } isPong || !isPong(message))
                {
                    _metrics.RecordMessage(_venue, _settings.Name);
                    try
                    {
                        _settings.OnMessage(message);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        VenueLog.MessageHandlerFailed(_logger, _venue, _settings.Name, ex);
                    }
                }

                buffer.ResetWrittenCount();
            }
        }
        finally
        {
            await force.CancelAsync().ConfigureAwait(false);
            await pinger.ConfigureAwait(false);
            _forceReconnect = null;
            if (ReferenceEquals(_current, connection))
            {
                _current = null;
            }

            await CloseQuietlyAsync(socket).ConfigureAwait(false);
            if (pending is not null)
            {
                // The receive left behind ends with the socket; observe its failure.
                _ = pending.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }
    }

    private TimeSpan? NextDeadline(DateTimeOffset openedAt, long lastData)
    {
        TimeSpan? wait = null;
        if (_settings.NoDataTimeout is { } noData)
        {
            wait = noData - _time.GetElapsedTime(lastData);
        }

        if (_settings.MaxLifetime is { } lifetime)
        {
            var untilRotation = lifetime - _settings.RotationMargin - (_time.GetUtcNow() - openedAt);
            if (untilRotation < TimeSpan.FromSeconds(1))
            {
                untilRotation = TimeSpan.FromSeconds(1);
            }

            wait = wait is { } w && w < untilRotation ? w : untilRotation;
        }

        return wait;
    }

    private async Task<VenueWebSocketConnection?> TryConnectAsync(CancellationToken stop)
    {
        try
        {
            return await ConnectAsync(stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            VenueLog.WebSocketConnectFailed(_logger, _venue, _settings.Name, 1, 0, ex.Message);
            return null;
        }
    }

    /// <summary>Sends the venue's text ping on its schedule until the connection ends.</summary>
    private async Task PingLoopAsync(VenueWebSocketConnection connection, string ping, CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_settings.Heartbeat.TextPingInterval, _time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await connection.SendTextAsync(ping, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The connection ended; the receive loop reconnects.
        }
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Already gone.
        }
        finally
        {
            socket.Abort();
            socket.Dispose();
        }
    }

    private readonly record struct ReceiveOutcome(string Reason, bool Forced, VenueWebSocketConnection? Rotated);
}
