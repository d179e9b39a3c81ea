using System.Globalization;
using System.Text.Json;
using OpenSqt.VenueSimulators.Framework;

namespace OpenSqt.VenueSimulators.Gate;

/// <summary>
/// <c>POST /futures/{settle}/countdown_cancel_all</c> as Gate documents it
/// (https://www.gate.com/docs/developers/apiv4/en/futures/#countdown-cancel-orders-3 and the official SDK's model
/// CountdownCancelAllFuturesTask): body <c>{"timeout": seconds, "contract"?}</c>, "At least 5 seconds, 0 means cancel the
/// countdown"; a new call sets a new countdown; without a contract every pending order of the settle account is
/// cancelled when it runs out, with one, that contract's. The answer is <c>{"triggerTime": ms}</c>. A timeout the venue
/// refuses is answered 400 INVALID_PARAM_VALUE (Gate's label for a bad parameter value; the exact label for this case is
/// not documented). The countdown runs on the simulator's clock; when it runs out the orders are cancelled through the
/// engine, so futures.orders carries each cancel.
/// </summary>
public sealed partial class GateSimulator
{
    /// <summary>Calls to countdown_cancel_all the simulator accepted since start.</summary>
    public int CountdownCalls => Countdowns.Sets;

    /// <summary>When the countdown runs out, or null when none is running.</summary>
    public DateTimeOffset? CountdownFiresAt => Countdowns.FiresAt();

    private Task<(int, string)> CountdownCancelAllAsync(GateCall call)
    {
        long seconds;
        string? contract = null;
        try
        {
            using var doc = JsonDocument.Parse(call.Body);
            if (!doc.RootElement.TryGetProperty("timeout", out var t) || t.ValueKind != JsonValueKind.Number || !t.TryGetInt64(out seconds))
            {
                throw new GateSimError(400, "INVALID_PARAM_VALUE", "timeout is required and must be an integer");
            }

            if (doc.RootElement.TryGetProperty("contract", out var c) && c.ValueKind == JsonValueKind.String)
            {
                contract = c.GetString();
            }
        }
        catch (JsonException)
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "the body is not JSON");
        }

        if (seconds < 0 || seconds is > 0 and < 5)
        {
            throw new GateSimError(400, "INVALID_PARAM_VALUE", "timeout must be 0 or at least 5 seconds");
        }

        var firesAt = Countdowns.Set(SimulatorCountdowns.Account, TimeSpan.FromSeconds(seconds), () =>
        {
            // The engine cancels synchronously; its order stream feeds futures.orders.
            foreach (var symbol in contract is null ? [.. KnownSymbols] : new[] { SymbolOf(contract) })
            {
                Engine.CancelAllOrdersAsync(symbol).GetAwaiter().GetResult();
            }
        });
        var trigger = firesAt?.ToUnixTimeMilliseconds() ?? 0;
        return Ok($"{{\"triggerTime\":{trigger.ToString(CultureInfo.InvariantCulture)}}}");
    }
}
