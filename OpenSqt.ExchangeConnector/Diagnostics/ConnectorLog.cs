using Grpc.Core;

namespace OpenSqt.ExchangeConnector.Diagnostics;

internal static partial class ConnectorLog
{
    [LoggerMessage(1, LogLevel.Information, "Exchange connector serving venue {Venue}")]
    public static partial void Serving(ILogger logger, string venue);

    [LoggerMessage(2, LogLevel.Information, "Upstream stream {Key} opened")]
    public static partial void UpstreamOpened(ILogger logger, string key);

    [LoggerMessage(3, LogLevel.Information, "Upstream stream {Key} closed")]
    public static partial void UpstreamClosed(ILogger logger, string key);

    [LoggerMessage(4, LogLevel.Warning, "Upstream stream {Key} failed; its subscribers are ended")]
    public static partial void UpstreamFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(5, LogLevel.Information, "{Method} failed with {Code}: {Detail}")]
    public static partial void RequestFailed(ILogger logger, string method, StatusCode code, string detail);

    [LoggerMessage(6, LogLevel.Error, "{Method} failed with an unexpected error")]
    public static partial void RequestCrashed(ILogger logger, string method, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "Redis metadata cache unavailable, serving exchange metadata from the venue: {Reason}")]
    public static partial void CacheUnavailable(ILogger logger, string reason);

    [LoggerMessage(8, LogLevel.Information, "Exchange metadata loaded from {Source}: {Count} instruments")]
    public static partial void MetadataLoaded(ILogger logger, string source, int count);

    [LoggerMessage(9, LogLevel.Information, "Subscriber of {Stream} ended: {Reason}")]
    public static partial void SubscriberEnded(ILogger logger, string stream, string reason);

    [LoggerMessage(10, LogLevel.Information, "Shutting down: ending {Count} upstream stream(s)")]
    public static partial void ShuttingDown(ILogger logger, int count);
}
