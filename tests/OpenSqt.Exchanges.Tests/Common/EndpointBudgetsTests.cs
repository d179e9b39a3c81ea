using OpenSqt.Exchanges.Bitget;
using OpenSqt.Exchanges.Bybit;
using OpenSqt.Exchanges.Common;
using OpenSqt.Exchanges.Gate;
using OpenSqt.Exchanges.Okx;

namespace OpenSqt.Exchanges.Tests.Common;

/// <summary>
/// A venue's endpoint budgets over its endpoint enum: every member in exactly one tier (else the table does not even
/// initialise, naming the member), a rule per member named after it, and one call's cost built once.
/// </summary>
public sealed class EndpointBudgetsTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    internal enum TestEndpoint
    {
        Place, Cancel,
        Quote,
    }

    [Fact]
    public void AMemberWithoutATierFailsTheConstructionNamingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new EndpointBudgets<TestEndpoint>(null, null, (10, Second, [TestEndpoint.Place, TestEndpoint.Cancel])));
        Assert.Equal("TestEndpoint.Quote has no rate-limit tier", error.Message);
    }

    [Fact]
    public void AMemberInTwoTiersFailsTheConstructionNamingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new EndpointBudgets<TestEndpoint>(null, null,
            (10, Second, [TestEndpoint.Place, TestEndpoint.Cancel]),
            (20, Second, [TestEndpoint.Quote, TestEndpoint.Cancel])));
        Assert.Equal("TestEndpoint.Cancel stands in two rate-limit tiers", error.Message);
    }

    [Fact]
    public void AVenueTableWithAMemberMissingFailsItsTypeInitialisation()
    {
        var error = Assert.Throws<TypeInitializationException>(() => IncompleteLimits.Rules);
        Assert.Equal("TestEndpoint.Quote has no rate-limit tier", Assert.IsType<InvalidOperationException>(error.InnerException).Message);
    }

    [Fact]
    public void EachMemberIsARuleOfItsTierNamedAfterItAfterTheSharedOne()
    {
        var budgets = Complete();
        Assert.Equal(
            [("IP", 100, TimeSpan.FromMinutes(1), (string?)null), ("Place", 10, Second, "remain"), ("Cancel", 10, Second, "remain"), ("Quote", 20, Second, "remain")],
            budgets.Rules.Select(r => (r.Name, r.Limit, r.Window, r.RemainingHeader)));
        Assert.False(budgets.Rules[0].PausedByRefusal);
        Assert.Equal("Quote", budgets.Name(TestEndpoint.Quote));
    }

    [Fact]
    public void OneCallCostsOneSharedUnitAndItsUnitsLastAndOneUnitIsBuiltOnce()
    {
        var budgets = Complete();
        Assert.Equal([new RateLimitCost("IP", 1), new RateLimitCost("Cancel", 1)], budgets.Call(TestEndpoint.Cancel));
        Assert.Same(budgets.Call(TestEndpoint.Cancel), budgets.Call(TestEndpoint.Cancel));
        Assert.Equal([new RateLimitCost("IP", 1), new RateLimitCost("Place", 7)], budgets.Call(TestEndpoint.Place, 7));
        Assert.Equal([new RateLimitCost("Quote", 1)], new EndpointBudgets<TestEndpoint>(null, null, (5, Second, [TestEndpoint.Place, TestEndpoint.Cancel, TestEndpoint.Quote])).Call(TestEndpoint.Quote));
        Assert.Throws<ArgumentOutOfRangeException>(() => budgets.Call((TestEndpoint)99));
    }

    [Fact]
    public void EveryVenueTableHasOneRulePerEndpointBesidesItsSharedBudget()
    {
        Assert.Equal(Enum.GetValues<BitgetEndpoint>().Length + 1, BitgetRateLimits.Rules.Select(r => r.Name).Distinct().Count());
        Assert.Equal(Enum.GetValues<BybitEndpoint>().Length + 1, BybitRateLimits.Rules.Select(r => r.Name).Distinct().Count());
        Assert.Equal(Enum.GetValues<GateEndpoint>().Length, GateRateLimits.Rules.Select(r => r.Name).Distinct().Count());
        Assert.Equal(Enum.GetValues<OkxEndpoint>().Length, OkxRateLimits.Rules.Select(r => r.Name).Distinct().Count());
        Assert.Equal(10, BitgetRateLimits.Rules.Single(r => r.Name == nameof(BitgetEndpoint.PlaceOrder)).Limit);
        Assert.Equal("OrderCreate", BybitRateLimits.Rule(BybitEndpoint.OrderCreate));
        Assert.Equal(300, OkxRateLimits.Rules.Single(r => r.Name == OkxRateLimits.Rule(OkxEndpoint.BatchOrders)).Limit);
    }

    private static EndpointBudgets<TestEndpoint> Complete() =>
        new(new RateLimitRule("IP", 100, TimeSpan.FromMinutes(1)) { PausedByRefusal = false }, "remain",
            (10, Second, [TestEndpoint.Place, TestEndpoint.Cancel]),
            (20, Second, [TestEndpoint.Quote]));

    /// <summary>A venue's table as the venues declare theirs, one member short.</summary>
    private static class IncompleteLimits
    {
        private static readonly EndpointBudgets<TestEndpoint> Budgets = new(null, null, (10, Second, [TestEndpoint.Place, TestEndpoint.Cancel]));

        public static IReadOnlyList<RateLimitRule> Rules => Budgets.Rules;
    }
}
