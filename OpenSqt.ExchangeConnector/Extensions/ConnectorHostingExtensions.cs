using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenSqt.ExchangeConnector.Recording;
using OpenSqt.Contracts;
using OpenSqt.Contracts.Remote;
using OpenSqt.ExchangeConnector.Diagnostics;
using OpenSqt.ExchangeConnector.Services;
using OpenSqt.ExchangeConnector.Metadata;
using OpenSqt.ExchangeConnector.Safety;
using OpenSqt.ExchangeConnector.Streaming;
using OpenSqt.Exchanges;
using OpenSqt.ServiceDefaults.Security;

namespace OpenSqt.ExchangeConnector.Extensions;

public static class ConnectorHostingExtensions
{
    /// <summary>The Aspire resource name of the Redis metadata cache.</summary>
    public const string CacheConnectionName = "cache";

    /// <summary>
    /// Registers the connector: the venue chosen by <c>EXCHANGE</c>, the metadata cache (Redis when
    /// <c>ConnectionStrings__cache</c> is set), the stream fan-out, the gRPC service with health and reflection.
    /// </summary>
    public static WebApplicationBuilder AddExchangeConnector(this WebApplicationBuilder builder)
    {
        builder.ApplyStandaloneEnvironment();
        builder.AddServiceAuthentication();
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddVenue(builder.Configuration);

        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(CacheConnectionName)))
        {
            // Health is reported by MetadataCacheHealthCheck as Degraded, not Unhealthy: the connector still serves without Redis.
            builder.AddRedisClient(CacheConnectionName, settings => settings.DisableHealthChecks = true);
        }

        services.AddOptions<MetadataCacheOptions>().BindConfiguration(MetadataCacheOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StreamingOptions>().BindConfiguration(StreamingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ConnectorMetrics>();
        services.AddSingleton<ExchangeMetadataCache>();
        services.AddSingleton<StreamHub>();
        services.AddOptions<DeadMansSwitchOptions>().BindConfiguration(DeadMansSwitchOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RecordingOptions>().BindConfiguration(RecordingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TapeRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<TapeRecorder>());
        services.AddSingleton<ClientLeases>();
        services.AddSingleton<ConnectorSafety>();
        services.AddHostedService(sp => sp.GetRequiredService<ConnectorSafety>());

        services.AddGrpc(o => o.Interceptors.Add<ConnectorInterceptor>());
        services.AddGrpcReflection();
        services.AddHealthChecks()
            .AddCheck<VenueHealthCheck>("venue")
            .AddCheck<MetadataCacheHealthCheck>("metadata-cache")
            .AddCheck<DeadMansSwitchHealthCheck>("dead-mans-switch");
        services.AddGrpcHealthChecks(o =>
        {
            o.Services.Map("", _ => true);
            o.Services.Map(RemoteExchange.ServiceName, _ => true);
        });
        return builder;
    }

    public static WebApplication MapExchangeConnector(this WebApplication app)
    {
        app.MapGrpcService<ExchangeGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapDefaultEndpoints();

        var hub = app.Services.GetRequiredService<StreamHub>();
        var logger = app.Services.GetRequiredService<ILogger<StreamHub>>();
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            ConnectorLog.ShuttingDown(logger, hub.UpstreamCount);
            hub.Stop();
        });
        ConnectorLog.Serving(logger, app.Services.GetRequiredService<IExchange>().Name);
        return app;
    }

    /// <summary>
    /// The seed's environment contract for running outside Aspire: <c>PORT</c> is the gRPC port (default 50051, all
    /// interfaces when set), <c>ASPNETCORE_URLS</c> the HTTP endpoint for health and metrics, <c>LOG_LEVEL</c> the
    /// default log level. Endpoints that Aspire sets explicitly (<c>Kestrel__Endpoints__*</c>) win.
    /// </summary>
    public static void ApplyStandaloneEnvironment(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var overrides = new Dictionary<string, string?>();
        var port = configuration["PORT"];
        if (!string.IsNullOrWhiteSpace(port) && Environment.GetEnvironmentVariable("Kestrel__Endpoints__grpc__Url") is null)
        {
            if (!int.TryParse(port, out var p) || p is < 0 or > 65535)
            {
                throw new OptionsValidationException("PORT", typeof(int), [$"PORT='{port}' must be a TCP port number between 0 and 65535"]);
            }

            overrides["Kestrel:Endpoints:grpc:Url"] = $"http://*:{p}";
        }

        var urls = configuration["ASPNETCORE_URLS"];
        if (!string.IsNullOrWhiteSpace(urls) && Environment.GetEnvironmentVariable("Kestrel__Endpoints__http__Url") is null)
        {
            overrides["Kestrel:Endpoints:http:Url"] = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        }

        var level = configuration["LOG_LEVEL"];
        if (!string.IsNullOrWhiteSpace(level))
        {
            overrides["Logging:LogLevel:Default"] = ParseLogLevel(level).ToString();
        }

        if (overrides.Count > 0)
        {
            configuration.AddInMemoryCollection(overrides);
        }
    }

    private static LogLevel ParseLogLevel(string value) => value.Trim().ToUpperInvariant() switch
    {
        "TRACE" => LogLevel.Trace,
        "DEBUG" => LogLevel.Debug,
        "INFO" or "INFORMATION" => LogLevel.Information,
        "WARN" or "WARNING" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "FATAL" or "CRITICAL" => LogLevel.Critical,
        "NONE" => LogLevel.None,
        _ => throw new OptionsValidationException("LOG_LEVEL", typeof(LogLevel),
            [$"LOG_LEVEL='{value}' is not a log level; allowed values: TRACE, DEBUG, INFO, WARN, ERROR, FATAL, NONE"]),
    };
}

/// <summary>Ready when the venue connection says it is healthy.</summary>
public sealed class VenueHealthCheck(IExchange exchange) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = await exchange.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        return health.IsHealthy ? HealthCheckResult.Healthy(health.Description) : HealthCheckResult.Unhealthy(health.Description);
    }
}

/// <summary>Degraded, with the venue's reason, while the venue refuses to arm its cancel-all-after countdown.</summary>
public sealed class DeadMansSwitchHealthCheck(ConnectorSafety safety) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(safety.LastSwitchError is { } error
            ? HealthCheckResult.Degraded(error)
            : HealthCheckResult.Healthy(safety.SwitchEnabled ? "venue countdown armed where orders are" : "venue countdown not in use"));
}
