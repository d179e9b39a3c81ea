using OpenSqt.Contracts;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Okx;

namespace OpenSqt.Exchanges.Tests.Okx;

/// <summary>
/// Issue 14 level 1 on OKX, what only OKX does: <c>POST /api/v5/trade/cancel-all-after</c> is armed for the account
/// with the body byte for byte, zero stops it, and a countdown outside the documented range is refused. Refresh-then-
/// silence is the shared case
/// <see cref="VenueConformanceTests.RefreshingTheDeadMansSwitchKeepsOrdersAndSilenceLetsTheVenueCancelThemAfterTheCountdown"/>.
/// </summary>
public sealed class OkxDeadMansSwitchTests
{
    [Fact]
    public async Task TheArmedCountdownIsSignedForTheAccountAndZeroStopsIt()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        IVenueDeadMansSwitch dms = exchange;
        Assert.Equal((DeadMansSwitchScope.Account, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(120)), (dms.Scope, dms.MinimumTimeout, dms.MaximumTimeout));

        await dms.ArmAsync(null, TimeSpan.FromSeconds(60));
        var firesAt = sim.CountdownFiresAt;
        Assert.NotNull(firesAt);
        Assert.InRange(firesAt.Value - sim.Clock.GetUtcNow(), TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(60));

        // The body as sent, byte for byte (the simulator has checked its OK-ACCESS-SIGN over timestamp, method, path and body).
        var request = sim.Journal.All.Single(r => r.Path == "/api/v5/trade/cancel-all-after");
        Assert.Equal(("POST", 200, "{\"timeOut\":\"60\"}"), (request.Method, request.Status, request.Body));

        await dms.DisarmAsync(null);
        Assert.Null(sim.CountdownFiresAt);
        Assert.Equal("{\"timeOut\":\"0\"}", sim.Journal.All.Last(r => r.Path == "/api/v5/trade/cancel-all-after").Body);
        Assert.Equal(2, sim.CountdownCalls);
    }

    [Fact]
    public async Task ACountdownOutsideTheDocumentedRangeIsRefusedByTheVenue()
    {
        await using var sim = await OkxSimulator.StartAsync();
        await using var exchange = OkxConformanceTests.CreateOkx(sim);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.ArmAsync(null, TimeSpan.FromSeconds(5)));
        Assert.Equal("51000", ex.VenueCode);
        Assert.Null(sim.CountdownFiresAt);
    }
}
