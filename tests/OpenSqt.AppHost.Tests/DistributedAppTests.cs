using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Grpc.Net.Client;
using StackExchange.Redis;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.AppHost.Tests;

[Collection(AppHostCollection.Name)]
public sealed class DistributedAppTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private GrpcChannel ConnectorChannel() =>
        GrpcChannel.ForAddress(fixture.App.GetEndpoint(ResourceNames.Connector, ResourceNames.GrpcEndpoint), new GrpcChannelOptions
        {
            Credentials = Grpc.Core.ChannelCredentials.Create(Grpc.Core.ChannelCredentials.Insecure, Grpc.Core.CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("x-api-key", AppHostFixture.ServiceApiKey);
                return Task.CompletedTask;
            })),
            UnsafeUseInsecureChannelCallCredentials = true,
        });

    [Fact]
    public async Task EveryServiceReportsHealthyOnItsHttpEndpoint()
    {
        foreach (var resource in new[] { ResourceNames.Connector, ResourceNames.MarketMaker, ResourceNames.LiveServer })
        {
            // Aspire counts Degraded as started; a service is fully Healthy once all its links are up.
            using var http = fixture.App.CreateHttpClient(resource, ResourceNames.HttpEndpoint);
            using var cts = new CancellationTokenSource(Timeout);
            var health = await http.GetFromJsonAsync<JsonElement>("/health");
            while (health.GetProperty("status").GetString() != "Healthy" && !cts.IsCancellationRequested)
            {
                await Task.Delay(PollInterval, CancellationToken.None);
                health = await http.GetFromJsonAsync<JsonElement>("/health");
            }

            Assert.True(health.GetProperty("status").GetString() is "Healthy", $"{resource}: {health}");
            Assert.True((await http.GetAsync("/alive")).IsSuccessStatusCode);
        }

        using var liveServer = fixture.App.CreateHttpClient(ResourceNames.LiveServer, ResourceNames.HttpEndpoint);
        var health2 = await liveServer.GetFromJsonAsync<JsonElement>("/health");
        Assert.Contains("connected to the ExchangeConnector serving sim", health2.GetProperty("checks").GetProperty("connector").GetProperty("description").GetString());
    }

    [Fact]
    public void WithoutAContainerRuntimeOrRedisServerTheAppHostRunsTheEmbeddedServerAndSaysWhy()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        var cache = Assert.IsType<EmbeddedCacheResource>(model.Resources.Single(r => r.Name == ResourceNames.Cache));
        Assert.EndsWith("OpenSqt.CacheServer.csproj", cache.GetProjectMetadata().ProjectPath);
        Assert.Contains(
            "Information: Metadata cache: embedded mode, because no container runtime answers and redis-server is not on the PATH. Pick one with Cache__Mode=container|redis-server|embedded.",
            fixture.Console.Lines);
    }

    [Fact]
    public async Task OnceAllIsHealthyTheConsoleNamesTheLiveServerPage()
    {
        var page = fixture.App.GetEndpoint(ResourceNames.LiveServer, ResourceNames.HttpEndpoint).ToString().TrimEnd('/');
        using var cts = new CancellationTokenSource(Timeout);
        while (fixture.Console.WrittenAt("all resources healthy") is null && !cts.IsCancellationRequested)
        {
            await Task.Delay(PollInterval, CancellationToken.None);
        }

        // The testing builder runs without a dashboard, and the console says so instead of a dead address.
        Assert.Contains($"Information: OpenSqt is running, all resources healthy. LiveServer page: {page}  Dashboard: disabled", fixture.Console.Lines);
        Assert.DoesNotContain(fixture.Console.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheConnectorRefusesCallsWithoutTheServiceKey()
    {
        using var channel = GrpcChannel.ForAddress(fixture.App.GetEndpoint(ResourceNames.Connector, ResourceNames.GrpcEndpoint));
        var ex = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => new W.ExchangeService.ExchangeServiceClient(channel).GetNameAsync(new W.GetNameRequest()).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task AnOrderPlacedThroughTheConnectorShowsInOpenOrders()
    {
        using var channel = ConnectorChannel();
        var client = new W.ExchangeService.ExchangeServiceClient(channel);
        Assert.Equal("sim", (await client.GetNameAsync(new W.GetNameRequest())).Name);
        var price = Contracts.WireMapper.ParseDecimal((await client.GetLatestPriceAsync(new W.GetLatestPriceRequest { Symbol = "ETHUSDT" })).Price.Value);
        var below = Math.Round(price * 0.8m, 2).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var order = await client.PlaceOrderAsync(new W.PlaceOrderRequest
        {
            Symbol = "ETHUSDT", Side = W.OrderSide.Buy, Type = W.OrderType.Limit, TimeInForce = W.TimeInForce.Gtc,
            Price = new Google.Type.Decimal { Value = below }, Quantity = new Google.Type.Decimal { Value = "0.01" },
            ClientOrderId = "distributedTest1",
        }, deadline: DateTime.UtcNow + Timeout);

        var open = await client.GetOpenOrdersAsync(new W.GetOpenOrdersRequest { Symbol = "ETHUSDT" });
        var listed = Assert.Single(open.Orders, o => o.ClientOrderId == "distributedTest1");
        Assert.Equal(order.OrderId, listed.OrderId);
        // Compared as numbers: the venue writes 2707.3 for the 2707.30 that was sent.
        Assert.Equal(decimal.Parse(below, System.Globalization.CultureInfo.InvariantCulture), Contracts.WireMapper.ParseDecimal(listed.Price.Value));

        await client.CancelOrderAsync(new W.CancelOrderRequest { Symbol = "ETHUSDT", OrderId = order.OrderId });
    }

    [Fact]
    public async Task SymbolInfoIsServedFromRedisTheSecondTime()
    {
        using var channel = ConnectorChannel();
        var client = new W.ExchangeService.ExchangeServiceClient(channel);
        var first = await client.GetSymbolInfoAsync(new W.GetSymbolInfoRequest { Symbol = "BTCUSDT" });
        var second = await client.GetSymbolInfoAsync(new W.GetSymbolInfoRequest { Symbol = "BTCUSDT" });
        Assert.Equal(first, second);

        var connectionString = await fixture.App.GetConnectionStringAsync(ResourceNames.Cache);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString!);
        Assert.True(await redis.GetDatabase().KeyExistsAsync("opensqt:sim:exchange-info"));

        using var http = fixture.App.CreateHttpClient(ResourceNames.Connector, ResourceNames.HttpEndpoint);
        // The Prometheus page is cached for a moment after each scrape: poll until the lookup shows.
        var metrics = await http.GetStringAsync("/metrics");
        using var cts = new CancellationTokenSource(Timeout);
        while (!metrics.Contains("source=\"redis\"") && !cts.IsCancellationRequested)
        {
            await Task.Delay(PollInterval, CancellationToken.None);
            metrics = await http.GetStringAsync("/metrics");
        }

        Assert.Contains("source=\"redis\"", metrics);
        Assert.Matches("exchange_connector_metadata_lookups_total\\{[^}]*source=\"venue\"[^}]*\\} 1\\b", metrics);
    }
}
