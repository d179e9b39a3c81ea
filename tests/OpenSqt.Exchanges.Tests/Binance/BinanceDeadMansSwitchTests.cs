using System.Text.RegularExpressions;
using OpenSqt.Contracts;
using OpenSqt.Exchanges.Binance;
using OpenSqt.Exchanges.Tests.Conformance;
using OpenSqt.VenueSimulators.Binance;

namespace OpenSqt.Exchanges.Tests.Binance;

/// <summary>
/// Issue 14 level 1 on Binance USDT-M, what only Binance does: <c>POST /fapi/v1/countdownCancelAll</c> is armed per
/// symbol, signed in the query, and a countdown of zero stops it. Refresh-then-silence is the shared case
/// <see cref="VenueConformanceTests.RefreshingTheDeadMansSwitchKeepsOrdersAndSilenceLetsTheVenueCancelThemAfterTheCountdown"/>.
/// </summary>
public sealed partial class BinanceDeadMansSwitchTests
{
    private const string Symbol = "BTCUSDT";

    [GeneratedRegex("^symbol=BTCUSDT&countdownTime=(?<ms>[0-9]+)&recvWindow=5000&timestamp=[0-9]{13}$")]
    private static partial Regex CountdownQuery();

    [Fact]
    public async Task TheArmedCountdownIsSignedPerSymbolAndZeroStopsIt()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        IVenueDeadMansSwitch dms = exchange;
        Assert.Equal(DeadMansSwitchScope.Symbol, dms.Scope);
        Assert.Equal(TimeSpan.FromSeconds(5), dms.MinimumTimeout);

        await dms.ArmAsync(Symbol, TimeSpan.FromSeconds(60));
        var firesAt = sim.CountdownFiresAt(Symbol);
        Assert.NotNull(firesAt);
        Assert.InRange(firesAt.Value - sim.Clock.GetUtcNow(), TimeSpan.FromSeconds(55), TimeSpan.FromSeconds(60));

        // The request as sent, byte for byte: symbol and countdownTime in that order, then recvWindow, timestamp and
        // the HMAC-SHA256 of everything before it (the simulator has already checked that signature with its secret).
        var request = sim.Journal.All.Single(r => r.Path == "/fapi/v1/countdownCancelAll");
        Assert.Equal(("POST", 200, ""), (request.Method, request.Status, request.Body));
        var signatureAt = request.RawQuery.IndexOf("&signature=", StringComparison.Ordinal);
        var signed = request.RawQuery[..signatureAt];
        var match = CountdownQuery().Match(signed);
        Assert.True(match.Success, request.RawQuery);
        Assert.Equal("60000", match.Groups["ms"].Value);
        Assert.Equal(BinanceSigner.Sign(BinanceSimulator.DefaultApiSecret, signed), request.RawQuery[(signatureAt + "&signature=".Length)..]);

        await dms.DisarmAsync(null);
        Assert.Null(sim.CountdownFiresAt(Symbol));
        Assert.StartsWith("symbol=BTCUSDT&countdownTime=0&", sim.Journal.All.Last(r => r.Path == "/fapi/v1/countdownCancelAll").RawQuery, StringComparison.Ordinal);
        Assert.Equal(2, sim.CountdownCalls);
    }

    [Fact]
    public async Task ACountdownWithoutASymbolIsRefusedBeforeAnyCall()
    {
        await using var sim = await BinanceSimulator.StartAsync();
        await using var exchange = BinanceConformanceTests.CreateBinance(sim);
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => exchange.ArmAsync(null, TimeSpan.FromSeconds(30)));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal(0, sim.Journal.Count("POST", "/fapi/v1/countdownCancelAll"));
    }
}
