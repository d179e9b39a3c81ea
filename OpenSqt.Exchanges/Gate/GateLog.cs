using Microsoft.Extensions.Logging;

namespace OpenSqt.Exchanges.Gate;

/// <summary>Log messages of the Gate connector. Credentials and signatures are never logged.</summary>
internal static partial class GateLog
{
    [LoggerMessage(7201, LogLevel.Debug, "gate: {Event} sent for {Channel}")]
    public static partial void ChannelRequestSent(ILogger logger, string @event, string channel);

    [LoggerMessage(7202, LogLevel.Warning, "gate: {Channel} request refused: {Error}")]
    public static partial void ChannelRequestRefused(ILogger logger, string channel, string error);

    [LoggerMessage(7203, LogLevel.Warning, "gate: account refresh after futures.balances failed: {Reason}")]
    public static partial void AccountRefreshFailed(ILogger logger, string reason);

    [LoggerMessage(7204, LogLevel.Information, "gate: cancel of {Order} found it already finished ({Label})")]
    public static partial void CancelFoundFinished(ILogger logger, string order, string label);

    [LoggerMessage(7205, LogLevel.Warning, "gate: push for unknown contract {Contract} skipped")]
    public static partial void UnknownContract(ILogger logger, string contract);

    [LoggerMessage(7206, LogLevel.Warning, "gate: private stream setup failed: {Reason}")]
    public static partial void PrivateSetupFailed(ILogger logger, string reason);
}
