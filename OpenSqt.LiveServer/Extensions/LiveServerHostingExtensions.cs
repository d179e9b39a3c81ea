using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenSqt.Contracts.Remote;

namespace OpenSqt.LiveServer.Extensions;

public static class LiveServerHostingExtensions
{
    /// <summary>Registers the monitoring server: the connector client and the server's own parts.</summary>
    public static WebApplicationBuilder AddLiveServer(this WebApplicationBuilder builder)
    {
        builder.ApplyStandaloneEnvironment();
        builder.Services.AddRemoteExchange();
        builder.Services.AddSingleton<ConnectorSession>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConnectorSession>());
        builder.Services.AddHealthChecks().AddCheck<ConnectorHealthCheck>("connector");
        return builder;
    }

    public static WebApplication MapLiveServer(this WebApplication app)
    {
        app.MapGet("/api/status", (ConnectorSession session) => Results.Ok(new
        {
            connector = session.Problem is null ? "connected" : "disconnected",
            venue = session.Venue,
            problem = session.Problem,
        }));
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

/// <summary>Ready once the connector answered and serves.</summary>
public sealed class ConnectorHealthCheck(ConnectorSession session) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(session.Problem is { } problem
            ? HealthCheckResult.Unhealthy(problem)
            : HealthCheckResult.Healthy($"connected to the ExchangeConnector serving {session.Venue}"));
}
