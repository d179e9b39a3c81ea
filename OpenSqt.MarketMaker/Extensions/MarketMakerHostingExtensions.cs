using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenSqt.Contracts.Remote;
using OpenSqt.MarketMaker.Engine;
using OpenSqt.MarketMaker.Options;
using OpenSqt.MarketMaker.Risk;
using OpenSqt.MarketMaker.Services;
using OpenSqt.MarketMaker.State;
using OpenSqt.MarketMaker.Telemetry;
using OpenSqt.ServiceDefaults.Security;

namespace OpenSqt.MarketMaker.Extensions;

public static class MarketMakerHostingExtensions
{
    /// <summary>Registers the engine: the connector client and the engine's own parts.</summary>
    public static WebApplicationBuilder AddMarketMaker(this WebApplicationBuilder builder)
    {
        builder.ApplyStandaloneEnvironment(defaultGrpcPort: 50052);
        builder.AddServiceAuthentication();
        builder.Services.AddRemoteExchange();
        builder.Services.AddMarketMakerEngine();
        builder.Services.AddGrpc();
        builder.Services.AddGrpcReflection();
        builder.Services.AddHealthChecks().AddCheck<EngineHealthCheck>("engine");
        builder.Services.AddGrpcHealthChecks(o => o.Services.Map("", _ => true));
        return builder;
    }

    /// <summary>
    /// The engine's own parts over whatever <see cref="OpenSqt.Contracts.IExchange"/> is registered: options validated at
    /// start, the order gateway, risk state, the engine host, the anomaly and account monitors, metrics and the state reader.
    /// </summary>
    public static IServiceCollection AddMarketMakerEngine(this IServiceCollection services)
    {
        services.AddOptions<MarketMakerOptions>()
            // A key the engine does not know (a typo in a limit, a setting that no longer exists) stops the engine at
            // start naming it: a risk setting that is silently ignored is worse than none.
            .BindConfiguration(MarketMakerOptions.SectionName, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<MarketMakerOptions>, MarketMakerOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<EngineMetrics>();
        services.AddSingleton<RiskState>();
        services.AddSingleton<OrderGateway>();
        services.AddSingleton<EngineReadStore>();
        services.AddSingleton<EngineHost>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineHost>());
        services.AddHostedService<AnomalyMonitor>();
        services.AddHostedService<AccountRiskMonitor>();
        return services;
    }

    public static WebApplication MapMarketMaker(this WebApplication app)
    {
        app.MapGrpcService<PositionGrpcService>();
        app.MapGrpcService<RiskGrpcService>();
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
