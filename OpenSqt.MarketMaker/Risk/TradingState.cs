namespace OpenSqt.MarketMaker.Risk;

/// <summary>
/// What a symbol (or the whole engine) may do, in the spirit of NautilusTrader's <c>TradingState</c>
/// (nautilus_trader/model/enums.pyx: ACTIVE, HALTED, REDUCING). Ordered by severity: the strictest trigger wins.
/// </summary>
public enum TradingState
{
    /// <summary>Opening and closing orders are placed.</summary>
    Active = 0,

    /// <summary>Opening orders are cancelled and not placed; closing orders stay working, follow the price and are placed.</summary>
    Reducing = 1,

    /// <summary>
    /// Opening orders are cancelled and not placed; closing orders stay where they work (no trailing) and a position
    /// without one gets its close; an operator's flatten request closes every position with reduce-only market orders.
    /// </summary>
    Halted = 2,
}

/// <summary>Why a symbol is not <see cref="TradingState.Active"/>; every trigger maps to one state.</summary>
public enum RiskTrigger
{
    None = 0,

    /// <summary>An operator asked for Reducing or Halted (latched until an operator resets).</summary>
    Operator,

    /// <summary>The market-anomaly monitor: Reducing until the market has been calm for <c>RiskControl:ResumeAfter</c>.</summary>
    Anomaly,

    /// <summary>Losing round trips in a row: Halted, latched.</summary>
    ConsecutiveLosses,

    /// <summary>Equity (realised + unrealised at mark, fees included) fell from its peak: Halted, latched.</summary>
    Drawdown,

    /// <summary>The local position diverges from the venue's: Halted, latched.</summary>
    Divergence,

    /// <summary>Margin usage or liquidation distance beyond the guard: Reducing, latched.</summary>
    Margin,

    /// <summary>No fresh price since the connector or a stream came back, or the last tick is too old: Halted until one arrives.</summary>
    StaleData,

    /// <summary>The connector cannot be reached: Halted until it answers.</summary>
    Connector,

    /// <summary>A fatal error (bad configuration, refused credentials, hedge-mode account): Halted, the engine stops.</summary>
    Fatal,

    /// <summary>The state store failed a write: Halted, nothing sent, until it works again and an operator resets.</summary>
    StateStore,
}

public static class TradingStateExtensions
{
    /// <summary>The stricter of two states.</summary>
    public static TradingState Max(this TradingState a, TradingState b) => a >= b ? a : b;

    /// <summary>The name used on the wire and in messages.</summary>
    public static string ToWire(this TradingState state) => state switch
    {
        TradingState.Reducing => "REDUCING",
        TradingState.Halted => "HALTED",
        _ => "ACTIVE",
    };

    /// <summary>Parses a wire name (case-insensitive); empty means <paramref name="fallback"/>.</summary>
    public static bool TryParseWire(string text, TradingState fallback, out TradingState state)
    {
        state = fallback;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        foreach (var candidate in new[] { TradingState.Active, TradingState.Reducing, TradingState.Halted })
        {
            if (string.Equals(candidate.ToWire(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }

        return false;
    }
}
