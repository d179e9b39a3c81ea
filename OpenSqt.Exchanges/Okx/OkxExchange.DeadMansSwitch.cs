using System.Globalization;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Okx;

/// <summary>
/// OKX's own dead-man's switch, <c>POST /api/v5/trade/cancel-all-after</c>
/// (https://www.okx.com/docs-v5/en/#order-book-trading-trade-post-cancel-all-after; JKorf OKX.Net
/// OKX.Net/Interfaces/Clients/UnifiedApi/IOKXRestClientUnifiedApiTrading.cs, CancelAllAfterAsync): "Cancel all pending
/// orders after a certain time. Recalling this endpoint resets the timeout"; <c>timeOut</c> in seconds, "Range of
/// value can be 0, [10, 120]. Setting timeOut to 0 disables Cancel All After". Without a <c>tag</c> it covers every
/// pending order of the account, so the scope is the account.
/// </summary>
internal sealed partial class OkxExchange : IVenueDeadMansSwitch
{
    public DeadMansSwitchScope Scope => DeadMansSwitchScope.Account;

    public TimeSpan MinimumTimeout => TimeSpan.FromSeconds(10);

    public TimeSpan MaximumTimeout => TimeSpan.FromSeconds(120);

    public Task ArmAsync(string? symbol, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        SendCancelAllAfterAsync((long)timeout.TotalSeconds, cancellationToken);

    public Task DisarmAsync(string? symbol, CancellationToken cancellationToken = default) =>
        SendCancelAllAfterAsync(0, cancellationToken);

    /// <summary>
    /// The endpoint allows one request a second and our window need not line up with OKX's: a 429 here pauses the budget
    /// until OKX's window has passed, and the same countdown is sent once more (setting it again is idempotent).
    /// </summary>
    private async Task SendCancelAllAfterAsync(long seconds, CancellationToken cancellationToken)
    {
        try
        {
            await SendCancelAllAfterOnceAsync(seconds, cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeException ex) when (ex.Kind == ExchangeErrorKind.RateLimited)
        {
            await SendCancelAllAfterOnceAsync(seconds, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendCancelAllAfterOnceAsync(long seconds, CancellationToken cancellationToken)
    {
        var body = VenueJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("timeOut", seconds.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        });
        using var _ = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Post, "/api/v5/trade/cancel-all-after")
        {
            JsonBody = body,
            Signed = true,

            // Re-sending sets the same countdown again: safe to retry.
            Retry = RetryPolicy.Safe,
            Costs = OkxRateLimits.Call(OkxEndpoint.CancelAllAfter),
            Operation = "cancelAllAfter",
        }, cancellationToken).ConfigureAwait(false);
    }
}
