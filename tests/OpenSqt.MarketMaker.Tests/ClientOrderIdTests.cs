using OpenSqt.Contracts;
using OpenSqt.MarketMaker.Strategy;

namespace OpenSqt.MarketMaker.Tests;

public sealed class ClientOrderIdTests
{
    [Theory]
    [InlineData(OrderRole.OpenLong, -3L, 1L, OrderSide.Buy)]
    [InlineData(OrderRole.CloseLong, -3L, 2L, OrderSide.Sell)]
    [InlineData(OrderRole.OpenShort, 7L, 35L, OrderSide.Sell)]
    [InlineData(OrderRole.CloseShort, 7L, 36L, OrderSide.Buy)]
    [InlineData(OrderRole.CloseLong, 0L, long.MaxValue / 1024, OrderSide.Sell)]
    [InlineData(OrderRole.OpenLong, -2_000_000_000L, 999_999_999_999L, OrderSide.Buy)]
    public void IdsEncodeSlotSideAndRoleAndStayWithinEveryVenuesRules(OrderRole role, long level, long sequence, OrderSide side)
    {
        var id = ClientOrderId.Create("AB12", ClientOrderId.SymbolTag("BTCUSDT"), role, level, sequence);
        Assert.True(ClientOrderId.IsValid(id), id);
        Assert.True(id.Length <= 32);
        Assert.True(ClientOrderId.TryParse(id, out var parts));
        Assert.Equal(side, parts.Value.Side);
        Assert.Equal(role, parts.Value.Role);
        Assert.Equal(level, parts.Value.Level);
        Assert.Equal(sequence, parts.Value.Sequence);
        Assert.Equal(side == OrderSide.Buy ? 'B' : 'S', id[7]);
    }

    /// <summary>The layout, character for character: ids of orders already on the venues and in state files must keep parsing.</summary>
    [Theory]
    [InlineData(OrderRole.OpenLong, -3L, 36L, "AB12XYZBOM3X10")]
    [InlineData(OrderRole.CloseLong, 0L, 0L, "AB12XYZSCP0X0")]
    [InlineData(OrderRole.OpenShort, 35L, 1_295L, "AB12XYZSOPzXzz")]
    [InlineData(OrderRole.CloseShort, -1_296L, 46_656L, "AB12XYZBCM100X1000")]
    public void IdsAreLaidOutAsDocumented(OrderRole role, long level, long sequence, string expected)
    {
        Assert.Equal(expected, ClientOrderId.Create("AB12", "XYZ", role, level, sequence));
    }

    [Fact]
    public void IdsAreDeterministicAndUniquePerSequenceAndSymbol()
    {
        var btc = ClientOrderId.SymbolTag("BTCUSDT");
        var eth = ClientOrderId.SymbolTag("ETHUSDT");
        Assert.NotEqual(btc, eth);
        Assert.Equal(ClientOrderId.Create("BOOK", btc, OrderRole.OpenLong, -1, 5), ClientOrderId.Create("BOOK", btc, OrderRole.OpenLong, -1, 5));
        var ids = Enumerable.Range(1, 5000).Select(i => ClientOrderId.Create("BOOK", btc, (OrderRole)(1 + (i % 4)), i % 7, i)).ToHashSet();
        Assert.Equal(5000, ids.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AB12XYZQOP1X")]
    [InlineData("AB12XYZBOP1X")]
    [InlineData("AB12XYZBOQ1X2")]
    public void ForeignIdsAreNotMistakenForTheEngines(string id) => Assert.False(ClientOrderId.TryParse(id, out _));
}
