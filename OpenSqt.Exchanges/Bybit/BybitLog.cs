using Microsoft.Extensions.Logging;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>Log messages of the Bybit connector. Credentials and signatures are never logged.</summary>
internal static partial class BybitLog
{
    [LoggerMessage(7301, LogLevel.Information, "bybit: private stream authenticated")]
    public static partial void Authenticated(ILogger logger);

    [LoggerMessage(7302, LogLevel.Warning, "bybit: private stream auth refused: {Reason}; reconnecting")]
    public static partial void AuthRefused(ILogger logger, string reason);

    [LoggerMessage(7303, LogLevel.Warning, "bybit: subscription refused: {Reason}")]
    public static partial void SubscriptionRefused(ILogger logger, string reason);

    [LoggerMessage(7304, LogLevel.Debug, "bybit: cancel found order {Order} already finished ({Code})")]
    public static partial void CancelFoundFinished(ILogger logger, string order, string code);

    [LoggerMessage(7305, LogLevel.Warning, "bybit: account refresh after a wallet event failed: {Reason}")]
    public static partial void AccountRefreshFailed(ILogger logger, string reason);
}
