using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Extensions;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.TestSupport;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>The real engine, hosted in the test process on loopback sockets, trading through a real connector.</summary>
public sealed class EngineHarness : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private EngineHarness(WebApplication app, int grpcPort, int httpPort)
    {
        _app = app;
        GrpcPort = grpcPort;
        HttpAddress = new Uri($"http://127.0.0.1:{httpPort}");
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        Positions = new W.PositionService.PositionServiceClient(_channel);
        Risk = new W.RiskService.RiskServiceClient(_channel);
    }

    public int GrpcPort { get; }

    public Uri HttpAddress { get; }

    public EngineHost Host => _app.Services.GetRequiredService<EngineHost>();

    public RiskState RiskState => _app.Services.GetRequiredService<RiskState>();

    public IServiceProvider Services => _app.Services;

    public W.PositionService.PositionServiceClient Positions { get; }

    public W.RiskService.RiskServiceClient Risk { get; }

    /// <summary>Engine settings for one BTCUSDT grid (100 USDT interval, 200 USDT per level, 3 levels each side).</summary>
    public static Dictionary<string, string?> BtcGrid(string statePath, int buyWindow = 3) => new()
    {
        ["MarketMaker:StatePath"] = statePath,
        ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
        ["MarketMaker:Symbols:0:PriceInterval"] = "100",
        ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
        ["MarketMaker:Symbols:0:BuyWindowSize"] = buyWindow.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MarketMaker:Throttle"] = "00:00:00",
        ["MarketMaker:ReconcileInterval"] = "00:10:00",
        ["MarketMaker:ReconcileConfirmDelay"] = "00:00:00.200",
        ["MarketMaker:RiskControl:Enabled"] = "false",
    };

    public static Task<EngineHarness> StartAsync(ConnectorHost connector, IDictionary<string, string?> settings, bool waitReady = true, Action<IServiceCollection>? configure = null) =>
        StartAsync(connector.GrpcAddress, settings, waitReady, configure);

    public static async Task<EngineHarness> StartAsync(Uri connector, IDictionary<string, string?> settings, bool waitReady = true, Action<IServiceCollection>? configure = null)
    {
        var grpc = ConnectorHost.FreePort();
        var http = ConnectorHost.FreePort();
        var content = Directory.CreateTempSubdirectory("opensqt-engine-content");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = content.FullName });
        var config = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{grpc}",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{http}",
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            ["RemoteExchange:Address"] = connector.ToString(),
            ["RemoteExchange:InitialBackoff"] = "00:00:00.100",
            ["RemoteExchange:MaxBackoff"] = "00:00:01",
            ["RemoteExchange:MaxStreamReconnectAttempts"] = "100",
            ["RemoteExchange:CallTimeout"] = "00:00:05",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.AddServiceDefaults();
        builder.AddMarketMaker();
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapMarketMaker();
        try
        {
            await app.StartAsync();
        }
        catch (OperationCanceledException) when (app.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
        {
            // The engine refused to start and stopped the host while Kestrel was still binding: the test reads why.
        }

        var harness = new EngineHarness(app, grpc, http);
        if (waitReady)
        {
            await Eventually.TrueAsync(() => harness.Host.Ready || harness.RiskState.FatalError is not null, TimeSpan.FromSeconds(30), "the engine finished its first reconciliation");
            if (harness.RiskState.FatalError is { } fatal)
            {
                throw new InvalidOperationException(fatal);
            }
        }

        return harness;
    }

    public Task StopAsync() => _app.StopAsync();

    /// <summary>
    /// Returns once the engine has decided on everything it had heard before the call: a reconciliation goes through the
    /// symbols' inboxes behind any earlier tick, and each inbox decides before it reads its next message.
    /// </summary>
    public async Task DecidedAsync(TimeSpan timeout)
    {
        var run = await Risk.TriggerReconciliationAsync(new());
        await Eventually.TrueAsync(async () => (await Risk.GetReconciliationStatusAsync(new() { ReconciliationId = run.ReconciliationId })).Status is "completed" or "failed",
            timeout, "a reconciliation went through the engine after what came before");
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        try
        {
            await _app.StopAsync();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped.
        }

        await _app.DisposeAsync();
    }
}
