using Microsoft.Extensions.Logging;

namespace OpenSqt.Exchanges.Okx;

/// <summary>Log messages of the OKX connector. Credentials, the passphrase and signatures are never logged.</summary>
internal static partial class OkxLog
{
    [LoggerMessage(7401, LogLevel.Information, "okx: private stream logged in")]
    public static partial void LoggedIn(ILogger logger);

    [LoggerMessage(7402, LogLevel.Warning, "okx: WebSocket error {Code}: {Message}")]
    public static partial void StreamError(ILogger logger, string code, string message);

    [LoggerMessage(7403, LogLevel.Warning, "okx: service upgrade notice on the {Stream} stream; reconnecting")]
    public static partial void ServiceUpgrade(ILogger logger, string stream);

    [LoggerMessage(7404, LogLevel.Debug, "okx: cancel found order {Order} already finished ({Code})")]
    public static partial void CancelFoundFinished(ILogger logger, string order, string code);

    [LoggerMessage(7405, LogLevel.Warning, "okx: skipped {Item} with an unknown {Field} '{Value}'")]
    public static partial void UnknownValueSkipped(ILogger logger, string item, string field, string? value);

    [LoggerMessage(7406, LogLevel.Information, "okx: order {OrderId} ({ClientOrderId}) was accepted; its read-back failed ({Reason}), answering from the acknowledgement")]
    public static partial void ReadBackFailed(ILogger logger, string orderId, string? clientOrderId, string reason);

    [LoggerMessage(7407, LogLevel.Debug, "okx: order {OrderId} was accepted; no query budget left for a read-back, answering from the acknowledgement")]
    public static partial void ReadBackSkipped(ILogger logger, string orderId);


}
