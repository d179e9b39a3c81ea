using OpenSqt.Contracts;
using OpenSqt.VenueSimulators.Bitget;

namespace OpenSqt.Exchanges.Tests.Bitget;

/// <summary>
/// The venue-layer rules (issue 12, section 2) on Bitget beyond the shared conformance suite (which covers the read-back
/// failure, the 429 without Retry-After, the 120-order list, unknown values, the batch refused by rate limit, the
/// snapshot positions channel and the cancel of an unknown order): a position on an unlisted contract is skipped.
/// </summary>
public sealed class BitgetVenueRulesTests
{
    private const string Symbol = "BTCUSDT";

    [Fact]
    public async Task PositionOnAContractNotListedIsSkipped()
    {
        await using var sim = await BitgetSimulator.StartAsync();
        await using var bitget = BitgetConformanceTests.CreateBitget(sim);
        sim.UnlistedPositions["DELISTEDUSDT"] = 5m;
        await sim.Engine.PlaceOrderAsync(new OrderRequest { Symbol = Symbol, Side = OrderSide.Buy, Type = OrderType.Market, Quantity = 0.002m, ClientOrderId = "held1" });
        var positions = await bitget.GetPositionsAsync(null);
        Assert.Equal(Symbol, Assert.Single(positions).Symbol);
        var account = await bitget.GetAccountAsync();
        Assert.Equal(Symbol, Assert.Single(account.Positions).Symbol);
    }
}
