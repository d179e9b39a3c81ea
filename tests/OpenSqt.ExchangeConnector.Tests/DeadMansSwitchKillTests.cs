using System.Globalization;
using OpenSqt.TestSupport;
using OpenSqt.VenueSimulators.Binance;
using W = OpenSqt.Contracts.Wire;
using static OpenSqt.ExchangeConnector.Tests.Wire;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>
/// Issue 14, "Connector killed with SIGKILL on a venue simulator that implements the countdown": the real connector
/// process trades on the venue simulator (in this test process) and arms the venue's countdown; while it runs it
/// refreshes the countdown and the venue cancels nothing; killed, it refreshes no more, and the venue cancels every
/// order of the symbol once the countdown runs out. The simulator runs on the wall clock.
/// </summary>
public sealed class DeadMansSwitchKillTests
{
    private const string Symbol = "BTCUSDT";
    private const int TimeoutSeconds = 5;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task BinanceCancelsEveryOrderAfterTheConnectorIsKilledAndNotBefore()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var connector = ConnectorProcess.Start(new Dictionary<string, string>
        {
            ["EXCHANGE"] = "binance",
            ["API_KEY"] = BinanceSimulator.DefaultApiKey,
            ["API_SECRET"] = BinanceSimulator.DefaultApiSecret,
            ["Exchanges:Binance:RestBaseUrl"] = sim.RestBaseUrl,
            ["Exchanges:Binance:WsBaseUrl"] = sim.WsBaseUrl,
            ["Connector:DeadMansSwitch:TimeoutSeconds"] = TimeoutSeconds.ToString(CultureInfo.InvariantCulture),
        });
        using var channel = connector.CreateChannel();
        var client = new W.ExchangeService.ExchangeServiceClient(channel);
        await connector.WaitReadyAsync(client, Timeout);

        var last = await sim.Engine.GetLatestPriceAsync(Symbol);
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, (last - 1000m).ToString(CultureInfo.InvariantCulture), "0.002", "kill1"));
        await client.PlaceOrderAsync(Limit(W.OrderSide.Buy, (last - 1001m).ToString(CultureInfo.InvariantCulture), "0.002", "kill2"));
        Assert.NotNull(sim.CountdownFiresAt(Symbol));

        // While the connector lives it refreshes every quarter of the countdown: three countdowns pass with orders open.
        var calls = sim.CountdownCalls;
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(3 * TimeoutSeconds);
        while (DateTimeOffset.UtcNow < until)
        {
            var callsBefore = sim.CountdownCalls;
            await Eventually.TrueAsync(() => sim.CountdownCalls > callsBefore, TimeSpan.FromSeconds(TimeoutSeconds), "the connector refreshed the countdown\n" + connector.Output);
        }

        Assert.True(sim.CountdownCalls >= calls + 6, $"refreshed {sim.CountdownCalls - calls} times in {3 * TimeoutSeconds} s");
        Assert.Equal(0, sim.CountdownFirings);
        Assert.Equal(2, (await sim.Engine.GetOpenOrdersAsync(Symbol)).Count);

        // SIGKILL: no graceful stop. Within the countdown (plus scheduling slack) the venue cancels both orders itself.
        await connector.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;
        var callsAtKill = sim.CountdownCalls;
        await Eventually.TrueAsync(async () => (await sim.Engine.GetOpenOrdersAsync(Symbol)).Count == 0, TimeSpan.FromSeconds(TimeoutSeconds + 10), "the venue cancelled every order after the kill");
        var elapsed = DateTimeOffset.UtcNow - killedAt;
        Assert.Equal(1, sim.CountdownFirings);
        Assert.Equal(callsAtKill, sim.CountdownCalls);
        Assert.True(elapsed <= TimeSpan.FromSeconds(TimeoutSeconds + 2), $"cancelled {elapsed.TotalSeconds:0.0} s after the kill");
    }
}
