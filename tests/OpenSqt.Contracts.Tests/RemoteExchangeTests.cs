using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenSqt.Contracts.Remote;
using OpenSqt.TestSupport;

namespace OpenSqt.Contracts.Tests;

/// <summary>The gRPC client against the real connector over loopback sockets.</summary>
public sealed class RemoteExchangeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static ServiceProvider Client(Uri address, int maxAttempts = 10, string backoff = "00:00:00.050")
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RemoteExchange:Address"] = address.ToString(),
            ["RemoteExchange:MaxConnectAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RemoteExchange:MaxStreamReconnectAttempts"] = "40",
            ["RemoteExchange:InitialBackoff"] = backoff,
            ["RemoteExchange:MaxBackoff"] = "00:00:00.200",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddRemoteExchange();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task ConnectsAndServesTheVenueWithTypedErrors()
    {
        await using var host = await ConnectorHost.StartAsync();
        host.Sim.Trade("BTCUSDT", 95_000m, 0m);
        await using var provider = Client(host.GrpcAddress);
        var remote = provider.GetRequiredService<RemoteExchange>();
        await remote.ConnectAsync();
        Assert.Equal("sim", remote.Name);
        Assert.Same(remote, provider.GetRequiredService<IExchange>());

        var rules = await remote.GetSymbolInfoAsync("BTCUSDT");
        Assert.Equal(0.1m, rules.TickSize);
        var order = await remote.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Price = 94_000m, Quantity = 0.002m, ClientOrderId = "remote1" });
        Assert.Equal(OrderStatus.New, order.Status);
        Assert.Equal(order.ExchangeOrderId, (await remote.GetOrderAsync("BTCUSDT", OrderRef.ByClientId("remote1"))).ExchangeOrderId);

        var postOnly = await Assert.ThrowsAsync<ExchangeException>(() => remote.PlaceOrderAsync(new OrderRequest { Symbol = "BTCUSDT", Side = OrderSide.Buy, Type = OrderType.Limit, Price = 96_000m, Quantity = 0.002m, PostOnly = true }));
        Assert.Equal(ExchangeErrorKind.PostOnlyRejected, postOnly.Kind);
        var unknown = await Assert.ThrowsAsync<ExchangeException>(() => remote.GetLatestPriceAsync("NOPEUSDT"));
        Assert.Equal(ExchangeErrorKind.NotFound, unknown.Kind);
        Assert.True((await remote.CheckHealthAsync()).IsHealthy);
    }

    [Fact]
    public async Task GivesUpAfterTheConfiguredAttemptsSayingWhereItLooked()
    {
        var port = ConnectorHost.FreePort();
        await using var provider = Client(new Uri($"http://127.0.0.1:{port}"), maxAttempts: 3);
        var remote = provider.GetRequiredService<RemoteExchange>();
        var ex = await Assert.ThrowsAsync<ExchangeException>(() => remote.ConnectAsync());
        Assert.Equal(ExchangeErrorKind.Unavailable, ex.Kind);
        Assert.Contains("unreachable", ex.Message);
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
        Assert.Contains("after 3 attempts", ex.Message);
        Assert.False(remote.IsConnected);
    }

    [Fact]
    public async Task ConnectWaitsForAConnectorThatStartsLate()
    {
        var port = ConnectorHost.FreePort();
        await using var provider = Client(new Uri($"http://127.0.0.1:{port}"), maxAttempts: 200);
        var remote = provider.GetRequiredService<RemoteExchange>();
        var connecting = remote.ConnectAsync();
        Assert.False(connecting.IsCompleted);
        await using var host = await ConnectorHost.StartAsync(grpcPort: port);
        await connecting.WaitAsync(Timeout);
        Assert.True(remote.IsConnected);
    }

    [Fact]
    public async Task StreamsResubscribeByThemselvesWhenTheConnectorRestartsAndSignalTheReconnect()
    {
        var host = await ConnectorHost.StartAsync();
        var port = host.GrpcPort;
        await using var provider = Client(host.GrpcAddress);
        var remote = provider.GetRequiredService<RemoteExchange>();
        await remote.ConnectAsync();
        var reconnects = new List<StreamReconnectedEventArgs>();
        remote.StreamReconnected += (_, e) => { lock (reconnects) { reconnects.Add(e); } };

        using var cts = new CancellationTokenSource(Timeout);
        await using var prices = remote.SubscribePriceAsync(["BTCUSDT"], cts.Token).GetAsyncEnumerator(cts.Token);
        var first = prices.MoveNextAsync();
        await Eventually.TrueAsync(() => host.Sim.Streams.Active == 1, Timeout, "the client subscribed");
        host.Sim.Trade("BTCUSDT", 95_001m, 1m);
        Assert.True(await first);
        Assert.Equal(95_001m, prices.Current.Price);

        await host.DisposeAsync();
        var next = prices.MoveNextAsync();
        await using var restarted = await ConnectorHost.StartAsync(grpcPort: port);
        await Eventually.TrueAsync(() => restarted.Sim.Streams.Active == 1, Timeout, "the client re-subscribed to the restarted connector");
        restarted.Sim.Trade("BTCUSDT", 95_002m, 1m);
        Assert.True(await next.AsTask().WaitAsync(Timeout));
        Assert.Equal(95_002m, prices.Current.Price);

        lock (reconnects)
        {
            var signal = Assert.Single(reconnects);
            Assert.Equal("price", signal.Stream);
            Assert.True(signal.Attempts >= 1);
        }
    }
}
