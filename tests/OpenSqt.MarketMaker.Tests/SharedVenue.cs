using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenSqt.ExchangeConnector.Extensions;
using OpenSqt.Exchanges.Sim;
using OpenSqt.TestSupport;

namespace OpenSqt.MarketMaker.Tests;

/// <summary>
/// A sim venue that outlives its connectors, as a real venue outlives a connector restart: each <see cref="StartConnectorAsync"/>
/// hosts the real ExchangeConnector on loopback serving this same sim. The sim may run on its own clock (fake time) so
/// tests can close candles without waiting for the minute.
/// </summary>
public sealed class SharedVenue : IAsyncDisposable
{
    public SharedVenue(TimeProvider? time = null, Action<SimVenueOptions>? configure = null)
    {
        var options = new SimVenueOptions { AutoAdvance = false, HistoryMinutes = 600 };
        configure?.Invoke(options);
        Sim = new SimExchange(Microsoft.Extensions.Options.Options.Create(options), time ?? TimeProvider.System);
    }

    public SimExchange Sim { get; }

    public async Task<WebApplication> StartConnectorAsync(int grpcPort)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = Directory.CreateTempSubdirectory("opensqt-connector").FullName });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:grpc:Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:http:Url"] = $"http://127.0.0.1:{ConnectorHost.FreePort()}",
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            ["EXCHANGE"] = "sim",
            ["Exchanges:Sim:AutoAdvance"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddServiceDefaults();
        builder.AddExchangeConnector();

        // The last registration wins: every connector serves this one sim, which the container does not own.
        builder.Services.AddSingleton(Sim);
        var app = builder.Build();
        app.MapExchangeConnector();
        await app.StartAsync();
        return app;
    }

    public ValueTask DisposeAsync() => Sim.DisposeAsync();
}
