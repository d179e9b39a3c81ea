using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Gate;

namespace OpenSqt.Exchanges.Tests.Gate;

/// <summary>
/// Issue 14 level 1 on Gate, what only Gate does: <c>POST /futures/usdt/countdown_cancel_all</c> is armed for the
/// account with the body byte for byte, zero stops it, and a countdown outside the documented range is refused.
/// Refresh-then-silence is the shared case
/// <see cref="VenueConformanceTests.RefreshingTheDeadMansSwitchKeepsOrdersAndSilenceLetsTheVenueCancelThemAfterTheCountdown"/>.
/// </summary>
public sealed class GateDeadMansSwitchTests
{
    [Fact]
    public async Task TheArmedCountdownIsSignedForTheAccountAndZeroStopsIt()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var exchange = GateConformanceTests.CreateGate(sim);
        IVenueDeadMansSwitch dms = exchange;
        Assert.Equal((DeadMansSwitchScope.Account, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1)), (dms.Scope, dms.MinimumTimeout, dms.MaximumTimeout));

        await dms.ArmAsync(null, TimeSpan.FromSeconds(60));
        var firesAt = sim.CountdownFiresAt;
        Assert.NotNull(firesAt);
        Assert.InRange(firesAt.Value - sim.Clock.GetUtcNow(), TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(60));

        // The body as sent, byte for byte (the simulator has checked its SIGN over method, path, query, body hash and timestamp).
        var request = sim.Journal.All.Single(r => r.Path.EndsWith("/futures/usdt/countdown_cancel_all", StringComparison.Ordinal));
        Assert.Equal(("POST", 200, "{\"timeout\":60}"), (request.Method, request.Status, request.Body));

        await dms.DisarmAsync(null);
        Assert.Null(sim.CountdownFiresAt);
        Assert.Equal("{\"timeout\":0}", sim.Journal.All.Last(r => r.Path.EndsWith("/futures/usdt/countdown_cancel_all", StringComparison.Ordinal)).Body);
        Assert.Equal(2, sim.CountdownCalls);
    }

    [Fact]
    public async Task ACountdownOutsideTheDocumentedRangeIsRefusedByTheVenue()
    {
        await using var sim = await GateSimulator.StartAsync();
        await using var exchange = GateConformanceTests.CreateGate(sim);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.ArmAsync(null, TimeSpan.FromSeconds(3)));
        Assert.Equal("INVALID_PARAM_VALUE", ex.VenueCode);
        Assert.Null(sim.CountdownFiresAt);
    }
}
