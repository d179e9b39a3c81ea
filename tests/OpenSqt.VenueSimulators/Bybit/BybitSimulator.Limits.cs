using System.Globalization;

namespace OpenSqt.VenueSimulators.Bybit;

/// <summary>
/// The per-UID per-endpoint budgets and the Bybit-specific faults. Budgets follow the rate-limit table of
/// https://bybit-exchange.github.io/docs/v5/rate-limit (UTA2.0 Pro defaults, linear): create, cancel, cancel-all,
/// create-batch and cancel-batch 10/s each, the batch ones charged per order and independent of the single ones;
/// realtime, history, position/list, wallet-balance and account/info 50/s. Every signed answer carries
/// <c>X-Bapi-Limit</c> (the limit), <c>X-Bapi-Limit-Status</c> (what remains) and <c>X-Bapi-Limit-Reset-Timestamp</c>
/// (when the budget resets once exceeded, otherwise the current time). The docs count "per second" on a rolling
/// window; the simulator counts per second aligned to its clock (see docs/venues/bybit-facts.md).
/// </summary>
public sealed partial class BybitSimulator
{
    private readonly Lock _uidGate = new();
    private readonly Dictionary<string, (long Second, int Used)> _uidUsed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _leftOver = new(StringComparer.Ordinal);

    /// <summary>Margin mode reported by <c>/v5/account/info</c>: <c>ISOLATED_MARGIN</c>, <c>REGULAR_MARGIN</c> or <c>PORTFOLIO_MARGIN</c>.</summary>
    public string MarginMode { get; set; } = "REGULAR_MARGIN";

    /// <summary>A symbol the instruments list does not carry, on which position/list and order/realtime report one item each (null: none).</summary>
    public string? UnlistedSymbol { get; set; }

    /// <summary>
    /// The next request to <paramref name="path"/> finds only <paramref name="remaining"/> units of the endpoint's
    /// budget left in its second, as if another session of the same account had spent the rest.
    /// </summary>
    public void LeaveUidBudget(string path, int remaining)
    {
        lock (_uidGate)
        {
            _leftOver[path] = remaining;
        }
    }

    /// <summary>
    /// Charges <paramref name="units"/> against an endpoint's per-UID budget and writes the limit headers; returns how
    /// many units were granted (the first ones of a batch succeed, the rest fail).
    /// </summary>
    private int ChargeUid(string path, int limit, int units, Dictionary<string, string> headers)
    {
        var now = Clock.NowMilliseconds;
        var second = now / 1000;
        int granted;
        int remaining;
        lock (_uidGate)
        {
            var used = _uidUsed.TryGetValue(path, out var window) && window.Second == second ? window.Used : 0;
            if (_leftOver.Remove(path, out var left))
            {
                used = Math.Max(used, limit - left);
            }

            granted = Math.Clamp(limit - used, 0, units);
            used += granted;
            _uidUsed[path] = (second, used);
            remaining = Math.Max(0, limit - used);
        }

        headers[LimitHeader] = limit.ToString(CultureInfo.InvariantCulture);
        headers[LimitStatusHeader] = remaining.ToString(CultureInfo.InvariantCulture);
        headers[LimitResetHeader] = (granted < units ? (second + 1) * 1000 : now).ToString(CultureInfo.InvariantCulture);
        return granted;
    }

    private static bool TakeOne(ref int counter)
    {
        while (true)
        {
            var current = Volatile.Read(ref counter);
            if (current <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref counter, current - 1, current) == current)
            {
                return true;
            }
        }
    }
}
