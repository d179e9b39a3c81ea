using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Extensions;
using OpenSqt.TestSupport;

namespace OpenSqt.LiveServer.Tests;

/// <summary>The real trading engine (OpenSqt.MarketMaker), hosted in the test process on loopback, trading through a connector.</summary>
public sealed class EngineProcessHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DirectoryInfo _content;

    private EngineProcessHost(WebApplication app, int grpcPort, DirectoryInfo content)
    {
        _app = app;
        _content = content;
        GrpcAddress = new Uri($"http://127.0.0.1:{grpcPort}");
    }

    public Uri GrpcAddress { get; }

    public EngineHost Engine => _app.Services.GetRequiredService<EngineHost>();

    /// <summary>One BTCUSDT grid: a level every 100 USDT, 200 USDT per level, three buys below the price.</summary>
    public static async Task<EngineProcessHost> StartAsync(Uri connector, string serviceKey)
    {
        var grpc = ConnectorHost.FreePort();
        var http = ConnectorHost.FreePort();
        var content = Directory.CreateTempSubdirectory("opensqt-engine-content");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = content.FullName });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{grpc}",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{http}",
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            ["RemoteExchange:Address"] = connector.ToString(),
            ["RemoteExchange:ApiKey"] = serviceKey,
            ["Auth:ApiKeys:0"] = serviceKey,
            ["RemoteExchange:InitialBackoff"] = "00:00:00.100",
            ["RemoteExchange:MaxBackoff"] = "00:00:01",
            ["MarketMaker:StatePath"] = Path.Combine(content.FullName, "engine.db"),
            ["MarketMaker:Symbols:0:Symbol"] = "BTCUSDT",
            ["MarketMaker:Symbols:0:PriceInterval"] = "100",
            ["MarketMaker:Symbols:0:OrderQuantity"] = "200",
            ["MarketMaker:Symbols:0:BuyWindowSize"] = "3",
            ["MarketMaker:Throttle"] = "00:00:00",
            ["MarketMaker:ReconcileInterval"] = "00:10:00",
            ["MarketMaker:RiskControl:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddServiceDefaults();
        builder.AddMarketMaker();
        var app = builder.Build();
        app.MapMarketMaker();
        await app.StartAsync();
        var host = new EngineProcessHost(app, grpc, content);
        await Eventually.TrueAsync(() => host.Engine.Ready, TimeSpan.FromSeconds(30), "the engine finished its first reconciliation");
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            _content.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A state file still held open; the temp folder is cleaned by the OS.
        }
    }
}
