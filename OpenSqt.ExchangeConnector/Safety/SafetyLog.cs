namespace OpenSqt.ExchangeConnector.Safety;

/// <summary>Log events of the dead-man's switch and the client leases: EventIds 100-119.</summary>
internal static partial class SafetyLog
{
    [LoggerMessage(100, LogLevel.Warning, "Dead-man's switch disabled (Connector:DeadMansSwitch:TimeoutSeconds = 0): if this connector dies, {Venue} keeps every order working")]
    public static partial void SwitchDisabled(ILogger logger, string venue);

    [LoggerMessage(101, LogLevel.Warning, "{Venue} offers no cancel-all-after countdown: if this connector dies, the venue keeps every order working (client leases still protect against a client dying)")]
    public static partial void SwitchUnsupported(ILogger logger, string venue);

    [LoggerMessage(102, LogLevel.Information, "{Venue} cancel-all-after countdown armed for {Scope}: {TimeoutSeconds} s, refreshed every quarter of it")]
    public static partial void SwitchArmed(ILogger logger, string venue, string scope, int timeoutSeconds);

    [LoggerMessage(103, LogLevel.Error, "{Message}")]
    public static partial void SwitchRefused(ILogger logger, string message);

    [LoggerMessage(104, LogLevel.Information, "Leaving the venue's countdown armed on {Count} scope(s): {Leases} client lease(s) still live")]
    public static partial void SwitchLeftArmed(ILogger logger, int count, int leases);

    [LoggerMessage(105, LogLevel.Warning, "Could not disarm the venue's countdown for {Scope}: {Reason}")]
    public static partial void DisarmFailed(ILogger logger, string scope, string reason);

    [LoggerMessage(106, LogLevel.Information, "Lease taken by {Client} for client order ids '{Prefix}*', {TtlSeconds} s")]
    public static partial void LeaseAcquired(ILogger logger, string client, string prefix, int ttlSeconds);

    [LoggerMessage(107, LogLevel.Information, "Lease of {Client} ('{Prefix}*') released")]
    public static partial void LeaseReleased(ILogger logger, string client, string prefix);

    [LoggerMessage(108, LogLevel.Warning, "Lease of {Client} ('{Prefix}*') lapsed at {ExpiredAt:O}: cancelling its working orders")]
    public static partial void LeaseLapsed(ILogger logger, string client, string prefix, DateTimeOffset expiredAt);

    [LoggerMessage(109, LogLevel.Warning, "Cancelled {Cancelled} working order(s) of the lapsed lease of {Client} ('{Prefix}*')")]
    public static partial void LapseCleanedUp(ILogger logger, string client, string prefix, int cancelled);

    [LoggerMessage(110, LogLevel.Error, "Cancelling the orders of the lapsed lease '{Prefix}*' failed, trying again: {Reason}")]
    public static partial void LapseCleanupFailed(ILogger logger, string prefix, string reason);
}
