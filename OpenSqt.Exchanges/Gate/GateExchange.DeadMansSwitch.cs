using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Gate;

/// <summary>
/// Gate's own dead-man's switch, <c>POST /futures/{settle}/countdown_cancel_all</c>
/// (https://www.gate.com/docs/developers/apiv4/en/futures/#countdown-cancel-orders-3; body as in the official SDK's
/// model, gateapi-csharp Io.Gate.GateApi.Model.CountdownCancelAllFuturesTask: "timeout: Countdown time, in seconds. At
/// least 5 seconds, 0 means cancel the countdown", optional "contract"; JKorf GateIo.Net
/// GateIo.Net/Clients/FuturesApi/GateIoRestClientPerpetualFuturesApiTrading.cs, CancelOrdersAfterAsync). "If no
/// market is specified, all market pending orders will be cancelled". The connector sends no contract and arms the
/// account-wide countdown: that is the documented form, one request refreshes every contract it trades, and a
/// connector owns its account. No maximum is documented; one hour bounds what the connector's option allows.
/// </summary>
internal sealed partial class GateExchange : IVenueDeadMansSwitch
{
    public DeadMansSwitchScope Scope => DeadMansSwitchScope.Account;

    public TimeSpan MinimumTimeout => TimeSpan.FromSeconds(5);

    public TimeSpan MaximumTimeout => TimeSpan.FromHours(1);

    public Task ArmAsync(string? symbol, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        SendCountdownAsync((long)timeout.TotalSeconds, cancellationToken);

    public Task DisarmAsync(string? symbol, CancellationToken cancellationToken = default) =>
        SendCountdownAsync(0, cancellationToken);

    private async Task SendCountdownAsync(long seconds, CancellationToken cancellationToken)
    {
        var body = VenueJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("timeout", seconds);
            w.WriteEndObject();
        });
        using var _ = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Post, Futures + "/countdown_cancel_all")
        {
            JsonBody = body,
            Signed = true,

            // Re-sending sets the same countdown again: safe to retry.
            Retry = RetryPolicy.Safe,
            Costs = GateRateLimits.Call(GateEndpoint.CountdownCancelAll),
            Operation = "countdownCancelAll",
        }, cancellationToken).ConfigureAwait(false);
    }
}
