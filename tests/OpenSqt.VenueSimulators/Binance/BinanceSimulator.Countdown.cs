using System.Globalization;

namespace OpenSqt.VenueSimulators.Binance;

/// <summary>
/// <c>POST /fapi/v1/countdownCancelAll</c> as Binance documents it
/// (https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Auto-Cancel-All-Open-Orders):
/// "Cancel all open orders of the specified symbol at the end of the specified countdown"; each call replaces the
/// symbol's countdown ("the existing countdown time can be canceled and replaced by a new one"); "countdown time, 1000
/// for 1 second. 0 to cancel the timer"; weight 10; the answer echoes <c>{"symbol","countdownTime"}</c> with the time as
/// a string. The countdown runs on the simulator's clock; when it runs out every open order of the symbol is cancelled
/// through the engine, so the user stream carries the ORDER_TRADE_UPDATE of each cancel as Binance sends them.
/// </summary>
public sealed partial class BinanceSimulator
{
    /// <summary>Calls to countdownCancelAll the simulator accepted since start.</summary>
    public int CountdownCalls => Countdowns.Sets;

    /// <summary>When the countdown of <paramref name="symbol"/> runs out, or null when none is running.</summary>
    public DateTimeOffset? CountdownFiresAt(string symbol) => Countdowns.FiresAt(symbol);

    private async Task<(int, string)> CountdownCancelAllAsync(Dictionary<string, string> p)
    {
        var symbol = Required(p, "symbol");
        await RulesOf(symbol).ConfigureAwait(false);
        var raw = Required(p, "countdownTime");

        // -1102 "A mandatory parameter was not sent, was empty/null, or malformed"
        // (https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code): a countdown that is not a
        // non-negative whole number of milliseconds.
        if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            throw new BinanceSimError(400, "-1102", "Mandatory parameter 'countdownTime' was not sent, was empty/null, or malformed.");
        }

        // The engine cancels synchronously; its order stream feeds the user-data pushes.
        Countdowns.Set(symbol, TimeSpan.FromMilliseconds(milliseconds), () => Engine.CancelAllOrdersAsync(symbol).GetAwaiter().GetResult());
        return (200, Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("symbol", symbol);
            w.WriteString("countdownTime", milliseconds.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }));
    }
}
