namespace OpenSqt.LiveServer.Diagnostics;

internal static partial class LiveServerLog
{
    [LoggerMessage(1, LogLevel.Information, "LiveServer watching {Count} symbol(s) on venue {Venue} at interval {Interval}")]
    public static partial void Watching(ILogger logger, int count, string venue, string interval);

    [LoggerMessage(2, LogLevel.Warning, "Connector session lost, reconnecting in {Delay}: {Reason}")]
    public static partial void ConnectorLost(ILogger logger, TimeSpan delay, string reason);

    [LoggerMessage(3, LogLevel.Information, "Connector reachable again; reloading history, orders, account and positions")]
    public static partial void ConnectorBack(ILogger logger);

    [LoggerMessage(4, LogLevel.Warning, "Engine {Part} unavailable, retrying in {Delay}: {Reason}")]
    public static partial void EngineUnavailable(ILogger logger, string part, TimeSpan delay, string reason);

    [LoggerMessage(5, LogLevel.Information, "Engine {Part} connected")]
    public static partial void EngineConnected(ILogger logger, string part);

    [LoggerMessage(6, LogLevel.Information, "WebSocket refused from {RemoteIp}: {Reason}")]
    public static partial void Refused(ILogger logger, string remoteIp, string reason);

    [LoggerMessage(7, LogLevel.Warning, "Browser {ClientId} from {RemoteIp} disconnected: it fell {Capacity} messages behind")]
    public static partial void Evicted(ILogger logger, long clientId, string remoteIp, int capacity);

    [LoggerMessage(8, LogLevel.Debug, "Browser {ClientId} from {RemoteIp} connected")]
    public static partial void ClientConnected(ILogger logger, long clientId, string remoteIp);

    [LoggerMessage(9, LogLevel.Debug, "Browser {ClientId} disconnected")]
    public static partial void ClientDisconnected(ILogger logger, long clientId);

    [LoggerMessage(10, LogLevel.Warning, "Could not load {What} from the connector: {Reason}")]
    public static partial void ResyncFailed(ILogger logger, string what, string reason);

    [LoggerMessage(11, LogLevel.Error, "Connector stream {Stream} failed: {Reason}")]
    public static partial void StreamFailed(ILogger logger, string stream, string reason);

    [LoggerMessage(12, LogLevel.Information, "The connector offers no dead-man's switch status (a v1 connector); the page shows no safety panel")]
    public static partial void SafetyUnsupported(ILogger logger);
}
