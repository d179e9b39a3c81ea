using System.Net.Http.Json;
using System.Text.Json;
using OpenSqt.TestSupport;
using StackExchange.Redis;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.ExchangeConnector.Tests;

/// <summary>
/// Runs alone: OpenTelemetry listens to the connector's meter by name, so a connector hosted by a test running in
/// parallel would add its lookups to the exact counts asserted here.
/// </summary>
[Collection(nameof(MetricsCollection))]
public sealed class ObservabilityAndCacheTests
{
    [Fact]
    public async Task MetricsPageExposesTheConnectorInstruments()
    {
        await using var host = await ConnectorHost.StartAsync();
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);
        await client.GetNameAsync(new W.GetNameRequest());
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => client.GetLatestPriceAsync(new W.GetLatestPriceRequest()).ResponseAsync);
        using var prices = client.SubscribePrice(new W.SubscribePriceRequest { Symbols = { "BTCUSDT" } });
        await prices.ResponseHeadersAsync;
        host.Sim.Trade("BTCUSDT", 95_000m, 1m);
        Assert.True(await prices.ResponseStream.MoveNext(CancellationToken.None));

        using var http = new HttpClient { BaseAddress = host.HttpAddress };
        string metrics = "";
        await Eventually.TrueAsync(async () =>
        {
            metrics = await http.GetStringAsync("/metrics");
            return metrics.Contains("exchange_websocket_messages_total") && metrics.Contains("exchange_connector_errors_total");
        }, TimeSpan.FromSeconds(20), "the metrics page lists the connector instruments");

        Assert.Contains("exchange_connector_requests_total{", metrics);
        Assert.Contains("method=\"GetName\"", metrics);
        Assert.Contains("exchange_connector_request_duration_seconds_bucket{", metrics);
        Assert.Contains("exchange_connector_errors_total{", metrics);
        Assert.Contains("code=\"InvalidArgument\"", metrics);
        Assert.Contains("exchange_websocket_messages_total{", metrics);
        Assert.Contains("stream=\"price\"", metrics);
    }

    [Fact]
    public async Task HealthAndAliveAnswerOnTheHttpEndpointAndGrpcHealthServes()
    {
        await using var host = await ConnectorHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.HttpAddress };
        var alive = await http.GetAsync("/alive");
        Assert.True(alive.IsSuccessStatusCode);
        var health = await http.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("Healthy", health.GetProperty("checks").GetProperty("venue").GetProperty("status").GetString());

        using var channel = host.CreateChannel();
        var grpcHealth = new Grpc.Health.V1.Health.HealthClient(channel);
        foreach (var service in new[] { "", "opensqt.market_maker.v1.ExchangeService" })
        {
            var status = await grpcHealth.CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = service });
            Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, status.Status);
        }
    }

    /// <summary>redis-server when it is on the PATH, and always the embedded server.</summary>
    public static IEnumerable<object[]> RedisServers() => RedisServer.AvailableRows();

    [Theory]
    [MemberData(nameof(RedisServers))]
    public async Task SymbolInfoIsServedFromRedisAfterTheFirstVenueFetchAndFromTheVenueWhenRedisIsDown(RedisServerKind kind)
    {
        await using var redis = await RedisServer.StartAsync(kind);
        await using var host = await ConnectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:cache"] = redis.ConnectionString,
            ["MetadataCache:MemoryTtl"] = "00:00:00",
            ["MetadataCache:RedisTimeout"] = "00:00:00.300",
        });
        using var channel = host.CreateChannel();
        var client = host.CreateClient(channel);

        var first = await client.GetSymbolInfoAsync(new W.GetSymbolInfoRequest { Symbol = "BTCUSDT" });
        var second = await client.GetSymbolInfoAsync(new W.GetSymbolInfoRequest { Symbol = "BTCUSDT" });
        Assert.Equal(first, second);
        Assert.Equal("0.1", second.TickSize.Value);

        await using (var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            var cached = await multiplexer.GetDatabase().StringGetAsync("opensqt:sim:exchange-info");
            Assert.True(cached.HasValue);
            Assert.Contains("\"TickSize\":0.1", cached.ToString());
            Assert.True(await multiplexer.GetDatabase().KeyTimeToLiveAsync("opensqt:sim:exchange-info") > TimeSpan.FromMinutes(50));
        }

        using var http = new HttpClient { BaseAddress = host.HttpAddress };
        string metrics = "";
        await Eventually.TrueAsync(async () =>
        {
            metrics = await http.GetStringAsync("/metrics");
            return metrics.Contains("source=\"redis\"");
        }, TimeSpan.FromSeconds(20), "a Redis hit is counted");
        Assert.Matches("exchange_connector_metadata_lookups_total\\{[^}]*source=\"venue\"[^}]*\\} 1\\b", metrics);

        await redis.StopAsync();
        var whileDown = await client.GetSymbolInfoAsync(new W.GetSymbolInfoRequest { Symbol = "ETHUSDT" });
        Assert.Equal("0.01", whileDown.TickSize.Value);
        var health = await http.GetFromJsonAsync<JsonElement>("/health");
        var cache = health.GetProperty("checks").GetProperty("metadata-cache");
        Assert.Equal("Degraded", cache.GetProperty("status").GetString());
        Assert.Contains("Redis cache unavailable", cache.GetProperty("description").GetString());

        // Redis comes back empty: the next lookup writes the rules again and the health check is Healthy again.
        await redis.RestartAsync();
        await Eventually.TrueAsync(async () =>
        {
            var again = await http.GetFromJsonAsync<JsonElement>("/health");
            return again.GetProperty("checks").GetProperty("metadata-cache").GetProperty("status").GetString() == "Healthy";
        }, TimeSpan.FromSeconds(30), "the metadata cache is healthy once Redis is back");
        await using var back = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        Assert.Contains("\"TickSize\":0.01", (await back.GetDatabase().StringGetAsync("opensqt:sim:exchange-info")).ToString());
    }
}

[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection;
