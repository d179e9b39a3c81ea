using Grpc.Core;
using OpenSqt.ExchangeConnector.Streaming;
using OpenSqt.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>One venue subscription per stream, fanned out; slow subscribers never hold up the rest.</summary>
public sealed class StreamFanOutTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task TwentyPriceSubscribersOpenTheVenueStreamOnceAndTheLastToLeaveClosesIt()
    {
        await using var host = await ConnectorHost.StartAsync();
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        var calls = new List<(AsyncServerStreamingCall<W.PriceChange> Call, CancellationTokenSource Cts)>();
        for (var i = 0; i < 20; i++)
        {
            var cts = new CancellationTokenSource();
            var call = client.SubscribePrice(new W.SubscribePriceRequest { Symbols = { "BTCUSDT" } }, cancellationToken: cts.Token);
            await call.ResponseHeadersAsync;
            calls.Add((call, cts));
        }

        Assert.Equal(1, host.Sim.Streams.Price);
        Assert.Equal(1, host.Services.GetRequiredService<StreamHub>().UpstreamCount);

        host.Sim.Trade("BTCUSDT", 95_123.4m, 1m);
        foreach (var (call, _) in calls)
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal("95123.4", call.ResponseStream.Current.Price.Value);
        }

        foreach (var (call, cts) in calls.Take(19))
        {
            cts.Cancel();
            call.Dispose();
        }

        await Eventually.TrueAsync(() => host.Sim.Streams.Active == 1, Timeout, "nineteen subscribers left and the venue stream stays open");
        Assert.Equal(1, host.Services.GetRequiredService<StreamHub>().UpstreamCount);

        calls[^1].Cts.Cancel();
        calls[^1].Call.Dispose();
        await Eventually.TrueAsync(() => host.Sim.Streams.Active == 0, Timeout, "the last subscriber left and the venue stream closed");
        Assert.Equal(0, host.Services.GetRequiredService<StreamHub>().UpstreamCount);
        Assert.Equal(1, host.Sim.Streams.Price);
    }

    [Fact]
    public async Task AStalledPriceSubscriberDoesNotDelayTheOthers()
    {
        await using var host = await ConnectorHost.StartAsync();
        using var stalledChannel = host.CreateChannel();
        using var liveChannel = host.CreateChannel();
        using var stalled = host.CreateClient(stalledChannel).SubscribePrice(new W.SubscribePriceRequest { Symbols = { "BTCUSDT" } });
        await stalled.ResponseHeadersAsync;
        using var live = host.CreateClient(liveChannel).SubscribePrice(new W.SubscribePriceRequest { Symbols = { "BTCUSDT" } });
        await live.ResponseHeadersAsync;

        const int Trades = 20_000;
        var reader = Task.Run(async () =>
        {
            var count = 0;
            while (await live.ResponseStream.MoveNext(CancellationToken.None))
            {
                count++;
                if (live.ResponseStream.Current.Price.Value == "97000")
                {
                    return count;
                }
            }

            return count;
        });

        for (var i = 1; i < Trades; i++)
        {
            host.Sim.Trade("BTCUSDT", 95_000m + (i % 1_000 * 0.1m), 0m);
        }

        host.Sim.Trade("BTCUSDT", 97_000m, 0m);
        var finished = await Task.WhenAny(reader, Task.Delay(Timeout));
        Assert.Same(reader, finished);
        Assert.True(await reader > 0);
    }

    [Fact]
    public async Task AStalledOrderSubscriberIsEndedWhileTheOthersGetEveryUpdate()
    {
        await using var host = await ConnectorHost.StartAsync(new Dictionary<string, string?> { ["Streaming:LosslessCapacity"] = "200" });
        using var stalledChannel = host.CreateChannel();
        using var liveChannel = host.CreateChannel();
        using var stalled = host.CreateClient(stalledChannel).SubscribeOrders(new W.SubscribeOrdersRequest());
        await stalled.ResponseHeadersAsync;
        using var live = host.CreateClient(liveChannel).SubscribeOrders(new W.SubscribeOrdersRequest());
        await live.ResponseHeadersAsync;

        const int Orders = 1_500;
        var received = 0;
        var reader = Task.Run(async () =>
        {
            while (received < Orders * 2 && await live.ResponseStream.MoveNext(CancellationToken.None))
            {
                received++;
            }
        });

        // A third client trades through the connector, at the pace of real round trips.
        host.Sim.Trade("BTCUSDT", 95_000m, 0m);
        using var tradingChannel = host.CreateChannel();
        var trader = host.CreateClient(tradingChannel);
        for (var i = 0; i < Orders; i++)
        {
            var order = await trader.PlaceOrderAsync(Wire.Limit(W.OrderSide.Buy, "90000", "0.002", $"fan{i}"));
            await trader.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "BTCUSDT", OrderId = order.OrderId });
        }

        var finished = await Task.WhenAny(reader, Task.Delay(Timeout));
        Assert.Same(reader, finished);
        Assert.Equal(Orders * 2, received);

        var ended = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await stalled.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, ended.StatusCode);
        Assert.Contains("resubscribe and reconcile", ended.Status.Detail);
    }

    [Fact]
    public async Task ShutdownEndsStreamsCleanly()
    {
        var host = await ConnectorHost.StartAsync();
        using var channel = host.CreateChannel();
        using var orders = host.CreateClient(channel).SubscribeOrders(new W.SubscribeOrdersRequest());
        await orders.ResponseHeadersAsync;

        var stopping = host.StopAsync();
        Assert.False(await orders.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, orders.GetStatus().StatusCode);
        await stopping;
        await host.DisposeAsync();
    }

    [Fact]
    public async Task KlineAndAccountStreamsCarryTheVenueEvents()
    {
        await using var host = await ConnectorHost.StartAsync();
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        using var klines = client.SubscribeKlines(new W.SubscribeKlinesRequest { Symbols = { "ETHUSDT" }, Interval = "1m" });
        await klines.ResponseHeadersAsync;
        using var account = client.SubscribeAccount(new W.SubscribeAccountRequest());
        await account.ResponseHeadersAsync;
        using var positions = client.SubscribePositions(new W.SubscribePositionsRequest { Symbol = "ETHUSDT" });
        await positions.ResponseHeadersAsync;

        host.Sim.Trade("ETHUSDT", 3_400m, 2m);
        Assert.True(await klines.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(("ETHUSDT", "1m", "3400"), (klines.ResponseStream.Current.Symbol, klines.ResponseStream.Current.Interval, klines.ResponseStream.Current.Close.Value));

        await client.PlaceOrderAsync(Wire.Limit(W.OrderSide.Buy, "3400", "0.1", "kaEth", "ETHUSDT"));
        Assert.True(await positions.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("0.1", positions.ResponseStream.Current.Size.Value);
        Assert.True(await account.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Single(account.ResponseStream.Current.Positions);
    }
}

public sealed class FundingStreamTests
{
    [Fact]
    public async Task FundingUpdatesFollowTheVenueClock()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 7, 59, 30, TimeSpan.Zero));
        await using var host = await ConnectorHost.StartAsync(configureServices: s => s.AddSingleton<TimeProvider>(time));
        using var channel = host.CreateChannel();
        using var funding = host.CreateClient(channel).SubscribeFundingRate(new W.SubscribeFundingRateRequest { Symbol = "ETHUSDT" });
        await funding.ResponseHeadersAsync;

        time.Advance(TimeSpan.FromMinutes(1));
        host.Sim.Trade("ETHUSDT", 3_400m, 1m);
        Assert.True(await funding.ResponseStream.MoveNext(CancellationToken.None));
        var update = funding.ResponseStream.Current;
        Assert.Equal(("ETHUSDT", "sim", "0.0001"), (update.Symbol, update.Exchange, update.Rate.Value));
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 16, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), update.NextFundingTime);
    }
}
