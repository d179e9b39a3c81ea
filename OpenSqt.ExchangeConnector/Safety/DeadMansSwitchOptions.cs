using System.ComponentModel.DataAnnotations;

namespace OpenSqt.ExchangeConnector.Safety;

/// <summary>
/// Section <c>Connector:DeadMansSwitch</c> (environment <c>Connector__DeadMansSwitch__TimeoutSeconds</c>): the venue's
/// own cancel-all-after countdown, armed by the connector for every symbol it has orders on.
/// </summary>
public sealed class DeadMansSwitchOptions
{
    public const string SectionName = "Connector:DeadMansSwitch";

    /// <summary>
    /// Seconds the venue waits without a refresh before it cancels every working order; 0 disables the switch (the
    /// connector then warns at start). It must lie within what the venue accepts; the connector refuses to start
    /// otherwise. The connector refreshes it every quarter of this time.
    /// </summary>
    [Range(0, 3600)]
    public int TimeoutSeconds { get; set; } = 60;

    /// <summary>How often leases are checked for expiry.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan LeaseCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    public TimeSpan RefreshInterval => TimeSpan.FromSeconds(Math.Max(1, TimeoutSeconds / 4.0));
}
