using System.Globalization;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Binance;
using OpenSqt.VenueSimulators.Bybit;
using OpenSqt.VenueSimulators.Gate;
using OpenSqt.VenueSimulators.Okx;
using W = OpenSqt.Contracts.Wire;
using static OpenSqt.ExchangeConnector.Tests.Wire;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>
/// Issue 14, "Connector killed with SIGKILL on a venue simulator that implements the countdown": the real connector
/// process trades on the venue simulator (in this test process) and arms the venue's countdown; while it runs it
/// refreshes the countdown and the venue cancels nothing; killed, it refreshes no more, and the venue cancels every
/// order of the symbol once the countdown runs out (Bybit: its disconnection protection, refreshed by the private
/// stream's heartbeat, fires when that stream has been dead for the window). The simulator runs on the wall clock.
/// </summary>
public sealed class DeadMansSwitchKillTests
{
    private const string Symbol = "BTCUSDT";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task BinanceCancelsEveryOrderAfterTheConnectorIsKilledAndNotBefore()
    {
        // Binance's countdown is per symbol; 5 s is the shortest the connector arms there.
        const int timeoutSeconds = 5;
        await using var sim = await BinanceSimulator.StartAsync();
        await KillAndWatchAsync(new Dictionary<string, string>
        {
            ["EXCHANGE"] = "binance",
            ["API_KEY"] = BinanceSimulator.DefaultApiKey,
            ["API_SECRET"] = BinanceSimulator.DefaultApiSecret,
            ["Exchanges:Binance:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Binance:WsBaseUrl"] = sim.WsBaseUrl,
        }, timeoutSeconds, sim.Engine, () => sim.CountdownCalls, () => sim.CountdownFirings, () => sim.CountdownFiresAt(Symbol) is not null);
    }

    [Fact]
    public async Task OkxCancelsEveryOrderAfterTheConnectorIsKilledAndNotBefore()
    {
        // OKX's countdown covers the account; 10 s is the shortest it accepts.
        const int timeoutSeconds = 10;
        await using var sim = await OkxSimulator.StartAsync();
        await KillAndWatchAsync(new Dictionary<string, string>
        {
            ["EXCHANGE"] = "okx",
            ["API_KEY"] = OkxSimulator.DefaultApiKey,
            ["API_SECRET"] = OkxSimulator.DefaultApiSecret,
            ["PASSPHRASE"] = OkxSimulator.DefaultPassphrase,
            ["Exchanges:Okx:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Okx:WsBaseUrl"] = sim.WsPublicUrl,
            ["Exchanges:Okx:WsPrivateUrl"] = sim.WsPrivateUrl,
            ["Exchanges:Okx:WsBusinessUrl"] = sim.WsBusinessUrl,
        }, timeoutSeconds, sim.Engine, () => sim.CountdownCalls, () => sim.CountdownFirings, () => sim.CountdownFiresAt is not null);
    }

    [Fact]
    public async Task GateCancelsEveryOrderAfterTheConnectorIsKilledAndNotBefore()
    {
        // Gate's countdown covers the settle account; 5 s is the shortest it accepts.
        const int timeoutSeconds = 5;
        await using var sim = await GateSimulator.StartAsync();
        await KillAndWatchAsync(new Dictionary<string, string>
        {
            ["EXCHANGE"] = "gate",
            ["API_KEY"] = GateSimulator.DefaultApiKey,
            ["API_SECRET"] = GateSimulator.DefaultApiSecret,
            ["Exchanges:Gate:RestBaseUrl"] = sim.ApiBaseUrl,
            ["Exchanges:Gate:WsBaseUrl"] = sim.FuturesWsUrl,
        }, timeoutSeconds, sim.Engine, () => sim.CountdownCalls, () => sim.CountdownFirings, () => sim.CountdownFiresAt is not null);
    }

    [Fact]
    public async Task BybitCancelsEveryOrderAfterTheConnectorIsKilledAndNotBefore()
    {
        // Bybit's disconnection protection covers the account and fires once every private connection subscribed to
        // dcp.future has been dead for the window; the connection's heartbeat is what refreshes it, so the pings the
        // simulator receives (one a second here) are the refreshes.
        const int timeoutSeconds = 5;
        await using var sim = await BybitSimulator.StartAsync();
        await KillAndWatchAsync(new Dictionary<string, string>
        {
            ["EXCHANGE"] = "bybit",
            ["API_KEY"] = BybitSimulator.DefaultApiKey,
            ["API_SECRET"] = BybitSimulator.DefaultApiSecret,
            ["Exchanges:Bybit:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Bybit:WsBaseUrl"] = sim.WsBaseUrl,
            ["Exchanges:Bybit:PingInterval"] = "00:00:01",
        }, timeoutSeconds, sim.Engine, () => sim.PingsReceived, () => sim.DcpFirings, () => sim.DcpSubscribers > 0 && sim.DcpWindowSeconds == timeoutSeconds);
    }

    private static async Task KillAndWatchAsync(Dictionary<string, string> environment, int timeoutSeconds, OpenSqt.Exchanges.Sim.SimExchange venue,
        Func<int> countdownCalls, Func<int> countdownFirings, Func<bool> armed)
    {
        environment["Connector:DeadMansSwitch:timeoutSeconds"] = timeoutSeconds.ToString(CultureInfo.InvariantCulture);
        await using var connector = ConnectorProcess.Start(environment);
        using var channel = connector.CreateChannel();
        var client = new W.ExchangeService.ExchangeServiceClient(channel);
        await connector.WaitReadyAsync(client, Timeout);

        var last = await venue.GetLatestPriceAsync(Symbol);
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, (last - 1000m).ToString(CultureInfo.InvariantCulture), "0.002", "kill1"));
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, (last - 1001m).ToString(CultureInfo.InvariantCulture), "0.002", "kill2"));
        Assert.True(armed(), "the connector armed the venue's countdown before the first order");

        // While the connector lives it refreshes every quarter of the countdown: three countdowns pass with orders open.
        var calls = countdownCalls();
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(3 * timeoutSeconds);
        while (DateTimeOffset.UtcNow < until)
        {
            var callsBefore = countdownCalls();
            await Eventually.TrueAsync(() => countdownCalls() > callsBefore, TimeSpan.FromSeconds(timeoutSeconds), "the connector refreshed the countdown\n" + connector.Output);
        }

        Assert.True(countdownCalls() >= calls + 6, $"refreshed {countdownCalls() - calls} times in {3 * timeoutSeconds} s");
        Assert.Equal(0, countdownFirings());
        Assert.Equal(2, (await venue.GetOpenOrdersAsync(Symbol)).Count);

        // SIGKILL: no graceful stop. Within the countdown (plus scheduling slack) the venue cancels both orders itself.
        await connector.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;
        var callsAtKill = countdownCalls();
        await Eventually.TrueAsync(async () => (await venue.GetOpenOrdersAsync(Symbol)).Count == 0, TimeSpan.FromSeconds(timeoutSeconds + 10), "the venue cancelled every order after the kill");
        var elapsed = DateTimeOffset.UtcNow - killedAt;
        Assert.Equal(1, countdownFirings());
        Assert.Equal(callsAtKill, countdownCalls());
        Assert.True(elapsed <= TimeSpan.FromSeconds(timeoutSeconds + 2), $"cancelled {elapsed.TotalSeconds:0.0} s after the kill");
    }
}
