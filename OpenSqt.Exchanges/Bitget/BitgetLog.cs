using Microsoft.Extensions.Logging;

namespace OpenSqt.Exchanges.Bitget;

/// <summary>Log messages of the Bitget connector. Credentials, the passphrase and signatures are never logged.</summary>
internal static partial class BitgetLog
{
    [LoggerMessage(7301, LogLevel.Debug, "bitget: {Op} sent for {Channel}")]
    public static partial void ChannelRequestSent(ILogger logger, string op, string channel);

    [LoggerMessage(7302, LogLevel.Warning, "bitget: stream request refused: {Error}")]
    public static partial void ChannelRequestRefused(ILogger logger, string error);

    [LoggerMessage(7303, LogLevel.Warning, "bitget: account refresh after an account push failed: {Reason}")]
    public static partial void AccountRefreshFailed(ILogger logger, string reason);

    [LoggerMessage(7305, LogLevel.Information, "bitget: private stream logged in")]
    public static partial void LoggedIn(ILogger logger);

    [LoggerMessage(7306, LogLevel.Warning, "bitget: order {OrderId} is live; its read-back failed ({Kind}: {Reason}), so it is reported as acknowledged")]
    public static partial void ReadBackFailed(ILogger logger, string orderId, string kind, string reason);

    [LoggerMessage(7307, LogLevel.Warning, "bitget: skipped a {What} on {Symbol}, a contract the contracts list does not have")]
    public static partial void SkippedUnlisted(ILogger logger, string what, string symbol);

    [LoggerMessage(7308, LogLevel.Warning, "bitget: unknown {Field} '{Value}' in an answer about {Item}; the item is skipped")]
    public static partial void UnknownValue(ILogger logger, string field, string value, string item);

    [LoggerMessage(7309, LogLevel.Warning, "bitget: reading the margin mode of {Symbol} failed: {Reason}")]
    public static partial void MarginModeReadFailed(ILogger logger, string symbol, string reason);

    [LoggerMessage(7310, LogLevel.Information, "bitget: position of {Symbol} left the positions snapshot; published as flat")]
    public static partial void PositionClosedBySnapshot(ILogger logger, string symbol);

    [LoggerMessage(7311, LogLevel.Warning, "bitget: private login refused as expired ({Code}); syncing the clock before the next login")]
    public static partial void LoginClockRefused(ILogger logger, string code);

    [LoggerMessage(7312, LogLevel.Warning, "bitget: batch cancel refused {Count} item(s) without naming the order ({Errors}); the orders of the chunk it did not account for are read to settle them")]
    public static partial void CancelFailuresUnattributed(ILogger logger, int count, string errors);

}
