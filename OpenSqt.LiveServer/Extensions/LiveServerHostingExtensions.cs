using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts.Remote;
using OpenSqt.LiveServer.Diagnostics;
using OpenSqt.LiveServer.Feeds;
using OpenSqt.LiveServer.Hub;
using OpenSqt.LiveServer.Options;
using OpenSqt.LiveServer.Protocol;
using OpenSqt.LiveServer.WebSockets;
using W = OpenSqt.Contracts.Wire;

namespace OpenSqt.LiveServer.Extensions;

public static class LiveServerHostingExtensions
{
    /// <summary>
    /// Registers the monitoring server: the connector client, the engine clients, the hub that fans out to browsers,
    /// the two feeds, WebSocket admission, metrics and health checks.
    /// </summary>
    public static WebApplicationBuilder AddLiveServer(this WebApplicationBuilder builder)
    {
        builder.ApplyStandaloneEnvironment();
        var services = builder.Services;
        services.AddOptions<LiveServerOptions>().BindConfiguration(LiveServerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WebSocketLimitsOptions>().BindConfiguration(WebSocketLimitsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EngineClientOptions>().BindConfiguration(EngineClientOptions.SectionName);
        services.AddSingleton<IValidateOptions<LiveServerOptions>, LiveServerOptionsValidator>();
        services.AddSingleton<IValidateOptions<WebSocketLimitsOptions>, WebSocketLimitsOptionsValidator>();

        services.AddRemoteExchange();

        // Engine streams are long-lived: no generic HTTP resilience handler (it is not made for streams); EngineFeed
        // reopens them itself with backoff. The engine's API key (EngineClient:ApiKey) goes on every call and stream.
        // RemoveAllResilienceHandlers is marked experimental.
#pragma warning disable EXTEXP0001
        services.AddGrpcClient<W.PositionService.PositionServiceClient>((sp, o) =>
                o.Address = new Uri(sp.GetRequiredService<IOptions<EngineOptions>>().Value.Address))
            .AddServiceCredentials<EngineClientOptions>()
            .RemoveAllResilienceHandlers();
        services.AddGrpcClient<W.RiskService.RiskServiceClient>((sp, o) =>
                o.Address = new Uri(sp.GetRequiredService<IOptions<EngineOptions>>().Value.Address))
            .AddServiceCredentials<EngineClientOptions>()
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        services.AddSingleton<LiveServerMetrics>();
        services.AddSingleton<WebSocketAdmission>();
        services.AddSingleton<LiveHub>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveHub>());
        services.AddHostedService<ConnectorFeed>();
        services.AddHostedService<EngineFeed>();
        services.AddHealthChecks()
            .AddCheck<ConnectorHealthCheck>("connector")
            .AddCheck<EngineHealthCheck>("engine");
        return builder;
    }

    /// <summary>Maps the page (static files), <c>/ws</c>, <c>/api/status</c> and the default health and metrics endpoints.</summary>
    public static WebApplication MapLiveServer(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseWebSockets();
        app.Map(LiveWebSocketEndpoint.Path, LiveWebSocketEndpoint.HandleAsync);
        app.MapGet("/api/status", (LiveHub hub, WebSocketAdmission admission) =>
        {
            var s = hub.Snapshot;
            return Results.Ok(new
            {
                venue = s.Venue,
                symbols = s.Symbols,
                connector = s.Connector,
                engine = s.Engine,
                browsers = admission.Active,
                messageTypes = MessageTypes.All,
            });
        });
        app.MapDefaultEndpoints();
        return app;
    }

    /// <summary>Outside Aspire, <c>ASPNETCORE_URLS</c> sets the HTTP endpoint (default http://localhost:8081).</summary>
    public static void ApplyStandaloneEnvironment(this WebApplicationBuilder builder)
    {
        var urls = builder.Configuration["ASPNETCORE_URLS"];
        if (!string.IsNullOrWhiteSpace(urls) && Environment.GetEnvironmentVariable("Kestrel__Endpoints__http__Url") is null)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:http:Url"] = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0],
            });
        }
    }
}

/// <summary>Ready once the server has loaded the connector's state and its streams serve.</summary>
public sealed class ConnectorHealthCheck(LiveHub hub) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var link = hub.Snapshot.Connector;
        return Task.FromResult(link.State == LinkStates.Connected
            ? HealthCheckResult.Healthy(link.Detail)
            : HealthCheckResult.Unhealthy($"{link.State}: {link.Detail}"));
    }
}

/// <summary>The engine is optional for serving the page: while it is unavailable the server is degraded, not down.</summary>
public sealed class EngineHealthCheck(LiveHub hub) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var link = hub.Snapshot.Engine;
        return Task.FromResult(link.State == LinkStates.Connected
            ? HealthCheckResult.Healthy(link.Detail)
            : HealthCheckResult.Degraded($"{link.State}: {link.Detail}"));
    }
}
