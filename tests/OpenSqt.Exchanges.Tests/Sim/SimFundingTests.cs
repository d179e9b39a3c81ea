using OpenSqt.Contracts;
using static OpenSqt.Exchanges.Tests.Sim.SimTestVenue;

namespace OpenSqt.Exchanges.Tests.Sim;

public sealed class SimFundingTests
{
    /// <summary>The funding fees the account stream carried, once <paramref name="count"/> of them arrived.</summary>
    private static async Task<FundingFee[]> FundingFeesAsync(StreamProbe<Account> account, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (account.Items.Sum(a => a.FundingFees.Count) < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5));
        }

        return [.. account.Items.SelectMany(a => a.FundingFees)];
    }

    [Fact]
    public async Task AtEachFundingTimeAnOpenPositionPaysItsNotionalAtTheMarkTimesTheRateOnceIntoTheWallet()
    {
        var (sim, time) = Create();
        await using var account = new StreamProbe<Account>(sim.SubscribeAccountAsync);
        sim.SetMarket(95_000m);
        await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_900m, 0.01m));
        sim.Trade("BTCUSDT", 94_900m, 1m);
        var wallet = await sim.GetBalanceAsync("USDT");

        // 12:00:30 -> 16:00:30 passes the 16:00 funding time; the mark moved away from the last trade before it.
        sim.SetMarkPrice("BTCUSDT", 95_200m);
        time.Advance(TimeSpan.FromHours(4));
        sim.SetMarket(94_900m);
        time.Advance(TimeSpan.FromMinutes(1));
        sim.SetMarket(94_900m);

        var fee = Assert.Single(await FundingFeesAsync(account, 1));
        Assert.Equal(("BTCUSDT", -0.01m * 95_200m * 0.0001m, "USDT", 0.01m, 95_200m), (fee.Symbol, fee.Amount, fee.Asset, fee.PositionSize, fee.MarkPrice));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 16, 0, 0, TimeSpan.Zero), fee.FundingTime);
        Assert.Equal(wallet + fee.Amount, await sim.GetBalanceAsync("USDT"));

        // A clock that jumps two funding times settles each; a short receives a positive rate.
        await sim.PlaceOrderAsync(Limit(OrderSide.Sell, 94_900m, 0.02m) with { TimeInForce = TimeInForce.Ioc });
        time.Advance(TimeSpan.FromHours(16));
        sim.SetMarket(94_900m);
        var later = (await FundingFeesAsync(account, 3)).Skip(1).ToArray();
        Assert.Equal([0.01m * 94_900m * 0.0001m, 0.01m * 94_900m * 0.0001m], later.Select(f => f.Amount).ToArray());
        Assert.Equal([new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero)], later.Select(f => f.FundingTime).ToArray());
    }

    [Fact]
    public async Task TheMarkPriceValuesThePositionAndTravelsWithTheFundingRate()
    {
        var (sim, _) = Create();
        await using var funding = new StreamProbe<FundingRate>(token => sim.SubscribeFundingRateAsync("BTCUSDT", token));
        sim.SetMarket(95_000m);
        await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_900m, 0.01m));
        sim.Trade("BTCUSDT", 94_900m, 1m);

        sim.SetMarkPrice("BTCUSDT", 94_000m);

        var update = (await funding.WaitForAsync(1, "mark price update")).Last();
        Assert.Equal((94_000m, 0.0001m), (update.MarkPrice, update.Rate));
        var position = (await sim.GetPositionsAsync("BTCUSDT"))[0];
        Assert.Equal((94_000m, 0.01m * (94_000m - 94_900m)), (position.MarkPrice, position.UnrealizedPnl));
        Assert.Equal(94_900m, await sim.GetLatestPriceAsync("BTCUSDT"));

        // The next trade takes the mark back to the tape.
        sim.SetMarket(95_000m);
        Assert.Equal(95_000m, (await sim.GetPositionsAsync("BTCUSDT"))[0].MarkPrice);
    }

    [Fact]
    public async Task AReduceOnlyOrderBelowTheMinimumNotionalIsTakenButNotOneBelowTheMinimumQuantity()
    {
        var (sim, _) = Create();
        sim.SetMarket(95_000m);
        await sim.PlaceOrderAsync(Limit(OrderSide.Buy, 94_900m, 0.002m));
        sim.Trade("BTCUSDT", 94_900m, 1m);

        var opening = await Assert.ThrowsAsync<ExchangeException>(() => sim.PlaceOrderAsync(Limit(OrderSide.Sell, 95_100m, 0.001m)));
        Assert.Contains("below the minimum notional", opening.Message);

        var close = await sim.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Sell, Type = OrderType.Market, Quantity = 0.001m, ReduceOnly = true });
        Assert.Equal(OrderStatus.Filled, close.Status);
        Assert.Equal(0.001m, (await sim.GetPositionsAsync("BTCUSDT"))[0].Size);

        var tiny = await Assert.ThrowsAsync<ExchangeException>(() => sim.PlaceOrderAsync(Limit(OrderSide.Sell, 95_100m, 0.0001m) with { ReduceOnly = true }));
        Assert.Equal(ExchangeErrorKind.InvalidArgument, tiny.Kind);
    }
}
