namespace OpenSqt.Contracts;

/// <summary>How a venue's cancel-all-after countdown is scoped.</summary>
public enum DeadMansSwitchScope
{
    /// <summary>One countdown per symbol (Binance USDT-M <c>countdownCancelAll</c>).</summary>
    Symbol,

    /// <summary>One countdown for the whole account (OKX <c>cancel-all-after</c>, Gate <c>countdown_cancel_all</c>).</summary>
    Account,
}

/// <summary>
/// A venue's own dead-man's switch: once armed, the venue cancels the working orders of the scope when the countdown
/// runs out without a refresh. Arming again refreshes it. A venue connector implements this next to
/// <see cref="IExchange"/> when the venue offers such a countdown; the ExchangeConnector arms and refreshes it.
/// </summary>
public interface IVenueDeadMansSwitch
{
    DeadMansSwitchScope Scope { get; }

    /// <summary>The shortest countdown the venue accepts.</summary>
    TimeSpan MinimumTimeout { get; }

    /// <summary>The longest countdown the venue accepts.</summary>
    TimeSpan MaximumTimeout { get; }

    /// <summary>
    /// Arms or refreshes the countdown of <paramref name="symbol"/> (null for an account-wide countdown). Throws
    /// <see cref="ExchangeException"/> with the venue's reason when the venue refuses.
    /// </summary>
    Task ArmAsync(string? symbol, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Disarms the countdown of <paramref name="symbol"/> (null for an account-wide countdown).</summary>
    Task DisarmAsync(string? symbol, CancellationToken cancellationToken = default);
}
