using System.Globalization;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Binance;

/// <summary>
/// Binance USDT-M's own dead-man's switch, <c>POST /fapi/v1/countdownCancelAll</c>
/// (https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Auto-Cancel-All-Open-Orders):
/// "Cancel all open orders of the specified symbol at the end of the specified countdown"; called again it replaces the
/// countdown ("should be called repeatedly as heartbeats"); <c>countdownTime</c> in milliseconds, "0 to cancel the
/// timer"; weight 10. One countdown per symbol.
/// </summary>
internal sealed partial class BinanceExchange : IVenueDeadMansSwitch
{
    private readonly HashSet<string> _countdownSymbols = new(StringComparer.Ordinal);
    private readonly Lock _countdownGate = new();

    public DeadMansSwitchScope Scope => DeadMansSwitchScope.Symbol;

    /// <summary>
    /// The USDT-M page documents no minimum, only "We do not recommend setting the countdown time to be too precise or
    /// too small" (the venue checks countdowns about every 10 ms). We take the 5,000 ms minimum Binance documents for
    /// its options countdown of the same kind ("Minimum acceptable value is 5,000",
    /// https://developers.binance.com/docs/derivatives/option/market-maker-endpoints/Set-Auto-Cancel-All-Open-Orders-Config).
    /// </summary>
    public TimeSpan MinimumTimeout => TimeSpan.FromSeconds(5);

    /// <summary>No maximum is documented; one hour bounds what the connector's option allows.</summary>
    public TimeSpan MaximumTimeout => TimeSpan.FromHours(1);

    public async Task ArmAsync(string? symbol, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var target = symbol ?? throw new ExchangeException(ExchangeErrorKind.InvalidArgument, "binance USDT-M countdowns are per symbol; a symbol is required");
        await SendCountdownAsync(target, (long)timeout.TotalMilliseconds, cancellationToken).ConfigureAwait(false);
        lock (_countdownGate)
        {
            if (timeout > TimeSpan.Zero)
            {
                _countdownSymbols.Add(target);
            }
            else
            {
                _countdownSymbols.Remove(target);
            }
        }
    }

    /// <summary>Stops the countdown of <paramref name="symbol"/>, or of every symbol this connector armed when null.</summary>
    public async Task DisarmAsync(string? symbol, CancellationToken cancellationToken = default)
    {
        string[] symbols;
        lock (_countdownGate)
        {
            symbols = symbol is null ? [.. _countdownSymbols] : [symbol];
        }

        foreach (var s in symbols)
        {
            await SendCountdownAsync(s, 0, cancellationToken).ConfigureAwait(false);
            lock (_countdownGate)
            {
                _countdownSymbols.Remove(s);
            }
        }
    }

    private async Task SendCountdownAsync(string symbol, long countdownMs, CancellationToken cancellationToken)
    {
        using var _ = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Post, "/fapi/v1/countdownCancelAll")
        {
            Parameters =
            [
                KeyValuePair.Create("symbol", symbol),
                KeyValuePair.Create("countdownTime", countdownMs.ToString(CultureInfo.InvariantCulture)),
            ],
            Signed = true,

            // Re-sending sets the same countdown again: safe to retry.
            Retry = RetryPolicy.Safe,
            Costs = BinanceRateLimits.Ip(10),
            Operation = "countdownCancelAll",
        }, cancellationToken).ConfigureAwait(false);
    }
}
