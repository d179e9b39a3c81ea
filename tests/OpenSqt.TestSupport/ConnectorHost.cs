using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
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
        // A port found free can be taken before Kestrel binds it (an outgoing connection of a test running beside this
        // one gets its local port from the same range): the start is tried again on other ports.
        for (var attempt = 1; ; attempt++)
        {
            var grpc = grpcPort ?? FreePort();
            var http = FreePort();
            var app = Build(settings, grpc, http, configureServices);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                return new ConnectorHost(app, grpc, http);
            }
            catch (IOException ex) when (ex.InnerException is AddressInUseException && attempt < 5)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static WebApplication Build(IDictionary<string, string?>? settings, int grpc, int http, Action<IServiceCollection>? configureServices)
    {
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
        return app;
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

    /// <summary>
    /// A TCP port free on loopback right now, below the kernel's range of ports for outgoing connections when there is room
    /// (a port the kernel handed out for a listener could be handed to an outgoing connection of a test running beside this
    /// one before the caller binds it), never the same one twice in this process.
    /// </summary>
    public static int FreePort()
    {
        var below = EphemeralLow.Value;
        for (var attempt = 0; below > FirstPort + 1000 && attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(FirstPort, below);
            lock (Given)
            {
                if (!Given.Add(port))
                {
                    continue;
                }
            }

            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                probe.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken: another one.
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var any = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return any;
    }

    private const int FirstPort = 20_000;

    private static readonly HashSet<int> Given = [];

    /// <summary>The first port of the kernel's range for outgoing connections (Linux; elsewhere, the IANA range's 49152).</summary>
    private static readonly Lazy<int> EphemeralLow = new(() =>
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 49_152;
        }
    });
}
