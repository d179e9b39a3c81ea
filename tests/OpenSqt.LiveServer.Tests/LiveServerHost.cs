using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenSqt.LiveServer.Extensions;
using OpenSqt.LiveServer.Hub;
using OpenSqt.TestSupport;

namespace OpenSqt.LiveServer.Tests;

/// <summary>
/// The real LiveServer, hosted in the test process on a loopback socket, reaching the connector (and the engine, when
/// one listens at <c>engineAddress</c>) through the same service discovery keys as under Aspire.
/// </summary>
public sealed class LiveServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LiveServerHost(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        HttpAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public int Port { get; }

    public Uri HttpAddress { get; }

    public Uri WebSocketAddress => new($"ws://127.0.0.1:{Port}/ws");

    /// <summary>The page's own origin, as a browser on it would send it.</summary>
    public string Origin => $"http://127.0.0.1:{Port}";

    public IServiceProvider Services => _app.Services;

    public LiveHub Hub => _app.Services.GetRequiredService<LiveHub>();

    /// <summary>
    /// Starts a LiveServer. <paramref name="sendBufferBytes"/> shrinks the kernel send buffer of its sockets (accepted
    /// sockets inherit it from the listener), so a browser that stops reading backs up into the server quickly.
    /// </summary>
    public static async Task<LiveServerHost> StartAsync(Uri connector, Uri? engine = null, IDictionary<string, string?>? settings = null, int? sendBufferBytes = null)
    {
        var port = ConnectorHost.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Testing",
            // Not the output folder: appsettings.json files of referenced services land there.
            ContentRootPath = Directory.CreateTempSubdirectory("opensqt-liveserver-content").FullName,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        var config = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{port}",
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            ["services:connector:grpc:0"] = connector.ToString(),
            ["services:marketmaker:grpc:0"] = (engine ?? new Uri($"http://127.0.0.1:{ConnectorHost.FreePort()}")).ToString(),
            ["RemoteExchange:InitialBackoff"] = "00:00:00.100",
            ["RemoteExchange:MaxBackoff"] = "00:00:00.500",
            ["LiveServer:Symbols:0"] = "BTCUSDT",
            ["LiveServer:Symbols:1"] = "ETHUSDT",
            ["LiveServer:HistoryLimit"] = "120",
            ["LiveServer:ConnectorHealthInterval"] = "00:00:00.200",
            ["LiveServer:InitialReconnectBackoff"] = "00:00:00.100",
            ["LiveServer:MaxReconnectBackoff"] = "00:00:00.500",
            ["LiveServer:Engine:PollInterval"] = "00:00:00.200",
            ["LiveServer:Engine:InitialBackoff"] = "00:00:00.100",
            ["LiveServer:Engine:MaxBackoff"] = "00:00:00.500",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        if (sendBufferBytes is { } size)
        {
            builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = endpoint =>
            {
                var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                socket.SendBufferSize = size;
                return socket;
            });
        }

        builder.AddServiceDefaults();
        builder.AddLiveServer();
        var app = builder.Build();
        app.MapLiveServer();
        await app.StartAsync().ConfigureAwait(false);
        return new LiveServerHost(app, port);
    }

    /// <summary>Waits until the server has loaded the connector's state.</summary>
    public Task WaitUntilConnectedAsync(TimeSpan? timeout = null) =>
        Eventually.TrueAsync(() => Hub.Snapshot.Connector.State == Protocol.LinkStates.Connected, timeout ?? TimeSpan.FromSeconds(30), "the LiveServer is connected to the connector");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Already stopped.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
