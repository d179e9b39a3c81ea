using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenSqt.Contracts.Remote;

namespace OpenSqt.MarketMaker.Extensions;

public static class MarketMakerHostingExtensions
{
    /// <summary>Registers the engine: the connector client and the engine's own parts.</summary>
    public static WebApplicationBuilder AddMarketMaker(this WebApplicationBuilder builder)
    {
        builder.ApplyStandaloneEnvironment(defaultGrpcPort: 50052);
        builder.Services.AddRemoteExchange();
        builder.Services.AddSingleton<ConnectorSession>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConnectorSession>());
        builder.Services.AddGrpc();
        builder.Services.AddGrpcReflection();
        builder.Services.AddHealthChecks().AddCheck<ConnectorHealthCheck>("connector");
        builder.Services.AddGrpcHealthChecks(o => o.Services.Map("", _ => true));
        return builder;
    }

    public static WebApplication MapMarketMaker(this WebApplication app)
    {
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapDefaultEndpoints();
        return app;
    }

    /// <summary>
    /// Outside Aspire: <c>PORT</c> is the gRPC port, <c>ASPNETCORE_URLS</c> the HTTP endpoint for health and metrics.
    /// Endpoints Aspire sets explicitly (<c>Kestrel__Endpoints__*</c>) win.
    /// </summary>
    public static void ApplyStandaloneEnvironment(this WebApplicationBuilder builder, int defaultGrpcPort)
    {
        var overrides = new Dictionary<string, string?>();
        var port = builder.Configuration["PORT"];
        if (!string.IsNullOrWhiteSpace(port) && Environment.GetEnvironmentVariable("Kestrel__Endpoints__grpc__Url") is null)
        {
            if (!int.TryParse(port, out var p) || p is < 0 or > 65535)
            {
                throw new Microsoft.Extensions.Options.OptionsValidationException("PORT", typeof(int), [$"PORT='{port}' must be a TCP port number between 0 and 65535 (default {defaultGrpcPort})"]);
            }

            overrides["Kestrel:Endpoints:grpc:Url"] = $"http://*:{p}";
        }

        var urls = builder.Configuration["ASPNETCORE_URLS"];
        if (!string.IsNullOrWhiteSpace(urls) && Environment.GetEnvironmentVariable("Kestrel__Endpoints__http__Url") is null)
        {
            overrides["Kestrel:Endpoints:http:Url"] = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        }

        if (overrides.Count > 0)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }
    }
}

/// <summary>Ready once the connector answered and serves.</summary>
public sealed class ConnectorHealthCheck(ConnectorSession session) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(session.Problem is { } problem
            ? HealthCheckResult.Unhealthy(problem)
            : HealthCheckResult.Healthy($"connected to the ExchangeConnector serving {session.Venue}"));
}
