using System.Globalization;
using System.Text.Json;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Common;

namespace OpenSqt.Exchanges.Bybit;

/// <summary>
/// Bybit's disconnection protection (DCP) as the connector's venue switch. It is not a countdown the client refreshes:
/// <list type="bullet">
/// <item>Bybit enables it per account on request ("contact your client manager"; "only available for Ins clients",
/// https://bybit-exchange.github.io/docs/v5/order/dcp). <c>GET /v5/account/query-dcp-info</c> lists the products it
/// is on for, with their window (docs/v5/account/dcp-info); an account without it gets an empty list.</item>
/// <item><c>POST /v5/order/disconnected-cancel-all</c> with <c>product=DERIVATIVES</c> sets the window, an integer in
/// [3, 300] seconds (docs/v5/order/dcp); "it is recommended to query or set again after 10 seconds".</item>
/// <item>It fires when every private connection subscribed to <c>dcp.future</c> has been dead for the window
/// (docs/v5/websocket/private/dcp): the private stream holds the subscription, and its heartbeat is the refresh.</item>
/// </list>
/// Arming checks the account's DCP (again every <see cref="DcpRecheck"/>), sets the window when it differs from the
/// connector's timeout, and makes sure the private stream is subscribed; a refresh only confirms the subscription.
/// Disarming unsubscribes, so a graceful stop that closes the socket does not trigger it. The protection covers every
/// derivatives order of the account: the scope is the account.
/// </summary>
internal sealed partial class BybitExchange : IVenueDeadMansSwitch
{
    private const string Derivatives = "DERIVATIVES";
    private static readonly TimeSpan DcpRecheck = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan DcpSubscribeTimeout = TimeSpan.FromSeconds(10);
    private int _dcpWindowSet;
    private DateTimeOffset _dcpCheckedAt;

    public DeadMansSwitchScope Scope => DeadMansSwitchScope.Account;

    /// <summary>timeWindow "[3, 300], unit: second" (docs/v5/order/dcp).</summary>
    public TimeSpan MinimumTimeout => TimeSpan.FromSeconds(3);

    public TimeSpan MaximumTimeout => TimeSpan.FromSeconds(300);

    public async Task ArmAsync(string? symbol, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var seconds = (int)Math.Ceiling(timeout.TotalSeconds);
        if (Volatile.Read(ref _dcpWindowSet) != seconds || Time.GetUtcNow() - _dcpCheckedAt > DcpRecheck)
        {
            var window = await GetDcpWindowAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new ExchangeException(ExchangeErrorKind.PermissionDenied,
                    "Bybit's disconnection protection (DCP) is not enabled for DERIVATIVES on this account (query-dcp-info lists none); " +
                    "Bybit enables it on request for institutional accounts. Until then nothing at Bybit cancels the orders if the connector dies; " +
                    "Connector__DeadMansSwitch__TimeoutSeconds=0 runs without it");
            if (window != seconds)
            {
                await SetDcpWindowAsync(seconds, cancellationToken).ConfigureAwait(false);
            }

            Volatile.Write(ref _dcpWindowSet, seconds);
            _dcpCheckedAt = Time.GetUtcNow();
        }

        await UserStream.EnsureDisconnectProtectionAsync(DcpSubscribeTimeout, cancellationToken).ConfigureAwait(false);
    }

    public Task DisarmAsync(string? symbol, CancellationToken cancellationToken = default) =>
        UserStream.StopDisconnectProtectionAsync(DcpSubscribeTimeout, cancellationToken);

    /// <summary>The DERIVATIVES window in seconds when DCP is on for them, otherwise null.</summary>
    private async Task<int?> GetDcpWindowAsync(CancellationToken cancellationToken)
    {
        using var doc = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Get, "/v5/account/query-dcp-info")
        {
            Signed = true,
            Costs = BybitRateLimits.Call(BybitEndpoint.QueryDcpInfo),
            Operation = "dcpInfo",
        }, cancellationToken).ConfigureAwait(false);
        if (!BybitParsers.Result(doc.RootElement).TryGetProperty("dcpInfos", out var infos) || infos.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var info in infos.EnumerateArray())
        {
            if (info.GetStringOrNull("product") == Derivatives && info.GetStringOrNull("dcpStatus") == "ON")
            {
                // timeWindow is a string in this answer ("10").
                return int.TryParse(info.GetStringOrNull("timeWindow"), NumberStyles.None, CultureInfo.InvariantCulture, out var window) ? window : 0;
            }
        }

        return null;
    }

    private async Task SetDcpWindowAsync(int seconds, CancellationToken cancellationToken)
    {
        using var _ = await Rest.GetJsonAsync(new VenueRequest(HttpMethod.Post, "/v5/order/disconnected-cancel-all")
        {
            JsonBody = VenueJson.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("product", Derivatives);
                w.WriteNumber("timeWindow", seconds);
                w.WriteEndObject();
            }),
            Signed = true,

            // Setting the same window again is harmless: safe to retry.
            Retry = RetryPolicy.Safe,
            Costs = BybitRateLimits.Call(BybitEndpoint.DisconnectedCancelAll),
            Operation = "setDcp",
        }, cancellationToken).ConfigureAwait(false);
    }
}
