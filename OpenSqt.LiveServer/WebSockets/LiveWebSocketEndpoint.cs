using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using OpenSqt.LiveServer.Diagnostics;
using OpenSqt.LiveServer.Hub;
using OpenSqt.LiveServer.Options;

namespace OpenSqt.LiveServer.WebSockets;

/// <summary>
/// <c>/ws</c>: admits a browser, joins it to the hub and sends it messages until it leaves. What the browser sends is
/// read and discarded (there is nothing a browser can ask this server to do), so the page stays read-only.
/// </summary>
public static class LiveWebSocketEndpoint
{
    public const string Path = "/ws";
    private const int MaxIncomingMessage = 4096;

    public static async Task HandleAsync(
        HttpContext context,
        WebSocketAdmission admission,
        LiveHub hub,
        LiveServerMetrics metrics,
        IOptions<WebSocketLimitsOptions> options,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger(typeof(LiveWebSocketEndpoint).FullName!);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("this endpoint speaks WebSocket only", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var remoteIp = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var (admitted, status, reason) = admission.TryAdmit(context, remoteIp);
        if (!admitted)
        {
            LiveServerLog.Refused(logger, remoteIp, reason);
            context.Response.StatusCode = status;
            await context.Response.WriteAsync(reason, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = options.Value.KeepAliveInterval,
            }).ConfigureAwait(false);
            metrics.Connected();
            var client = new LiveClient(socket, remoteIp, options.Value.ClientQueueCapacity, metrics);
            LiveServerLog.ClientConnected(logger, client.Id, remoteIp);
            try
            {
                await hub.PostAsync(new JoinInput(client), context.RequestAborted).ConfigureAwait(false);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
                var sender = client.RunSenderAsync(done.Token);
                await ReceiveUntilClosedAsync(socket, done.Token).ConfigureAwait(false);
                await done.CancelAsync().ConfigureAwait(false);
                await sender.ConfigureAwait(false);
                if (lifetime.ApplicationStopping.IsCancellationRequested)
                {
                    await SayGoingAwayAsync(socket).ConfigureAwait(false);
                }
            }
            finally
            {
                client.Complete();
                await hub.PostAsync(new LeaveInput(client), CancellationToken.None).ConfigureAwait(false);
                metrics.Disconnected();
                LiveServerLog.ClientDisconnected(logger, client.Id);
            }
        }
        finally
        {
            admission.Release();
        }
    }

    /// <summary>The server stops: tell the browser (close 1001) instead of letting the connection drop.</summary>
    private static async Task SayGoingAwayAsync(WebSocket socket)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "server stopping", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Gone already.
        }
    }

    private static async Task ReceiveUntilClosedAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxIncomingMessage];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken).ConfigureAwait(false);
                    }

                    return;
                }

                if (!result.EndOfMessage)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "this server takes no requests", cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The browser went away or was evicted (a close racing a send also lands here).
        }
    }
}
