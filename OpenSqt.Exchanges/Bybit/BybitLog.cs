using Microsoft.Extensions.Logging;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Log messages of the Bybit connector, EventIds 7601-7699 (7301-7305 were shared with Bitget). Credentials and
/// signatures are never logged.
/// </summary>
internal static partial class BybitLog
{
    [LoggerMessage(7601, LogLevel.Information, "bybit: private stream authenticated")]
    public static partial void Authenticated(ILogger logger);

    [LoggerMessage(7602, LogLevel.Warning, "bybit: private stream auth refused: {Reason}; reconnecting")]
    public static partial void AuthRefused(ILogger logger, string reason);

    [LoggerMessage(7603, LogLevel.Warning, "bybit: subscription refused: {Reason}")]
    public static partial void SubscriptionRefused(ILogger logger, string reason);

    [LoggerMessage(7604, LogLevel.Debug, "bybit: cancel found order {Order} already finished ({Code})")]
    public static partial void CancelFoundFinished(ILogger logger, string order, string code);

    [LoggerMessage(7605, LogLevel.Warning, "bybit: account snapshot after the private stream connected failed: {Reason}")]
    public static partial void AccountRefreshFailed(ILogger logger, string reason);

    [LoggerMessage(7606, LogLevel.Warning, "bybit: order {OrderId} ({ClientOrderId}) was acknowledged but reading it back failed: {Reason}; reporting it accepted")]
    public static partial void ReadBackFailed(ILogger logger, string orderId, string? clientOrderId, string reason);

    [LoggerMessage(7607, LogLevel.Warning, "bybit: skipped one {Item} in {Operation}: {Reason}")]
    public static partial void UnknownValueSkipped(ILogger logger, string item, string operation, string reason);

    [LoggerMessage(7608, LogLevel.Information, "bybit: skipped one {Item} on {Symbol} in {Operation}: the instrument is not a listed linear perpetual")]
    public static partial void UnlistedSkipped(ILogger logger, string item, string symbol, string operation);

    [LoggerMessage(7609, LogLevel.Information, "bybit: private stream subscribed to dcp.future; the disconnection protection counts this connection")]
    public static partial void DcpSubscribed(ILogger logger);

    [LoggerMessage(7610, LogLevel.Warning, "bybit: dcp.future subscription refused: {Reason}")]
    public static partial void DcpRefused(ILogger logger, string reason);

    [LoggerMessage(7611, LogLevel.Warning, "bybit: skipped one malformed {Item} in {Operation}: {Reason}")]
    public static partial void MalformedSkipped(ILogger logger, string item, string operation, string reason);
}
