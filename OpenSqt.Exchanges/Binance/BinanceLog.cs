using Microsoft.Extensions.Logging;

namespace OpenSqt.Exchanges.Binance;

/// <summary>Log messages of the Binance connector. The listen key and credentials are never logged.</summary>
internal static partial class BinanceLog
{
    [LoggerMessage(7101, LogLevel.Information, "binance: listen key created")]
    public static partial void ListenKeyCreated(ILogger logger);

    [LoggerMessage(7102, LogLevel.Debug, "binance: listen key kept alive")]
    public static partial void ListenKeyKeptAlive(ILogger logger);

    [LoggerMessage(7103, LogLevel.Warning, "binance: listen key expired; creating a new one and reconnecting")]
    public static partial void ListenKeyExpired(ILogger logger);

    [LoggerMessage(7104, LogLevel.Warning, "binance: listen key gone on keepalive ({Reason}); creating a new one")]
    public static partial void ListenKeyLost(ILogger logger, string reason);

    [LoggerMessage(7105, LogLevel.Warning, "binance: listen key keepalive failed: {Reason}")]
    public static partial void KeepAliveFailed(ILogger logger, string reason);

    [LoggerMessage(7107, LogLevel.Debug, "binance: {Method} sent for {Count} streams")]
    public static partial void StreamMethodSent(ILogger logger, string method, int count);

    [LoggerMessage(7108, LogLevel.Warning, "binance: stream request refused: {Error}")]
    public static partial void StreamMethodRefused(ILogger logger, string error);

}
