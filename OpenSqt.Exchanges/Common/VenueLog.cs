using Microsoft.Extensions.Logging;

namespace OpenSqt.Exchanges.Common;

/// <summary>
/// Log messages of the shared venue plumbing. Never logs a secret. Event ids are unique per component: Common
/// 7001-7099, Binance 7101-7199, Gate 7201-7299, Bitget 7301-7399, OKX 7401-7499, Bybit 7601-7699 (7500-7599 free);
/// the built-in sim uses 1.
/// </summary>
internal static partial class VenueLog
{
    [LoggerMessage(7001, LogLevel.Information, "{Venue}: clock offset {OffsetMs} ms")]
    public static partial void ClockSynced(ILogger logger, string venue, long offsetMs);

    [LoggerMessage(7002, LogLevel.Warning, "{Venue} {Operation}: timestamp refused ({Reason}); resyncing the clock and retrying once")]
    public static partial void ClockRejected(ILogger logger, string venue, string operation, string reason);

    [LoggerMessage(7003, LogLevel.Warning, "{Venue} {Operation}: attempt {Attempt} failed ({Reason}); retrying")]
    public static partial void RetryingRequest(ILogger logger, string venue, string operation, int attempt, string reason);

    [LoggerMessage(7004, LogLevel.Warning, "{Venue}: rate limited (HTTP {Status}); pausing {PauseSeconds} s")]
    public static partial void RateLimited(ILogger logger, string venue, int status, double pauseSeconds);

    [LoggerMessage(7005, LogLevel.Warning, "{Venue}: account refresh failed: {Reason}")]
    public static partial void AccountRefreshFailed(ILogger logger, string venue, string reason);

    [LoggerMessage(7006, LogLevel.Warning, "{Venue}: the answer carried {Field} '{Value}', which this connector does not know; the item is skipped")]
    public static partial void UnknownValue(ILogger logger, string venue, string field, string value);

    [LoggerMessage(7007, LogLevel.Information, "{Venue}: cancel of {Order} found it already finished ({Code})")]
    public static partial void CancelFoundFinished(ILogger logger, string venue, string order, string code);

    [LoggerMessage(7010, LogLevel.Information, "{Venue} {Stream}: connected")]
    public static partial void WebSocketConnected(ILogger logger, string venue, string stream);

    [LoggerMessage(7011, LogLevel.Warning, "{Venue} {Stream}: connect attempt {Attempt} failed, next in {DelaySeconds} s: {Reason}")]
    public static partial void WebSocketConnectFailed(ILogger logger, string venue, string stream, int attempt, double delaySeconds, string reason);

    [LoggerMessage(7012, LogLevel.Warning, "{Venue} {Stream}: connection lost: {Reason}")]
    public static partial void WebSocketDropped(ILogger logger, string venue, string stream, string reason);

    [LoggerMessage(7008, LogLevel.Warning, "{Venue}: a {Channel} push item of {Instrument} did not parse and is skipped: {Reason}")]
    public static partial void TapeItemSkipped(ILogger logger, string venue, string channel, string instrument, string reason);

    [LoggerMessage(7013, LogLevel.Information, "{Venue} {Stream}: reconnected after {Attempts} attempts, down {DowntimeSeconds} s")]
    public static partial void WebSocketReconnected(ILogger logger, string venue, string stream, int attempts, double downtimeSeconds);

    [LoggerMessage(7014, LogLevel.Information, "{Venue} {Stream}: connection rotated before the venue's lifetime limit")]
    public static partial void WebSocketRotated(ILogger logger, string venue, string stream);

    [LoggerMessage(7015, LogLevel.Error, "{Venue} {Stream}: a message could not be handled")]
    public static partial void MessageHandlerFailed(ILogger logger, string venue, string stream, Exception exception);
}
