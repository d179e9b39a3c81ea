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

    [LoggerMessage(7205, LogLevel.Warning, "gate: {Where}: item for unlisted contract {Contract} skipped")]
    public static partial void UnknownContract(ILogger logger, string where, string contract);

    [LoggerMessage(7206, LogLevel.Warning, "gate: private stream setup failed: {Reason}")]
    public static partial void PrivateSetupFailed(ILogger logger, string reason);

    [LoggerMessage(7207, LogLevel.Warning, "gate: {Where}: unknown value {Value}; the item is kept with the state Gate's other fields imply")]
    public static partial void UnknownValue(ILogger logger, string where, string value);

    [LoggerMessage(7208, LogLevel.Warning, "gate: position push for {Contract} held back: no mark price could be had ({Reason})")]
    public static partial void PositionWithoutMark(ILogger logger, string contract, string reason);

    [LoggerMessage(7209, LogLevel.Information, "gate: order {ClientOrderId} not found by text; resolved from the {Source}")]
    public static partial void OrderResolvedByList(ILogger logger, string clientOrderId, string source);

    [LoggerMessage(7210, LogLevel.Warning, "gate: mark price of {Contract} could not be refreshed: {Reason}")]
    public static partial void MarkPriceRefreshFailed(ILogger logger, string contract, string reason);

    [LoggerMessage(7211, LogLevel.Warning, "gate: {Where}: order {OrderId} is in status {Status}, which this connector does not know; the item is skipped, the rest stands")]
    public static partial void UnknownStatusSkipped(ILogger logger, string where, string orderId, string status);

}
