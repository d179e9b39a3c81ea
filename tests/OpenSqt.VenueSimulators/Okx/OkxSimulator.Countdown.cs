using System.Globalization;
using System.Text.Json;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Okx;

/// <summary>
/// <c>POST /api/v5/trade/cancel-all-after</c> as OKX documents it
/// (https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-cancel-all-after): "timeOut: The countdown for order
/// cancellation, with second as the unit. Range of value can be 0, [10, 120]. Setting timeOut to 0 disables Cancel All
/// After"; a new call resets the countdown. Without a tag it covers every pending order of the account. The answer's
/// item carries <c>triggerTime</c>, <c>tag</c> and <c>ts</c>. The countdown runs on the simulator's clock; when it runs
/// out every open order is cancelled through the engine, so the orders channel carries each cancel.
/// </summary>
public sealed partial class OkxSimulator
{
    /// <summary>Calls to cancel-all-after the simulator accepted since start.</summary>
    public int CountdownCalls => Countdowns.Sets;

    /// <summary>When the account's countdown runs out, or null when none is running.</summary>
    public DateTimeOffset? CountdownFiresAt => Countdowns.FiresAt();

    private Task<(string, string, Action<Utf8JsonWriter>?, int)> CancelAllAfterAsync(Dictionary<string, string> fields)
    {
        var raw = Required(fields, "timeOut");
        if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || (seconds != 0 && seconds is < 10 or > 120))
        {
            throw new OkxSimError(OkxWire.ParameterError, "Parameter timeOut error");
        }

        var now = Clock.GetUtcNow();
        var firesAt = Countdowns.Set(SimulatorCountdowns.Account, TimeSpan.FromSeconds(seconds), () =>
        {
            // The engine cancels synchronously; its order stream feeds the orders channel.
            foreach (var symbol in KnownSymbols)
            {
                Engine.CancelAllOrdersAsync(symbol).GetAwaiter().GetResult();
            }
        });
        return Ok(w =>
        {
            w.WriteStartObject();
            w.WriteString("triggerTime", firesAt is { } at ? at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : "0");
            w.WriteString("tag", "");
            w.WriteString("ts", now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        });
    }
}
