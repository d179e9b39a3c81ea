using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenSqt.Contracts;
using OpenSqt.ExchangeConnector.Extensions;
using OpenSqt.Exchanges.Sim;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.TestSupport;

/// <summary>
/// The real ExchangeConnector, hosted in the test process on loopback sockets (gRPC over h2c and HTTP/1.1 for health
/// and metrics), serving the sim venue. By default the sim's market does not move by itself: tests print trades with
/// <see cref="Sim"/>.<see cref="SimExchange.Trade"/>.
/// </summary>
public sealed class ConnectorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ConnectorHost(WebApplication app, int grpcPort, int httpPort)
    {
        _app = app;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
        GrpcAddress = new Uri($"http://127.0.0.1:{grpcPort}");
        HttpAddress = new Uri($"http://127.0.0.1:{httpPort}");
    }

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public Uri GrpcAddress { get; }

    public Uri HttpAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The venue behind the connector (the sim unless configured otherwise).</summary>
    public SimExchange Sim => _app.Services.GetRequiredService<SimExchange>();

    public IExchange Exchange => _app.Services.GetRequiredService<IExchange>();

    /// <summary>
    /// Starts a connector. <paramref name="settings"/> overrides configuration (for example
    /// <c>ConnectionStrings:cache</c>, <c>Exchanges:Sim:AutoAdvance</c>, <c>Streaming:LosslessCapacity</c>).
    /// Pass <paramref name="grpcPort"/> to restart a connector on the same port, and <paramref name="configureServices"/>
    /// to replace services (for example a FakeTimeProvider as the TimeProvider).
    /// </summary>
    public static async Task<ConnectorHost> StartAsync(IDictionary<string, string?>? settings = null, int? grpcPort = null, Action<IServiceCollection>? configureServices = null, CancellationToken cancellationToken = default)
    {
        var grpc = grpcPort ?? FreePort();
        var http = FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        var config = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{grpc}",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{http}",
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            ["EXCHANGE"] = "sim",
            ["Exchanges:Sim:AutoAdvance"] = "false",
            ["Exchanges:Sim:HistoryMinutes"] = "600",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.AddServiceDefaults();
        builder.AddExchangeConnector();
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapExchangeConnector();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new ConnectorHost(app, grpc, http);
    }

    /// <summary>A gRPC channel to this connector over a real socket.</summary>
    public GrpcChannel CreateChannel() => GrpcChannel.ForAddress(GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });

    public W.ExchangeService.ExchangeServiceClient CreateClient(GrpcChannel channel) => new(channel);

    /// <summary>Stops the connector as SIGTERM would: streams end cleanly, then the sockets close.</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
    }

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

    /// <summary>A TCP port free on loopback right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
