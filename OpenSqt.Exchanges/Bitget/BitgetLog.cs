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

    [LoggerMessage(7304, LogLevel.Information, "bitget: cancel of {Order} found it already finished ({Code})")]
    public static partial void CancelFoundFinished(ILogger logger, string order, string code);

    [LoggerMessage(7305, LogLevel.Information, "bitget: private stream logged in")]
    public static partial void LoggedIn(ILogger logger);
}
