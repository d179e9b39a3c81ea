using Grpc.Core;
using Grpc.Net.Client;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>The engine's own gRPC services are protected like the connector's; the engine presents its key to the connector.</summary>
public sealed class EngineAuthenticationTests
{
    private const string ConnectorKey = "connector-key-0123456789abcdef";
    private const string EngineKey = "engine-key-fedcba9876543210";

    [Fact]
    public async Task EngineRpcsNeedTheKeyHealthStaysOpenAndEachKeyIsRateLimited()
    {
        await using var connector = await ConnectorHost.StartAsync(new Dictionary<string, string?> { ["Auth:ApiKeys:0"] = ConnectorKey });
        connector.Sim.Trade("BTCUSDT", 95_000m, 0m);
        var state = Path.Combine(Directory.CreateTempSubdirectory("opensqt-auth").FullName, "state.db");
        var settings = EngineHarness.BtcGrid(state);
        settings["RemoteExchange:ApiKey"] = ConnectorKey;
        settings["Auth:ApiKeys:0"] = EngineKey;
        settings["Auth:RequestsPerSecond"] = "3";
        settings["Auth:Burst"] = "3";
        await using var engine = await EngineHarness.StartAsync(connector, settings);

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{engine.GrpcPort}");
        var positions = new W.PositionService.PositionServiceClient(channel);
        var risk = new W.RiskService.RiskServiceClient(channel);

        var none = await Assert.ThrowsAsync<RpcException>(() => positions.GetPositionsAsync(new W.PositionServiceGetPositionsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => risk.GetCircuitBreakerStatusAsync(new W.GetCircuitBreakerStatusRequest { Symbol = "BTCUSDT" }, new Metadata { { "x-api-key", ConnectorKey } }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);

        var health = await new Grpc.Health.V1.Health.HealthClient(channel).CheckAsync(new Grpc.Health.V1.HealthCheckRequest());
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        var key = new Metadata { { "x-api-key", EngineKey } };
        var answered = 0;
        RpcException? limited = null;
        for (var i = 0; i < 30 && limited is null; i++)
        {
            try
            {
                await positions.GetPositionsAsync(new W.PositionServiceGetPositionsRequest(), key);
                answered++;
            }
            catch (RpcException ex)
            {
                limited = ex;
            }
        }

        Assert.True(answered >= 3, $"the burst of 3 should be served, {answered} were");
        Assert.NotNull(limited);
        Assert.Equal(StatusCode.ResourceExhausted, limited.StatusCode);
    }
}
