using OpenSqt.Contracts;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

[Collection(VenueCollection.Name)]
public sealed class ConnectorRestartTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task FillsDuringAConnectorRestartAreFoundByReconciliationAndBookedOnce()
    {
        await using var venue = new SharedVenue();
        var sim = venue.Sim;
        var port = ConnectorHost.FreePort();
        var connector = await venue.StartConnectorAsync(port);
        var state = Path.Combine(Path.GetTempPath(), $"opensqt-restart-{Guid.NewGuid():N}.db");
        var settings = EngineHarness.BtcGrid(state);
        await using var engine = await EngineHarness.StartAsync(new Uri($"http://127.0.0.1:{port}"), settings);
        var anchor = engine.Host.Engines["BTCUSDT"].Snapshot.Anchor!.Value;
        await Eventually.TrueAsync(async () => (await sim.GetOpenOrdersAsync("BTCUSDT")).Count(o => o.Side == OrderSide.Buy) == 3, Wait, "three buys work");

        await connector.StopAsync();
        await connector.DisposeAsync();
        using var http = new HttpClient { BaseAddress = engine.HttpAddress };
        await Eventually.TrueAsync(async () => (await Health(http)).Contains("connector unreachable", StringComparison.Ordinal), Wait, "/health says the connector is unreachable");

        // The market trades through two buys while the engine cannot hear about it.
        sim.Trade("BTCUSDT", anchor - 100m, 1m);
        sim.Trade("BTCUSDT", anchor - 200m, 1m);
        var venuePosition = (await sim.GetPositionsAsync("BTCUSDT")).Sum(p => p.Size);
        Assert.True(venuePosition > 0);

        await using var restarted = await venue.StartConnectorAsync(port);
        var btc = engine.Host.Engines["BTCUSDT"];
        await Eventually.TrueAsync(() => btc.Snapshot.Position == venuePosition, Wait, "reconciliation books the fills of the gap");
        var fills = (await engine.Positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" } })).Fills;
        Assert.Equal(2, fills.Count);
        Assert.Equal([anchor - 200m, anchor - 100m], fills.Select(f => f.Price.ToDecimal()).Order().ToArray());

        // Another reconciliation (and the stream updates that may still arrive) books nothing twice.
        var run = await engine.Risk.TriggerReconciliationAsync(new());
        await Eventually.TrueAsync(async () => (await engine.Risk.GetReconciliationStatusAsync(new() { ReconciliationId = run.ReconciliationId })).Status == "completed", Wait, "the operator's reconciliation completes");
        var status = await engine.Risk.GetReconciliationStatusAsync(new() { ReconciliationId = run.ReconciliationId });
        Assert.True(status.Results.Single().PositionMatch);
        Assert.Equal(2, (await engine.Positions.GetFillsAsync(new() { Symbols = { "BTCUSDT" } })).Fills.Count);
        Assert.Equal(venuePosition, btc.Snapshot.Position);
        await Eventually.TrueAsync(async () => !(await Health(http)).Contains("unreachable", StringComparison.Ordinal), Wait, "/health no longer reports the connector");
    }

    private static async Task<string> Health(HttpClient http)
    {
        using var response = await http.GetAsync("/health");
        return await response.Content.ReadAsStringAsync();
    }
}
